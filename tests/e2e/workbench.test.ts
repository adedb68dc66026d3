// The analysis workbench in Chromium against browser mode: a short simulated recording, a range
// selected by dragging on the stored trace, its charge and energy read from the page and compared
// with the same integral computed here from the CSV export of that range (zero-order hold, edge
// samples weighted by their time inside); the summary cards follow the selection; a marker added
// with the keyboard over the trace (after a refused empty label) is listed and in the JSON export.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { assertBuilt, launchChromium, startServe, type Browser, type ServeProcess } from './harness';

let dir: string;
let dbPath: string;
let server: ServeProcess;
let browser: Browser;

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ddi-e2e-workbench-'));
  dbPath = join(dir, 'lab.sqlite');
  // A short simulated session (10 kS/s), recorded as a user would from the command line.
  const rec = runCli(['--db', dbPath, 'record', '--meter', 'sim', '--duration', '2s', '--name', 'e2e workbench']);
  if (rec.code !== 0) throw new Error(`ddi-profiler record failed: ${rec.stderr}`);
  server = await startServe(dbPath);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const attr = async (page: Page, testId: string, name = 'data-value'): Promise<number> => Number(await page.getByTestId(testId).getAttribute(name));

/** ∫ over [fromS, toS) of each column, every CSV row held for one sample period. */
function integrate(csv: string, periodS: number, fromS: number, toS: number): { current: number; power: number; rows: number } {
  const lines = csv.trim().split('\n');
  const head = lines[0]!.split(',');
  const ci = head.indexOf('current_A');
  const pi = head.indexOf('power_W');
  let current = 0;
  let power = 0;
  for (const line of lines.slice(1)) {
    const f = line.split(',').map(Number);
    const t = f[0]!;
    const w = Math.min(t + periodS, toS) - Math.max(t, fromS);
    if (w <= 0) continue;
    current += f[ci]! * w;
    power += f[pi]! * w;
  }
  return { current, power, rows: lines.length - 1 };
}

