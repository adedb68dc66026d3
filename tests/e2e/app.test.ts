// The whole product path in real Chromium against the real browser-mode server: connect the
// simulated meter, watch the live trace grow, record, stop, open the session, zoom, export CSV and
// check the file against the session; then the token guard, and persistence across a restart.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { assertBuilt, launchChromium, SCREENSHOT_DIR, screenshotsWanted, startServe, type Browser, type ServeProcess } from './harness';

const SESSION_NAME = 'e2e three seconds';

let dir: string;
let dbPath: string;
let server: ServeProcess | null = null;
let browser: Browser;
/** Filled by the recording test, used by the restart test. */
let recorded: { id: number; samples: number } | null = null;

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ddi-e2e-'));
  dbPath = join(dir, 'test.db');
  server = await startServe(dbPath);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function numberAt(page: Page, testId: string, attr = 'data-value'): Promise<number> {
  const v = await page.getByTestId(testId).getAttribute(attr);
  return Number(v);
}

/** Page errors and console errors (the API client logs events that break the contract there). */
const pageProblems = new WeakMap<Page, string[]>();

async function openApp(url: string): Promise<Page> {
  const page = await browser.context.newPage();
  const problems: string[] = [];
  pageProblems.set(page, problems);
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Chromium's automatic /favicon.ico request 404s and logs a resource error; everything else counts.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  await page.getByTestId('status-connection').and(page.locator('[data-state="open"]')).waitFor();
  return page;
}

function expectNoProblems(page: Page): void {
  expect(pageProblems.get(page)).toEqual([]);
}

