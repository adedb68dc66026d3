// A profiling run from the app in real Chromium against the real browser-mode server: Profile
// first says no meter is connected (with the way to the Meters page), then, with the simulated
// meter connected, runs a short ddi profile under a hard MAC budget, shows its progress, opens the
// result, and the result has all 20 inferences, the attribution mode and its reason, the
// alignment, the budget verdict, the charts and the shaded windows, labelled simulated.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMacsText } from '../../renderer/src/run/units';
import { assertBuilt, launchChromium, SCREENSHOT_DIR, screenshotsWanted, startServe, type Browser, type ServeProcess } from './harness';

const MODEL = 'tiny-random-test';
const N = 20;

let dir: string;
let server: ServeProcess | null = null;
let browser: Browser;

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ddi-e2e-profile-'));
  server = await startServe(join(dir, 'test.db'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Profiling in Chromium', () => {
  it('profiles 20 inferences with the simulated meter and shows the result', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    await page.goto(server!.url);
    await page.getByTestId('status-connection').and(page.locator('[data-state="open"]')).waitFor();

    // No meter yet: one sentence with a link to the Meters page, and Profile cannot be pressed.
    await page.getByTestId('nav-run').click();
    const card = page.locator(`[data-testid="model-card"][data-model-id="${MODEL}"]`);
    await card.waitFor();
    const noMeter = page.getByTestId('profile-no-meter');
    await noMeter.waitFor();
    expect(await noMeter.textContent()).toMatch(/^No meter is connected; connect one on the Meters page to profile\.$/);
    expect(await noMeter.getByRole('link', { name: 'Meters page' }).getAttribute('href')).toBe('#/meters');
    expect(await page.getByTestId('profile-submit').isDisabled()).toBe(true);

    // Connect the simulated meter from the link.
    await noMeter.getByRole('link', { name: 'Meters page' }).click();
    await page.getByTestId('page-meters').waitFor();
    await page.getByTestId('meter-picker').getByTestId('sim-badge').waitFor();
    expect(await page.getByTestId('driver-select').inputValue()).toBe('sim');
    await page.getByTestId('connect').click();
    await page.getByTestId('meter-state').filter({ hasText: 'streaming' }).waitFor();

    // Back on the Run page the meter is named and labelled simulated.
    await page.getByTestId('nav-run').click();
    const meter = page.getByTestId('profile-meter');
    await meter.waitFor();
    expect(await meter.textContent()).toMatch(/^Meter: .+\(sim\)/);
    expect(await meter.getByTestId('sim-badge').textContent()).toBe('SIMULATED');

    // ddi under half the model's MACs, 20 images, a short warm-up and baseline.
    await page.getByTestId('run-model').selectOption(MODEL);
    await page.getByTestId('mode-ddi').check();
    const cardMacs = parseMacsText((await card.getByTestId('card-macs').textContent())!)!;
    const budgetMacs = Math.floor(cardMacs / 2);
    await page.getByTestId('run-budget-unit').selectOption('MAC');
    await page.getByTestId('run-budget-value').fill(String(budgetMacs));
    await page.getByTestId('run-limit').fill(String(N));
    await page.getByTestId('profile-warmup').fill('2');
    await page.getByTestId('profile-baseline').fill('0.5');
    await page.getByTestId('profile-submit').click();

    // Progress with a phase, elapsed time and Cancel; Run waits meanwhile.
    const progress = page.getByTestId('profile-progress');
    await progress.waitFor();
    expect(await page.getByTestId('profile-cancel').isVisible()).toBe(true);
    expect(await page.getByTestId('profile-times').textContent()).toMatch(/elapsed [\d.]+ s · ETA/);
    expect(await page.getByTestId('run-submit').isDisabled()).toBe(true);

    // At the end the result opens.
    const result = page.getByTestId('profile-result');
    await result.waitFor({ timeout: 120_000 });
    const sessionId = Number(await page.getByTestId('page-session').getAttribute('data-session-id'));
    expect(sessionId).toBeGreaterThan(0);
    expect(await result.getAttribute('data-inferences')).toBe(String(N));
    expect(await result.getByTestId('sim-badge').textContent()).toBe('SIMULATED');
    expect(await result.getByTestId('profile-sim-note').isVisible()).toBe(true);

    // The attribution mode and why; the alignment's quality.
    const mode = (await result.getByTestId('attribution-mode').textContent())!;
    expect(['PER INFERENCE', 'WINDOW']).toContain(mode);
    expect(await result.getByTestId('attribution-reason').textContent()).toMatch(/^(Per-inference|Window) mode\b.+\./);
    expect(await result.getByTestId('alignment').textContent()).toMatch(/(trusted|not trusted) · offset -?[\d.]+ ms/);

    // The hard budget's verdict, stated plainly: counted MACs, all within under ddi.
    const verdict = result.getByTestId('budget-verdict').first();
    expect(await verdict.getAttribute('data-verdict')).toBe('PASS');
    expect(await verdict.textContent()).toMatch(/^PASShard budget .+: 100 % within \(20 of 20\), worst/);

    // Energy per inference is measured (from the simulated board) and labelled so.
    expect(Number(await result.getByTestId('profile-energy-mean').getAttribute('data-value'))).toBeGreaterThan(0);
    expect(await page.getByTestId('histogram-card').textContent()).toMatch(/measured/);
    await page.getByTestId('energy-histogram').waitFor();
    await page.getByTestId('energy-scatter').waitFor();

    // The per-inference table holds all 20; sorting by MACs keeps them all.
    const scroll = page.getByTestId('inference-scroll');
    expect(await scroll.getAttribute('data-rows')).toBe(String(N));
    const seqs = await page.getByTestId('inference-row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
    expect(seqs.length).toBeGreaterThan(0);
    expect(seqs[0]).toBe(0);
    await page.getByTestId('sort-macs').click();
    expect(await page.getByTestId('inference-table').getAttribute('data-sort')).toBe('macs:desc');
    const macs = await page.getByTestId('inference-row').evaluateAll((els) => els.map((e) => e.children[4]!.textContent));
    expect(macs.length).toBeGreaterThan(0);

    // The trace is drawn with one shaded window per inference.
    await page.getByTestId('trace-chart').locator('canvas').first().waitFor();
    expect(await page.getByTestId('shading-note').getAttribute('data-windows')).toBe(String(N));
    await page.getByTestId('trace-chart').and(page.locator('[data-loading="false"]')).waitFor();
    if (screenshotsWanted) {
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.setViewportSize({ width: 1360, height: Math.min(height, 2600) });
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'profile.png') });
      await page.setViewportSize({ width: 1360, height: 900 });
    }

    // The run is in the Sessions list and opens there too.
    await page.getByTestId('nav-sessions').click();
    const row = page.locator(`[data-testid="session-row"][data-session-id="${sessionId}"]`);
    await row.waitFor();
    expect(await row.getByTestId('session-kind-profile').textContent()).toBe('PROFILE');
    await row.getByTestId('session-link').click();
    await page.getByTestId('profile-result').waitFor();
    expect(await page.getByTestId('inference-scroll').getAttribute('data-rows')).toBe(String(N));

    // A long run cancelled during its inferences: the ETA is counted, and the partial run opens, kept as cancelled.
    await page.getByTestId('nav-run').click();
    await page.getByTestId('run-limit').fill('1000');
    await page.getByTestId('profile-submit').click();
    await page.locator('[data-testid="profile-progress"][data-phase="inferences"]').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('profile-phase').textContent()).toMatch(/^Inferences \d+ of 1000$/);
    expect(await page.getByTestId('profile-times').textContent()).toMatch(/ETA [\d.]+ s|ETA \d+ min/);
    await page.getByTestId('profile-cancel').click();
    const cancelled = page.getByTestId('profile-result');
    await cancelled.waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('session-status').textContent()).toBe('cancelled');
    expect(await page.getByTestId('profile-status-reason').textContent()).toMatch(/^Run cancelled: Cancelled after \d+ of 1000 inferences\.$/);
    const kept = Number(await cancelled.getAttribute('data-inferences'));
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(1000);
    expect(await page.getByTestId('inference-scroll').getAttribute('data-rows')).toBe(String(kept));

    expect(problems).toEqual([]);
    await page.close();
  });
});
