// The Meters form in Chromium: a port the scan cannot find is typed (an SCPI instrument on TCP,
// served by the emulator the driver tests use), a stale error goes away with the driver it was
// about, and driver, port and settings survive another page and a reload.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScpiTcpEmulator } from '../unit/meters/emulators/scpi-emulator';
import { assertBuilt, launchChromium, startServe, type Browser, type ServeProcess } from './harness';

let dir: string;
let server: ServeProcess | null = null;
let browser: Browser;
const instrument = new ScpiTcpEmulator();
let instrumentPort = 0;

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ddi-e2e-form-'));
  server = await startServe(join(dir, 'test.db'));
  browser = await launchChromium();
  instrumentPort = await instrument.listen();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await instrument.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function meters(page: Page): Promise<void> {
  await page.getByTestId('nav-meters').click();
  await page.getByTestId('meter-picker').getByTestId('driver-select').locator('option').first().waitFor({ state: 'attached' });
}

describe('the Meters form', () => {
  it('takes a typed TCP port, clears a stale error on a driver change, and keeps its state across pages and reloads', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(server!.url);
    await page.getByTestId('status-connection').and(page.locator('[data-state="open"]')).waitFor();
    await page.getByTestId('meter-picker').getByTestId('sim-badge').waitFor();
    expect(await page.getByTestId('driver-select').inputValue()).toBe('sim');

    // scpi without a port: one sentence saying a port can be typed.
    await page.getByTestId('driver-select').selectOption('scpi');
    await page.getByTestId('port-input').fill('');
    await page.getByTestId('connect').click();
    const error = page.getByTestId('meter-error');
    await error.filter({ hasText: 'The scpi driver needs a port' }).waitFor();
    expect(await error.textContent()).toMatch(/type it \(e\.g\. \/dev\/rfcomm0 or tcp:\/\/HOST:5025\)/);

    // Switching to ppk2 and rescanning: the scpi error is gone.
    await page.getByTestId('driver-select').selectOption('ppk2');
    await page.getByTestId('rescan').click();
    await page.getByTestId('rescan').filter({ hasText: 'Rescan' }).waitFor();
    expect(await page.getByTestId('meter-error').count()).toBe(0);

    // A TCP instrument the scan cannot list, typed as the whole spec; settings typed too.
    await page.getByTestId('driver-select').selectOption('scpi');
    await page.getByTestId('port-input').fill(`scpi:tcp://127.0.0.1:${instrumentPort}`);
    await page.getByTestId('setting-pollMs').fill('150');
    await page.getByTestId('connect').click();
    await page.getByTestId('meter-state').filter({ hasText: 'streaming' }).waitFor();

    // Another page and back: the form shows the meter in use, not the simulated default.
    await page.getByTestId('nav-sessions').click();
    await page.getByTestId('page-sessions').waitFor();
    await meters(page);
    await expect.poll(() => page.getByTestId('driver-select').inputValue()).toBe('scpi');
    expect(await page.getByTestId('port-input').inputValue()).toMatch(new RegExp(`tcp://127\\.0\\.0\\.1:${instrumentPort}$`));
    expect(await page.getByTestId('setting-pollMs').inputValue()).toBe('150');
    await page.getByTestId('disconnect').click();
    await page.getByTestId('connect').waitFor();

    // Not connected: ppk2 with a typed pty path stays chosen across a page change and a reload.
    await page.getByTestId('driver-select').selectOption('ppk2');
    await page.getByTestId('port-input').fill('/tmp/ppk2-link');
    await page.getByTestId('nav-sessions').click();
    await page.getByTestId('page-sessions').waitFor();
    await meters(page);
    await expect.poll(() => page.getByTestId('driver-select').inputValue()).toBe('ppk2');
    expect(await page.getByTestId('port-input').inputValue()).toBe('/tmp/ppk2-link');
    await page.reload();
    await page.getByTestId('status-connection').and(page.locator('[data-state="open"]')).waitFor();
    await expect.poll(() => page.getByTestId('driver-select').inputValue()).toBe('ppk2');
    expect(await page.getByTestId('port-input').inputValue()).toBe('/tmp/ppk2-link');
    // scpi's settings were kept for it while another driver was chosen.
    await page.getByTestId('driver-select').selectOption('scpi');
    expect(await page.getByTestId('setting-pollMs').inputValue()).toBe('150');
    expect(problems).toEqual([]);
    await page.close();
  });
});
