// Budgets, calibration and profiling with a calibrated table, from the app in real Chromium against
// the real browser-mode server with the simulated meter: a budget is added on the Budgets page (an
// empty name is refused beside its field first); a short calibration (4 runs: the fewest a gated
// model can be identified with — static, iadi and two budgeted, one held out) shows its progress,
// then the stored table's name, the held-out error and the parameters the runs could not identify;
// "Profile with this table" opens the Run page with the table chosen, and a profiling run with the
// stored budget checked shows that budget's verdict.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, launchChromium, startServe, type Browser, type ServeProcess } from './harness';

const MODEL = 'tiny-random-test';
let dir: string;
let server: ServeProcess | null = null;
let browser: Browser;
const savedTablesDir = process.env.DDI_COST_TABLES_DIR;

beforeAll(async () => {
  assertBuilt();
  // The calibrated table goes beside this test's database.
  delete process.env.DDI_COST_TABLES_DIR;
  dir = mkdtempSync(join(tmpdir(), 'ddi-e2e-calibrate-'));
  server = await startServe(join(dir, 'test.db'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (savedTablesDir !== undefined) process.env.DDI_COST_TABLES_DIR = savedTablesDir;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Budgets and calibration in Chromium', () => {
  it('adds a budget, calibrates with the simulated meter, and profiles with the table and the budget checked', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(server!.url);
    await page.getByTestId('status-connection').and(page.locator('[data-state="open"]')).waitFor();

    // A budget: refused without a name (beside the field), then stored and listed.
    await page.getByTestId('nav-budgets').click();
    await page.getByTestId('page-budgets').waitFor();
    await page.getByTestId('budgets-empty').waitFor();
    await page.getByTestId('budget-value').fill('50');
    await page.getByTestId('budget-add').click();
    expect(await page.getByTestId('budget-form-error').textContent()).toBe('Give the budget a name, e.g. mcu-energy.');
    expect(await page.getByTestId('budget-name').getAttribute('aria-invalid')).toBe('true');
    await page.getByTestId('budget-name').fill('run-energy');
    await page.getByTestId('budget-metric').selectOption('energy_per_run');
    await page.getByTestId('budget-value').fill('50');
    await page.getByTestId('budget-unit').selectOption('J');
    await page.getByTestId('budget-add').click();
    const row = page.locator('[data-testid="budget-row"][data-name="run-energy"]');
    await row.waitFor();
    expect(await row.getByTestId('budget-row-value').textContent()).toBe('50.0 J');

    // The simulated meter.
    await page.getByTestId('nav-meters').click();
    await page.getByTestId('driver-select').waitFor();
    expect(await page.getByTestId('driver-select').inputValue()).toBe('sim');
    await page.getByTestId('connect').click();
    await page.getByTestId('meter-state').filter({ hasText: 'streaming' }).waitFor();

    // Calibrate: 4 short runs on wasm.
    await page.getByTestId('nav-calibrate').click();
    await page.getByTestId('calibrate-meter').getByTestId('sim-badge').waitFor();
    await page.locator(`[data-testid="calibrate-model"] option[value="${MODEL}"]`).waitFor({ state: 'attached' });
    await page.getByTestId('calibrate-model').selectOption(MODEL);
    await page.getByTestId('calibrate-runs').fill('3');
    await page.getByTestId('calibrate-submit').click();
    expect(await page.getByTestId('calibrate-form-error').textContent()).toMatch(/^Runs must be a whole number from 4 to 50/);
    await page.getByTestId('calibrate-runs').fill('4');
    await page.getByTestId('calibrate-limit').fill('60');
    await page.getByTestId('calibrate-backend').selectOption('wasm');
    await page.getByTestId('calibrate-name').fill('e2e-tiny');
    await page.getByTestId('calibrate-warmup').fill('2');
    await page.getByTestId('calibrate-baseline').fill('0.3');
    // A time limit of 1 s: the four planned sessions take longer, so no extension round starts.
    await page.getByTestId('calibrate-maxTime').fill('0.017');
    await page.getByTestId('calibrate-submit').click();
    await page.getByTestId('calibrate-progress').waitFor();
    await page.locator('[data-testid="calibrate-progress"][data-run="2"]').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('calibrate-phase').textContent()).toMatch(/^Session 2 of 4 · /);
    expect(await page.getByTestId('calibrate-cancel').isVisible()).toBe(true);

    const result = page.getByTestId('calibrate-result');
    await result.waitFor({ timeout: 180_000 });
    expect(await page.getByTestId('calibrate-ended').count()).toBe(0);
    expect(await page.getByTestId('calibrate-table-name').textContent()).toBe('e2e-tiny');
    expect(await result.getByTestId('sim-badge').textContent()).toBe('SIMULATED');
    const mape = Number(await page.getByTestId('held-out-mape').getAttribute('data-value'));
    expect(mape).toBeGreaterThanOrEqual(0);
    expect(await page.getByTestId('held-out-mape').textContent()).toMatch(/^\d+\.\d % MAPE \(analytic 45 nm table: \d+\.\d %\)$/);
    // Signed mean error, the measured mean's 95 % interval when there are several observations.
    expect(await page.getByTestId('held-out-total').textContent()).toMatch(
      /^[+−]\d+\.\d % \(measured .+J( ± \d+\.\d % \(95 %\))?, predicted .+J per inference: the run total\)$/,
    );
    // Precision asked 3 %, no extra round; reached or not, the page says which.
    expect(await page.getByTestId('calibrate-precision-result').textContent()).toMatch(/^(reached|NOT reached): .*\(asked ± 3\.0 %\), no extra rounds$/);
    expect(await page.getByTestId('fit-unidentified').first().locator('[data-status="folded"]').count()).toBeGreaterThan(0);

    // Profile with this table: the Run page has it chosen, with its executor.
    await page.getByTestId('calibrate-profile-with').click();
    await page.getByTestId('page-run').waitFor();
    await page.locator('[data-testid="profile-cost-table"] option[value="e2e-tiny"]:not([disabled])').waitFor({ state: 'attached' });
    expect(await page.getByTestId('profile-cost-table').inputValue()).toBe('e2e-tiny');
    expect(await page.getByTestId('profile-backend').inputValue()).toBe('wasm');
    await page.locator(`[data-testid="run-model"] option[value="${MODEL}"]`).waitFor({ state: 'attached' });
    expect(await page.getByTestId('run-model').inputValue()).toBe(MODEL);
    await page.getByTestId('mode-static').check();
    await page.getByTestId('run-limit').fill('20');
    await page.getByTestId('profile-warmup').fill('2');
    await page.getByTestId('profile-baseline').fill('0.5');
    await page.locator('[data-testid="profile-check"][data-name="run-energy"]').check();
    await page.getByTestId('profile-submit').click();

    // The result opens; the stored budget was checked and its verdict is stated.
    const profile = page.getByTestId('profile-result');
    await profile.waitFor({ timeout: 120_000 });
    const verdict = profile.locator('[data-testid="budget-verdict"][data-name="run-energy"]');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-verdict')).toBe('PASS');
    const text = (await verdict.textContent())!;
    expect(text).toMatch(/^PASSrun-energy \(energy per run ≤ 50(\.0+)? J\): 100 % within \(1 of 1\), worst .+J measured$/);
    expect(problems).toEqual([]);
  });
});
