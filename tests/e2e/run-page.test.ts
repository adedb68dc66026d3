// The Run page in real Chromium against the real browser-mode server and its engine worker: the
// random-weight test model (tests/fixtures/models, found through DDI_MODELS_DIR) is listed and labelled, a static run and a budgeted ddi run come
// back with their records, the hard budget holds, and a budget below the first exit is refused
// with the core's sentence.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMacsText } from '../../renderer/src/run/units';
import { assertBuilt, launchChromium, SCREENSHOT_DIR, screenshotsWanted, startServe, type Browser, type ServeProcess } from './harness';

const MODEL = 'tiny-random-test';

let dir: string;
let server: ServeProcess | null = null;
let browser: Browser;

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ddi-e2e-run-'));
  server = await startServe(join(dir, 'test.db'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function attr(page: Page, testId: string, name: string, scope?: string): Promise<string> {
  const root = scope ? page.getByTestId(scope) : page;
  return (await root.getByTestId(testId).first().getAttribute(name)) ?? '';
}

/** Waits for the run numbered `seq` (1 = the first on this page) to be the one shown. */
async function resultFor(page: Page, seq: number) {
  const results = page.locator(`[data-testid="run-results"][data-seq="${seq}"]`);
  await results.waitFor({ timeout: 90_000 });
  await page.getByTestId('run-submit').filter({ hasText: /^Run$/ }).waitFor();
  return results;
}

describe('Run page in Chromium', () => {
  it('lists the random-weight model, runs static and ddi under a hard budget, and refuses a budget below the first exit', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    await page.goto(server!.url);
    await page.getByTestId('status-connection').and(page.locator('[data-state="open"]')).waitFor();
    await page.getByTestId('nav-run').click();
    await page.getByTestId('page-run').waitFor();
    await page
      .getByTestId('energy-note')
      .filter({ hasText: /power meter.*profiling runs/i })
      .waitFor();

    // The model card, and its random weights said in the model choice.
    const card = page.locator(`[data-testid="model-card"][data-model-id="${MODEL}"]`);
    await card.waitFor();
    expect(await page.getByTestId('run-model').locator(`option[value="${MODEL}"]`).textContent()).toContain('(random weights)');
    expect(await card.textContent()).toMatch(/FLOPs/);
    const cardMacsText = (await card.getByTestId('card-macs').textContent())!;
    const cardMacs = parseMacsText(cardMacsText);
    expect(cardMacs, `card MACs "${cardMacsText}"`).not.toBeNull();
    const exits = Number(await card.getByTestId('card-exits').textContent());
    expect(exits).toBeGreaterThan(0);
    // The engine reported its TensorFlow.js backend.
    await page.getByTestId('backend-badge').waitFor();
    expect(['ort', 'tensorflow', 'wasm', 'cpu']).toContain(await attr(page, 'backend-badge', 'data-backend'));

    // Static on 20 images: all 20 come back, every one from the final classifier, at the full cost.
    // Other (trained) models may be installed too: choose this one by name in the form.
    await page.getByTestId('run-model').selectOption(MODEL);
    expect(await card.getAttribute('aria-current')).toBe('true');
    await page.getByTestId('mode-static').check();
    expect(await page.getByTestId('run-budget-value').isDisabled()).toBe(true);
    await page.getByTestId('run-limit').fill('20');
    await page.getByTestId('run-submit').click();
    await page
      .getByTestId('run-submit')
      .filter({ hasText: /Running 20 images/ })
      .waitFor();
    const staticResult = await resultFor(page, 1);
    expect(await staticResult.getAttribute('data-count')).toBe('20');
    expect(await staticResult.getByTestId('random-note').isVisible()).toBe(true);
    const rows = staticResult.getByTestId('record-row');
    expect(await rows.count()).toBe(20);
    expect(new Set(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-exit-id'))))).toEqual(new Set(['classifier']));
    expect(Number(await staticResult.locator('[data-testid="exit-bar"][data-exit-id="classifier"]').getAttribute('data-count'))).toBe(20);
    const staticMean = Number(await attr(page, 'result-mean-macs', 'data-value', 'run-results'));
    expect(staticMean).toBeGreaterThan(0);
    // The card shows the static cost (3 significant digits).
    expect(Math.abs(staticMean - cardMacs!) / staticMean).toBeLessThan(0.01);
    expect(await staticResult.getByTestId('result-within').textContent()).toBe('no budget');

    // ddi with half the card's MACs as a hard budget: every inference within it, cheaper than static.
    await page.getByTestId('mode-ddi').check();
    expect(await page.getByTestId('run-budget-value').isDisabled()).toBe(false);
    const budgetMacs = Math.floor(cardMacs! / 2);
    await page.getByTestId('run-budget-unit').selectOption('MAC');
    await page.getByTestId('run-budget-value').fill(String(budgetMacs));
    await page.getByTestId('run-submit').click();
    const ddiResult = await resultFor(page, 2);
    expect(await ddiResult.getAttribute('data-mode')).toBe('ddi');
    expect(await ddiResult.getAttribute('data-count')).toBe('20');
    expect(await ddiResult.getByTestId('result-within').textContent()).toBe('100 %');
    expect(Number(await ddiResult.getByTestId('result-within').getAttribute('data-value'))).toBe(1);
    const ddiMean = Number(await ddiResult.getByTestId('result-mean-macs').getAttribute('data-value'));
    expect(ddiMean).toBeLessThan(staticMean);
    const ddiMacs = await ddiResult.getByTestId('record-row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-macs'))));
    expect(ddiMacs).toHaveLength(20);
    for (const m of ddiMacs) expect(m).toBeLessThanOrEqual(budgetMacs);
    // One bar per exit of the model plus the classifier, summing to the run's count.
    const bars = await ddiResult.getByTestId('exit-bar').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))));
    expect(bars).toHaveLength(exits + 1);
    expect(bars.reduce((a, b) => a + b, 0)).toBe(20);
    await ddiResult.getByTestId('block-strip').waitFor();

    // Both runs are kept to compare, newest first.
    const history = page.getByTestId('history-row');
    expect(await history.evaluateAll((els) => els.map((e) => e.getAttribute('data-mode')))).toEqual(['ddi', 'static']);
    if (screenshotsWanted) {
      // A viewport as tall as the page, so the sticky status bar sits at the bottom of the picture.
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.setViewportSize({ width: 1360, height: Math.min(height, 2400) });
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'run.png') });
      await page.setViewportSize({ width: 1360, height: 900 });
    }
    // Choosing the older row shows that run again.
    await history.nth(1).click();
    await page.locator('[data-testid="run-results"][data-seq="1"]').waitFor();

    // A budget below the first exit's cost: the core's sentence names the minimum.
    await page.getByTestId('run-budget-unit').selectOption('MAC');
    await page.getByTestId('run-budget-value').fill('1');
    await page.getByTestId('run-submit').click();
    const err = page.getByTestId('run-error');
    await err.waitFor();
    expect(await err.textContent()).toMatch(/below the minimum of [\d.]+ \w*MAC needed to reach the first exit/);
    // Nothing was added for the refused run.
    expect(await history.count()).toBe(2);

    // Leaving the page and coming back keeps the runs and the form as they were.
    await page.getByTestId('nav-meters').click();
    await page.getByTestId('page-meters').waitFor();
    await page.getByTestId('nav-run').click();
    await page.getByTestId('page-run').waitFor();
    expect(await history.count()).toBe(2);
    expect(await page.getByTestId('mode-ddi').isChecked()).toBe(true);
    expect(await page.getByTestId('run-limit').inputValue()).toBe('20');

    // A longer run renders only the rows in view; scrolling to the end brings the last inference in.
    await page.getByTestId('mode-iadi').check();
    expect(await page.getByTestId('run-budget-value').isDisabled()).toBe(true);
    await page.getByTestId('run-limit').fill('150');
    await page.getByTestId('run-submit').click();
    const iadiResult = await resultFor(page, 3);
    expect(await iadiResult.getAttribute('data-count')).toBe('150');
    const scroller = iadiResult.getByTestId('records-scroll');
    expect(Number(await scroller.getAttribute('data-rows'))).toBe(150);
    const indices = () => iadiResult.getByTestId('record-row').evaluateAll((els) => els.map((e) => Number(e.firstElementChild!.textContent)));
    const before = await indices();
    expect(before.length).toBeLessThan(150);
    expect(before[0]).toBe(0);
    await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.waitForFunction(() => {
      const rows = document.querySelectorAll('[data-testid="run-results"] [data-testid="record-row"]');
      return rows[rows.length - 1]?.firstElementChild?.textContent === '149';
    });
    const after = await indices();
    expect(after.length).toBeLessThan(150);
    expect(after[0]).toBeGreaterThan(0);
    // The last row is really on screen: its box sits inside the scroller's.
    const box = (await scroller.boundingBox())!;
    const last = (await iadiResult.getByTestId('record-row').last().boundingBox())!;
    expect(last.y + last.height).toBeLessThanOrEqual(box.y + box.height + 1);
    expect(last.y).toBeGreaterThanOrEqual(box.y);

    expect(problems).toEqual([]);
    await page.close();
  });
});
