// The Compare page in Chromium against browser mode: two short simulated recordings at different
// idle power, picked from the Sessions list's Compare link; both traces drawn on one axis, the
// statistics side by side equal to each session's own summary, the overlay saved as an SVG file
// that holds both traces (and parses as SVG), and as a PNG.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { assertBuilt, launchChromium, startServe, type Browser, type ServeProcess } from './harness';

let dir: string;
let dbPath: string;
let server: ServeProcess;
let browser: Browser;
const summaries: Array<{ id: number; energyJ: number; samples: number }> = [];

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ddi-e2e-compare-'));
  dbPath = join(dir, 'lab.sqlite');
  for (const [name, idleW] of [
    ['quiet board', 1],
    ['busy board', 3],
  ] as const) {
    const rec = runCli([
      '--db',
      dbPath,
      'record',
      '--meter',
      'sim',
      '--set',
      `idleW=${idleW}`,
      '--set',
      'rateHz=2000',
      '--duration',
      '1s',
      '--name',
      name,
      '--json',
    ]);
    if (rec.code !== 0) throw new Error(`ddi-profiler record failed: ${rec.stderr}`);
    summaries.push(JSON.parse(rec.stdout) as { id: number; energyJ: number; samples: number });
  }
  server = await startServe(dbPath);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Compare page in Chromium', () => {
  it('overlays two sessions, shows their statistics side by side and saves the overlay as SVG and PNG', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.goto(`${server.url}#/sessions`);
    await page.getByTestId('sessions-compare').click();
    await page.getByTestId('page-compare').waitFor();
    // The boxes follow the URL (#/compare/ids), which updates on the next hashchange: click, then wait for the state.
    for (const s of summaries) {
      await page.getByTestId(`compare-pick-${s.id}`).click();
      await page.waitForFunction((id) => (document.querySelector(`[data-testid="compare-pick-${id}"]`) as HTMLInputElement | null)?.checked === true, s.id);
    }
    expect(await page.evaluate(() => window.location.hash)).toBe(`#/compare/${summaries.map((s) => s.id).join(',')}`);

    // Both traces on the common axis, each with its buckets.
    const series = page.getByTestId('overlay-series');
    await page.locator('[data-testid="overlay-trace"][data-series="2"]').waitFor();
    expect(await series.count()).toBe(2);
    for (let i = 0; i < 2; i++) expect(Number(await series.nth(i).getAttribute('data-points'))).toBeGreaterThan(100);

    // Side by side: one column per session, in the order picked, with each one's own figures.
    const heads = page.getByTestId('compare-stats-session');
    expect(await heads.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-session-id'))))).toEqual(summaries.map((s) => s.id));
    const samples = await page.getByTestId('compare-row-samples').locator('td').allTextContents();
    expect(samples.map((t) => Number(t.replace(/[^\d]/g, '')))).toEqual(summaries.map((s) => s.samples));
    const energy = await page.getByTestId('compare-row-energy').locator('td').allTextContents();
    expect(energy).toHaveLength(2);
    const joules = energy.map((t) => Number(t.split(' ')[0]) * (t.includes(' mJ') ? 1e-3 : 1));
    summaries.forEach((s, i) => expect(joules[i]).toBeCloseTo(s.energyJ, 1));
    expect(joules[1]!).toBeGreaterThan(joules[0]!);

    // Save the overlay as SVG: a standalone SVG file holding both traces.
    const [svgDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('overlay-trace-save-svg').click()]);
    expect(svgDownload.suggestedFilename()).toMatch(/^compare-\d+-\d+-power-\d{14}\.svg$/);
    const svgPath = join(dir, 'overlay.svg');
    await svgDownload.saveAs(svgPath);
    const svg = readFileSync(svgPath, 'utf8');
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/m);
    expect(svg.match(/data-testid="overlay-series"/g)).toHaveLength(2);
    for (const s of summaries) expect(svg).toContain(`data-name="#${s.id} `);
    expect(svg).toMatch(/<path d="M[\d.]+,[\d.]+L/);
    // It parses as an SVG document on its own (in a blank page: the app's CSP would refuse its <style>).
    const blank = await browser.context.newPage();
    const parsed = await blank.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      return { root: doc.documentElement.localName, error: doc.getElementsByTagName('parsererror').length, paths: doc.querySelectorAll('path.series').length };
    }, svg);
    await blank.close();
    expect(parsed.root).toBe('svg');
    expect(parsed.error).toBe(0);
    expect(parsed.paths).toBeGreaterThanOrEqual(2);

    // And as PNG, rasterised through a canvas.
    const [pngDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('overlay-trace-save-png').click()]);
    const pngPath = join(dir, 'overlay.png');
    await pngDownload.saveAs(pngPath);
    const png = readFileSync(pngPath);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.readUInt32BE(16)).toBe(1440); // 720 units × 2

    expect(problems).toEqual([]);
    await page.close();
  });
});
