// The live view and recording triggers in Chromium against browser mode: pause the display while
// the readouts go on, change the window length and the channel, arm a power trigger and see it
// start the recording with its running charge and energy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, launchChromium, startServe, type Browser, type ServeProcess } from './harness';

let dir: string;
let server: ServeProcess | null = null;
let browser: Browser;

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ddi-e2e-live-'));
  server = await startServe(join(dir, 'test.db'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const attr = async (page: Page, testId: string, name: string): Promise<number> => Number(await page.getByTestId(testId).getAttribute(name));

async function until(what: string, pred: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('live view and triggers in Chromium', () => {
  it('pauses the trace while readouts go on, changes window and channel, and starts a recording on a power trigger', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text());
    });
    await page.goto(server!.url);
    await page.getByTestId('meter-picker').getByTestId('sim-badge').waitFor();
    // No extra power with load: the simulated board sits at 1.8 W with noise, so it crosses 1.8 W often.
    await page.getByTestId('setting-busyW').fill('0');
    await page.getByTestId('connect').click();
    await page.getByTestId('meter-state').filter({ hasText: 'streaming' }).waitFor();
    await until('live buckets on screen', async () => Number(await page.getByTestId('live-points').textContent()) > 20);

    // Pause: the right edge stops moving while live buckets keep arriving.
    await page.getByTestId('live-pause').click();
    await page.getByTestId('live-paused').waitFor();
    await page.waitForTimeout(150); // the frame that applies the pause
    const end1 = await attr(page, 'live-chart', 'data-end');
    const received1 = await attr(page, 'counter-live-buckets', 'data-value');
    await page.waitForTimeout(1200);
    expect(await attr(page, 'live-chart', 'data-end')).toBe(end1);
    expect(await attr(page, 'counter-live-buckets', 'data-value')).toBeGreaterThan(received1);
    expect(await page.getByTestId('live-span').textContent()).toMatch(/\(paused\)$/);
    await page.getByTestId('live-pause').click();
    await until('the trace to move again', async () => (await attr(page, 'live-chart', 'data-end')) > end1 + 0.5);

    // Window length: 1 s.
    await page.getByTestId('live-span-select').selectOption('1');
    await until('a 1 s window', async () => (await page.getByTestId('live-span').textContent()) === 'Last 1 s');
    // Both ends in one read: the live chart redraws every 100 ms, and two reads could straddle a redraw.
    const span = await page.getByTestId('live-chart').evaluate((el) => Number(el.getAttribute('data-end')) - Number(el.getAttribute('data-start')));
    expect(span).toBeCloseTo(1, 3);

    // Channel: current (about 1.8 W / 5 V = 0.36 A), then back to power (about 1.8 W).
    await page.getByTestId('live-channel').selectOption('current');
    await until('the current trace', async () => (await page.getByTestId('live-chart').getAttribute('data-unit')) === 'A');
    await page.waitForTimeout(300);
    const amps = await attr(page, 'live-chart', 'data-last-mean');
    expect(amps).toBeGreaterThan(0.2);
    expect(amps).toBeLessThan(0.6);
    await page.getByTestId('live-channel').selectOption('power');
    await until('the power trace', async () => (await page.getByTestId('live-chart').getAttribute('data-unit')) === 'W');
    expect(await attr(page, 'live-chart', 'data-last-mean')).toBeGreaterThan(1.2);

    // A level it never reaches stays armed, and Record waits for it.
    await page.getByTestId('trigger-start').fill('power>100W');
    await page.getByTestId('trigger-arm').click();
    await page.locator('[data-testid="trigger-state"][data-phase="armed"]').waitFor();
    expect(await page.getByTestId('trigger-state').textContent()).toBe('Armed: waiting for power>100W.');
    await page.getByTestId('trigger-disarm').click();
    await page.locator('[data-testid="trigger-state"][data-phase="done"]').waitFor();

    // A bad pre-trigger is refused beside its field; then a reachable level fires.
    await page.getByTestId('trigger-pretrigger').fill('20000');
    await page.getByText('The pre-trigger must be a number of milliseconds from 0 to 10000.').waitFor();
    await page.getByTestId('trigger-pretrigger').fill('100');
    await page.getByTestId('trigger-start').fill('power>1.8W');
    await page.getByTestId('trigger-stop').fill('');
    await page.getByTestId('trigger-arm').click();
    await page.locator('[data-testid="trigger-state"][data-phase="recording"]').waitFor();
    expect(await page.getByTestId('trigger-state').textContent()).toMatch(
      /^Triggered on power>1\.8W: session \d+ recording from 100\.0 ms before the crossing\.$/,
    );
    await page.getByTestId('status-recording').filter({ hasText: 'REC' }).waitFor();
    // Running totals from the stored samples: about 1.8 W → energy grows, charge = energy / 5 V.
    await until('running energy', async () => (await attr(page, 'record-energy', 'data-value')) > 0.5);
    const q = await attr(page, 'record-charge', 'data-value');
    const e = await attr(page, 'record-energy', 'data-value');
    expect(q * 5).toBeGreaterThan(e * 0.9);
    expect(q * 5).toBeLessThan(e * 1.1);
    expect(await page.getByTestId('record-energy').textContent()).toMatch(/J · [\d.]+ [mµ]?Wh$/);
    await page.getByTestId('record-stop').click();
    await page.getByTestId('record-done-link').waitFor();
    await page.locator('[data-testid="trigger-state"][data-phase="done"]').waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });
});