describe('analysis workbench in Chromium', () => {
  it('selects a range on the trace: charge and energy equal the exported samples of that range; a marker lands in the JSON export', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    // The small screen the app promises to fit.
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.goto(`${server.url}#/sessions/1`);
    await page.getByTestId('page-session').waitFor();
    await page.locator('[data-testid="trace-range"][data-buckets]:not([data-buckets=""])').waitFor();
    const rate = await attr(page, 'page-session', 'data-rate');
    expect(rate).toBe(10_000);

    // Drag across 30 %–60 % of the plot in select mode.
    await page.getByTestId('drag-select').click();
    await page.locator('[data-testid="drag-select"][aria-pressed="true"]').waitFor();
    const over = page.getByTestId('trace-chart').locator('.u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 6 });
    await page.mouse.up();
    await page.locator('[data-testid="selection"][data-loading="false"]').waitFor();
    const fromS = await attr(page, 'selection', 'data-from');
    const toS = await attr(page, 'selection', 'data-to');
    expect(fromS).toBeGreaterThan(0.4);
    expect(toS).toBeLessThan(1.5);
    expect(toS - fromS).toBeGreaterThan(0.4);
    // The trace did not zoom: a drag in select mode selects.
    expect(await page.getByTestId('trace-range').getAttribute('data-from')).toBe('0');
    const chargeC = await attr(page, 'sel-charge');
    const energyJ = await attr(page, 'sel-energy');
    expect(chargeC).toBeGreaterThan(0);
    // The summary cards follow the selection.
    await page.locator('[data-testid="summary"][data-scope="selection"]').waitFor();
    expect(await attr(page, 'summary-energy')).toBe(energyJ);
    expect(await attr(page, 'summary-duration')).toBeCloseTo(toS - fromS, 9);

    // The same range exported as CSV, integrated here.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('selection-export-csv').click()]);
    const csvPath = join(dir, 'selection.csv');
    await download.saveAs(csvPath);
    const fromCsv = integrate(readFileSync(csvPath, 'utf8'), 1 / rate, fromS, toS);
    expect(fromCsv.rows).toBe(await attr(page, 'sel-samples'));
    // CSV values carry 7 significant digits; the page's figures come from the stored float32 samples.
    expect(Math.abs(chargeC - fromCsv.current) / fromCsv.current).toBeLessThan(1e-5);
    expect(Math.abs(energyJ - fromCsv.power) / fromCsv.power).toBeLessThan(1e-5);

    // A marker: m over the trace marks the selection; an empty label is refused beside the field.
    const now = (await over.boundingBox())!;
    await page.mouse.move(now.x + now.width * 0.5, now.y + now.height / 2, { steps: 3 });
    await page.keyboard.press('m');
    await page.getByTestId('marker-form').waitFor();
    expect(Number(await page.getByTestId('marker-start').inputValue())).toBeCloseTo(fromS, 5);
    expect(Number(await page.getByTestId('marker-end').inputValue())).toBeCloseTo(toS, 5);
    await page.getByTestId('marker-save').click();
    expect(await page.getByTestId('marker-label-error').textContent()).toBe('Type a label saying what happens there.');
    expect(await page.getByTestId('marker-label-error').isVisible()).toBe(true);
    await page.getByTestId('marker-label').fill('radio burst');
    await page.getByTestId('marker-save').click();
    await page.getByTestId('marker-item').filter({ hasText: 'radio burst' }).waitFor();
    expect(await page.getByTestId('marker-form').count()).toBe(0);

    // Nothing sticks out sideways at 1024 × 700.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024);

    // The whole session's JSON export carries the marker.
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
    const jsonPath = join(dir, 'session.json');
    await json.saveAs(jsonPath);
    const doc = JSON.parse(readFileSync(jsonPath, 'utf8')) as { markers: { kind: string; label: string; tS: number; endS: number | null }[] };
    const note = doc.markers.find((m) => m.label === 'radio burst');
    expect(note).toBeDefined();
    expect(note!.kind).toBe('note');
    expect(note!.tS).toBeCloseTo(fromS, 5);
    expect(note!.endS).toBeCloseTo(toS, 5);

    // The trace as drawn, saved as a PNG the size of its canvas.
    expect(Number(await page.getByTestId('trace-chart').getAttribute('data-drawn'))).toBeGreaterThan(0);
    const canvas = await page
      .getByTestId('trace-chart')
      .locator('canvas')
      .evaluate((c: HTMLCanvasElement) => ({ w: c.width, h: c.height }));
    const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('trace-save-png').click()]);
    expect(png.suggestedFilename()).toMatch(/^session-\d+-power-\d{14}\.png$/);
    const pngPath = join(dir, 'trace.png');
    await png.saveAs(pngPath);
    const bytes = readFileSync(pngPath);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([canvas.w, canvas.h]);
    await page.getByTestId('trace-save-note').waitFor();

    expect(problems).toEqual([]);
    await page.close();
  });

  it('zooms with the wheel about the cursor, pans with shift-wheel and with a drag in pan mode, and refetches each view', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}#/sessions/1`);
    await page.locator('[data-testid="trace-range"][data-buckets]:not([data-buckets=""])').waitFor();
    const range = async (): Promise<{ from: number; to: number }> => {
      const el = page.getByTestId('trace-range');
      return { from: Number(await el.getAttribute('data-from')), to: Number(await el.getAttribute('data-to')) };
    };
    /** Waits until the fetched trace's range satisfies `ok` (each view is fetched once the wheel or drag rests). */
    const until = async (ok: (r: { from: number; to: number }) => boolean): Promise<{ from: number; to: number }> => {
      for (let i = 0; i < 200; i++) {
        const r = await range();
        if (ok(r)) return r;
        await page.waitForTimeout(50);
      }
      throw new Error(`The trace never reached the expected view; last ${JSON.stringify(await range())}.`);
    };
    const whole = await range();
    expect(whole.from).toBe(0);
    const over = page.getByTestId('trace-chart').locator('.u-over');
    const box = (await over.boundingBox())!;
    // Three wheel steps in with the cursor a quarter of the way across: the time there stays there.
    const atX = box.x + box.width * 0.25;
    const atS = whole.from + 0.25 * (whole.to - whole.from);
    await page.mouse.move(atX, box.y + box.height / 2);
    for (let k = 0; k < 3; k++) await page.mouse.wheel(0, -100);
    const zoomed = await until((r) => r.to - r.from < 0.6 * (whole.to - whole.from));
    expect(zoomed.to - zoomed.from).toBeCloseTo((whole.to - whole.from) * Math.exp(-0.75), 3);
    expect((atS - zoomed.from) / (zoomed.to - zoomed.from)).toBeCloseTo(0.25, 2);
    // Shift-wheel pans later by a quarter of the view, at the same width.
    await page.keyboard.down('Shift');
    await page.mouse.wheel(0, 100);
    await page.keyboard.up('Shift');
    const panned = await until((r) => r.from > zoomed.from + 1e-6);
    expect(panned.to - panned.from).toBeCloseTo(zoomed.to - zoomed.from, 6);
    expect(panned.from - zoomed.from).toBeCloseTo((zoomed.to - zoomed.from) / 4, 3);
    // In pan mode a drag to the right moves the view earlier by the dragged fraction.
    await page.getByTestId('drag-pan').click();
    await page.locator('[data-testid="drag-pan"][aria-pressed="true"]').waitFor();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const dragged = await until((r) => r.from < panned.from - 1e-6);
    expect(dragged.to - dragged.from).toBeCloseTo(panned.to - panned.from, 6);
    expect(panned.from - dragged.from).toBeCloseTo(0.2 * (panned.to - panned.from), 2);
    // No selection was drawn by that drag, and double-click shows the whole session again.
    expect(await page.getByTestId('selection').count()).toBe(0);
    await page.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2);
    await until((r) => r.from === 0 && Math.abs(r.to - whole.to) < 1e-9);
    await page.close();
  });
});