/** Waits until `read()` exceeds `than`, polling the page; returns the new value. */
async function grows(read: () => Promise<number>, than: number, what: string): Promise<number> {
  for (let i = 0; i < 300; i++) {
    const v = await read();
    if (v > than) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not grow beyond ${than}`);
}

describe('browser mode in Chromium', () => {
  it('refuses the page and the WebSocket without the token, and accepts them with it', async () => {
    const s = server!;
    const bare = await fetch(`${s.origin}/`);
    expect(bare.status).toBe(401);
    expect(await bare.text()).toMatch(/token/i);
    expect((await fetch(`${s.origin}/?token=wrong-${s.token}`)).status).toBe(401);
    expect((await fetch(`${s.origin}/assets/`)).status).toBe(401);

    const page = await browser.context.newPage();
    const refused = await page.goto(`${s.origin}/`);
    expect(refused?.status()).toBe(401);
    await page.close();

    const wsStatus = (url: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url);
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('open', () => {
          resolve(101);
          ws.close();
        });
        ws.on('error', () => resolve(-1));
      });
    expect(await wsStatus(`ws://127.0.0.1:${s.port}/api`)).toBe(401);
    expect(await wsStatus(`ws://127.0.0.1:${s.port}/api?token=nope`)).toBe(401);
    // Positive control: the same request with the token is accepted, so the 401s above are the guard.
    expect(await wsStatus(`ws://127.0.0.1:${s.port}/api?token=${encodeURIComponent(s.token)}`)).toBe(101);
  });

  it('connects the simulated meter, shows the live trace growing, records 3 s, and exports the session as CSV', async () => {
    const page = await openApp(server!.url);
    await page.getByTestId('page-meters').waitFor();

    // The simulated driver is preselected, labelled, and its settings are rendered from its descriptor.
    // The driver list arrives asynchronously; its badge appears once a driver has been chosen.
    await page.getByTestId('meter-picker').getByTestId('sim-badge').waitFor();
    expect(await page.getByTestId('driver-select').inputValue()).toBe('sim');
    await expect(page.getByTestId('meter-picker').getByTestId('sim-badge').textContent()).resolves.toBe('SIMULATED');
    expect(await page.getByTestId('setting-rateHz').inputValue()).toBe('10000');

    // Rescan asks the core for serial ports again and reports what it found (none on CI machines).
    await page.getByTestId('rescan').click();
    await page.getByTestId('rescan').filter({ hasText: 'Rescan' }).waitFor();
    await page
      .getByTestId('port-count')
      .filter({ hasText: /serial ports? found\./ })
      .waitFor();
    expect(await page.getByTestId('port-count').textContent()).toMatch(/^(No serial ports found\.|\d+ serial ports? found\.)$/);

    // A bad value is caught in the form with a sentence, and nothing is sent.
    await page.getByTestId('setting-rateHz').fill('0');
    await page.getByTestId('connect').click();
    await page.getByText('Sample rate must be at least 1 S/s.').waitFor();
    await page.getByTestId('setting-rateHz').fill('10000');

    await page.getByTestId('connect').click();
    await page.getByTestId('meter-state').filter({ hasText: 'streaming' }).waitFor();
    // Simulated is said loudly in the status bar and on the live panel.
    expect(await page.getByTestId('status-meter').getByTestId('sim-badge').isVisible()).toBe(true);
    expect(await page.getByTestId('sim-note').isVisible()).toBe(true);

    // The trace grows: more buckets on screen, more samples counted.
    const points = () => page.getByTestId('live-points').textContent().then(Number);
    const p1 = await grows(points, 0, 'plotted live buckets');
    await grows(points, p1, 'plotted live buckets');
    const s1 = await grows(() => numberAt(page, 'counter-samples'), 0, 'sample counter');
    await grows(() => numberAt(page, 'counter-samples'), s1, 'sample counter');
    // Readouts of all three channels, with units (the simulated board measures each).
    await page.getByTestId('reading-voltage').filter({ hasText: /V$/ }).waitFor();
    expect(await page.getByTestId('reading-power').textContent()).toMatch(/^\d+(\.\d+)? [mµ]?W$/);
    expect(await page.getByTestId('reading-current').textContent()).toMatch(/^\d+(\.\d+)? [mµ]?A$/);
    expect(await page.getByTestId('reading-voltage').textContent()).toMatch(/^\d+(\.\d+)? [mµ]?V$/);
    const canvas = await page.getByTestId('live-chart').locator('canvas').boundingBox();
    expect(canvas?.width ?? 0).toBeGreaterThan(300);

    // Record about 3 s.
    await page.getByTestId('session-name').fill(SESSION_NAME);
    await page.getByTestId('record-start').click();
    await page.getByTestId('status-recording').filter({ hasText: 'REC' }).waitFor();
    await grows(() => numberAt(page, 'record-elapsed', 'data-seconds'), 3.0, 'elapsed recording time');
    if (screenshotsWanted) await page.screenshot({ path: join(SCREENSHOT_DIR, 'meters.png') });
    await page.getByTestId('record-stop').click();
    await page.getByTestId('record-done-link').click();

    // The session page and its summary.
    await page.getByTestId('page-session').waitFor();
    expect(await page.getByTestId('session-title').textContent()).toBe(SESSION_NAME);
    expect(await page.getByTestId('session-status').textContent()).toBe('complete');
    expect(await page.getByTestId('page-session').getByTestId('sim-badge').isVisible()).toBe(true);
    const durationS = await numberAt(page, 'summary-duration');
    const samples = await numberAt(page, 'summary-samples');
    const rate = await numberAt(page, 'page-session', 'data-rate');
    const meanW = await numberAt(page, 'summary-mean-power');
    const energyJ = await numberAt(page, 'summary-energy');
    expect(rate).toBe(10_000);
    // We pressed Stop once the stopwatch passed 3 s, so the session is at least that long; the
    // upper bound only catches unit mix-ups (ms for s), not slowness.
    expect(durationS).toBeGreaterThanOrEqual(2.9);
    expect(durationS).toBeLessThan(60);
    expect(samples).toBeGreaterThan(durationS * rate * 0.9);
    expect(samples).toBeLessThan(durationS * rate * 1.1);
    expect(meanW).toBeGreaterThan(0);
    // Energy is mean power integrated over the recorded time (within a few %: edges, rounding).
    expect(Math.abs(energyJ - meanW * durationS) / (meanW * durationS)).toBeLessThan(0.05);
    const id = Number(await page.getByTestId('page-session').getAttribute('data-session-id'));
    recorded = { id, samples };

    // The stored trace is drawn at pixel resolution over the whole session...
    const range = page.getByTestId('trace-range');
    await page.locator('[data-testid="trace-range"][data-buckets]:not([data-buckets=""])').waitFor();
    const fullTo = Number(await range.getAttribute('data-to'));
    expect(Number(await range.getAttribute('data-from'))).toBe(0);
    expect(fullTo).toBeGreaterThan(2.9);
    expect(Number(await range.getAttribute('data-buckets'))).toBeGreaterThan(100);
    if (screenshotsWanted) await page.screenshot({ path: join(SCREENSHOT_DIR, 'session.png'), fullPage: true });

    // ...dragging zooms in by re-querying that range...
    const over = page.getByTestId('trace-chart').locator('.u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.getByTestId('trace-reset').waitFor();
    await page.waitForFunction((full) => {
      const el = document.querySelector('[data-testid="trace-range"]');
      return el && Number(el.getAttribute('data-to')) - Number(el.getAttribute('data-from')) < full * 0.5;
    }, fullTo);
    const zFrom = Number(await range.getAttribute('data-from'));
    const zTo = Number(await range.getAttribute('data-to'));
    expect(zFrom).toBeGreaterThan(fullTo * 0.3);
    expect(zTo).toBeLessThan(fullTo * 0.7);
    // ...and double-click goes back to the whole session.
    await over.dblclick();
    await page.waitForFunction(() => document.querySelector('[data-testid="trace-range"]')?.getAttribute('data-from') === '0');
    expect(Number(await range.getAttribute('data-to'))).toBeCloseTo(fullTo, 6);

    // Export CSV through the browser's download: the header names the measured channels with units,
    // and there is one row per stored sample.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const csvPath = join(dir, 'export.csv');
    await download.saveAs(csvPath);
    const lines = readFileSync(csvPath, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    expect(lines[0]).toBe('time_s,current_A,voltage_V,power_W');
    expect(lines.length - 1).toBe(samples);
    const first = lines[1]!.split(',').map(Number);
    const last = lines.at(-1)!.split(',').map(Number);
    expect(first[0]).toBeGreaterThanOrEqual(0);
    expect(last[0]).toBeLessThanOrEqual(durationS + 0.01);
    expect(first.every(Number.isFinite)).toBe(true);
    // P = I·V per row (the simulated board's power is derived from its current and voltage).
    expect(first[3]).toBeCloseTo(first[1]! * first[2]!, 3);

    // JSON export carries the same summary.
    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
    const jsonPath = join(dir, 'export.json');
    await jsonDownload.saveAs(jsonPath);
    expect(readFileSync(jsonPath, 'utf8')).toContain(`"${SESSION_NAME}"`);

    // The session is in the list with its simulated meter. Loaded from an address without the
    // token: the page comes via the server's cookie, the API via the token the tab remembered.
    await page.goto(`${server!.origin}/#/sessions`);
    await page.getByTestId('status-connection').and(page.locator('[data-state="open"]')).waitFor();
    const row = page.locator(`[data-testid="session-row"][data-session-id="${id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(SESSION_NAME);
    expect(await row.getByTestId('sim-badge').isVisible()).toBe(true);
    if (screenshotsWanted) await page.screenshot({ path: join(SCREENSHOT_DIR, 'sessions.png') });

    // API errors reach the user as the core's one sentence.
    await page.goto(`${server!.url}#/sessions/999999`);
    const err = page.getByTestId('session-error');
    await err.waitFor();
    expect(await err.textContent()).toMatch(/999999/);
    expect(await err.textContent()).not.toMatch(/Error:|at \w+ \(/);

    // Disconnect from the Meters page.
    await page.getByTestId('nav-meters').click();
    await page.getByTestId('disconnect').click();
    await page.getByTestId('connect').waitFor();
    expect(await page.getByTestId('status-meter').textContent()).toContain('No meter');

    // The Run page lists the installed models (its own walk-through is tests/e2e/run-page.test.ts).
    await page.getByTestId('nav-run').click();
    await page.locator('[data-testid="model-card"][data-model-id="tiny-random-test"]').waitFor();

    expectNoProblems(page);
    await page.close();
  });

  it('still lists the session after the server restarts on the same database', async () => {
    expect(recorded, 'the recording test must have run first').not.toBeNull();
    // A page left open while the server goes away says so and what to check.
    const orphan = await openApp(server!.url);
    await server!.stop();
    await orphan.getByTestId('connection-banner').waitFor();
    expect(await orphan.getByTestId('connection-banner').textContent()).toMatch(/Cannot reach the DDI Profiler server/);
    expect(await orphan.getByTestId('status-connection').getAttribute('data-state')).not.toBe('open');
    await orphan.close();

    server = await startServe(dbPath);
    const page = await openApp(`${server.url}#/sessions`);
    const row = page.locator(`[data-testid="session-row"][data-session-id="${recorded!.id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(SESSION_NAME);
    expect(await row.textContent()).toContain('complete');
    await row.click();
    await page.getByTestId('page-session').waitFor();
    expect(await numberAt(page, 'summary-samples')).toBe(recorded!.samples);
    expectNoProblems(page);
    await page.close();
  });
});
