// The desktop app's path, as close to Electron as this machine allows (the Electron binary cannot
// be downloaded here). In real Chromium, the built renderer is served by the shell's own app://
// handler (createAppFileHandler, with its CSP header), talks to `window.ddi` built by the real
// preload bridge (preload/bridge.ts, bundled for the page), whose "ipcRenderer" reaches the real
// IPC handlers (registerIpc) in front of a real AppCore with the simulated meter; core events come
// back through forwardEvents. Every request that is not the app's own is refused, like the shell's
// onBeforeRequest filter. So this covers the renderer's Electron transport, the bridge's error
// path, the save-dialog export and the renderer under the shell's CSP, end to end.
import { build } from 'esbuild';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppCore } from '../../main/core/app-core';
import { createAppFileHandler } from '../../main/electron/app-files';
import { createDeliverExport } from '../../main/electron/export-flow';
import { forwardEvents, registerIpc, type InvokeEventLike, type IpcMainLike } from '../../main/electron/ipc';
import { APP_ENTRY_URL, APP_ORIGIN, contentSecurityPolicy, isRequestAllowed } from '../../main/electron/security-rules';
import { assertBuilt, launchChromium, ROOT, type Browser } from './harness';

// Chromium cannot load an unregistered app:// scheme, so the page lives at a *.localhost origin
// (potentially trustworthy, like the shell's secure app:// scheme, so COOP applies) and every
// request is answered by Playwright's router with the app:// handler, the URL mapped back; nothing
// reaches the network.
const PAGE_ORIGIN = 'http://ddi-app.localhost';
const toAppUrl = (url: string) => (url.startsWith(PAGE_ORIGIN) ? APP_ORIGIN + url.slice(PAGE_ORIGIN.length) : url);

let dir: string;
let core: AppCore;
let browser: Browser;
const savedPaths: string[] = [];
const handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => unknown>();

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ddi-e2e-electron-'));
  let exportCount = 0;
  core = AppCore.open({
    dbPath: join(dir, 'app.sqlite'),
    transport: 'electron',
    // The shell's export flow with the native dialog replaced by "the user picked this path".
    deliverExport: createDeliverExport({
      askSavePath: async (suggested) => {
        const path = join(dir, `picked-${++exportCount}-${suggested}`);
        savedPaths.push(path);
        return path;
      },
      exportTo: (id, format, path) => core.exportSession(id, format, path),
    }),
  });
  const ipcMain: IpcMainLike = {
    handle: (channel, listener) => handlers.set(channel, listener),
    removeHandler: (channel) => handlers.delete(channel),
  };
  registerIpc({ ipcMain, isMainWindow: (s) => s === MAIN_WINDOW, dispatch: (name, input) => core.handle(name, input) });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await core?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const MAIN_WINDOW = { id: 'main-window' };
/** What Electron would report for a call from the main window's top frame at the app origin. */
const topFrameEvent: InvokeEventLike = { sender: MAIN_WINDOW, senderFrame: { url: APP_ENTRY_URL, parent: null } };

async function bridgeScript(): Promise<string> {
  const out = await build({
    entryPoints: [join(ROOT, 'preload', 'bridge.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: '__ddiPreload',
    platform: 'browser',
    target: 'chrome120',
    logLevel: 'silent',
  });
  // Stands in for the preload: ipcRenderer becomes two Playwright bindings. The Electron event
  // object handed to listeners carries a marker the page must never see.
  return `${out.outputFiles[0]!.text}
;(() => {
  const listeners = new Map();
  const ipcRenderer = {
    invoke: (channel, ...args) => window.__ddiInvoke(channel, args),
    on: (channel, l) => { let s = listeners.get(channel); if (!s) listeners.set(channel, (s = new Set())); s.add(l); },
    removeListener: (channel, l) => { listeners.get(channel)?.delete(l); },
  };
  Object.defineProperty(window, '__ddiEmit', {
    value: (channel, payload) => { for (const l of listeners.get(channel) ?? []) l({ sender: 'IPC-RENDERER-MARKER' }, payload); },
  });
  window.ddi = __ddiPreload.createBridge(ipcRenderer);
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber + ':' + e.columnNumber));
})();`;
}

async function openDesktopPage(): Promise<{ page: Page; csp: string | undefined; problems: string[]; blocked: string[]; stop: () => void }> {
  const page = await browser.context.newPage();
  const problems: string[] = [];
  const blocked: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  const serve = createAppFileHandler(join(ROOT, 'dist', 'renderer'));
  await page.route('**/*', async (route) => {
    const request = route.request();
    const url = toAppUrl(request.url());
    if (!isRequestAllowed(url)) {
      blocked.push(request.url());
      return route.abort('blockedbyclient');
    }
    const res = await serve(new Request(url, { method: request.method() }));
    return route.fulfill({
      status: res.status,
      headers: Object.fromEntries(res.headers.entries()),
      body: Buffer.from(await res.arrayBuffer()),
    });
  });
  await page.exposeFunction('__ddiInvoke', async (channel: string, args: unknown[]) => {
    const handler = handlers.get(channel);
    if (!handler) return { ok: false, error: { message: `No handler for ${channel}.`, code: 'no-handler' } };
    return handler(topFrameEvent, ...args);
  });
  await page.addInitScript({ content: await bridgeScript() });
  const stop = forwardEvents(core, (channel, payload) => {
    page.evaluate(([c, p]) => (window as unknown as { __ddiEmit(c: string, p: unknown): void }).__ddiEmit(c, p), [channel, payload] as const).catch(() => {});
  });
  const response = await page.goto(`${PAGE_ORIGIN}/index.html`);
  return { page, csp: response?.headers()['content-security-policy'], problems, blocked, stop };
}

/**
 * zod 4 checks once whether `Function('')` is allowed (inside try/catch) before choosing its JIT
 * parser; under a CSP without 'unsafe-eval' the probe throws, zod falls back, and Chromium still
 * reports a script-src violation. That report is the CSP working, not a problem. It is recognised
 * by the exact source it points at; anything else that tries eval fails the test. (The renderer
 * can silence it with `z.config({ jitless: true })` at start-up.)
 */
function isEvalProbe(violation: string): boolean {
  const m = /^script-src eval at .*?(\/assets\/[^:]+):(\d+):(\d+)$/.exec(violation);
  if (!m) return false;
  const line = readFileSync(join(ROOT, 'dist', 'renderer', m[1]!), 'utf8').split('\n')[Number(m[2]) - 1] ?? '';
  const col = Number(m[3]) - 1;
  return line.slice(col).startsWith('Function(``)') && line.slice(Math.max(0, col - 20), col).endsWith('try{return ');
}

async function grows(read: () => Promise<number>, than: number, what: string): Promise<number> {
  for (let i = 0; i < 300; i++) {
    const v = await read();
    if (v > than) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not grow beyond ${than}`);
}

describe('the desktop app path in Chromium (app:// handler + preload bridge + IPC handlers + core)', () => {
  it('serves the renderer with the shell CSP, uses window.ddi, records, and exports through the save flow', async () => {
    const { page, csp, problems, blocked, stop } = await openDesktopPage();
    try {
      // The page really carries the shell's header CSP (on top of the build's meta CSP).
      expect(csp).toBe(contentSecurityPolicy());

      await page.getByTestId('status-connection').and(page.locator('[data-state="open"]')).waitFor();
      // The renderer took the Electron transport, and the core says so too.
      const info = await page.evaluate(() =>
        (window as unknown as { ddi: { transport: string; call(n: string, i: unknown): Promise<{ transport: string }> } }).ddi.call('app.info', {}),
      );
      expect(info.transport).toBe('electron');
      expect(await page.evaluate(() => (window as unknown as { ddi: { transport: string } }).ddi.transport)).toBe('electron');

      // Connect the simulated meter and watch the live trace grow over forwarded events.
      await page.getByTestId('page-meters').waitFor();
      await page.getByTestId('connect').click();
      await page.getByTestId('meter-state').filter({ hasText: 'streaming' }).waitFor();
      const points = () => page.getByTestId('live-points').textContent().then(Number);
      await grows(points, await grows(points, 0, 'live buckets'), 'live buckets');

      // Record about 2 s, stop, open the session.
      await page.getByTestId('session-name').fill('desktop path');
      await page.getByTestId('record-start').click();
      await page.getByTestId('status-recording').filter({ hasText: 'REC' }).waitFor();
      await grows(async () => Number(await page.getByTestId('record-elapsed').getAttribute('data-seconds')), 2, 'recording time');
      await page.getByTestId('record-stop').click();
      await page.getByTestId('record-done-link').click();
      await page.getByTestId('page-session').waitFor();
      const samples = Number(await page.getByTestId('summary-samples').getAttribute('data-value'));
      expect(samples).toBeGreaterThan(10_000);

      // Export CSV: main "asks" where to save, the core writes there, the page reports the path.
      await page.getByTestId('export-csv').click();
      await page.getByTestId('export-note').filter({ hasText: 'Saved to' }).waitFor();
      const saved = savedPaths.at(-1)!;
      expect(await page.getByTestId('export-note').textContent()).toContain(saved);
      expect(existsSync(saved)).toBe(true);
      const lines = readFileSync(saved, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0);
      expect(lines[0]).toBe('time_s,current_A,voltage_V,power_W');
      expect(lines.length - 1).toBe(samples);

      // A core error crosses IPC and the bridge as the core's sentence, without IPC plumbing.
      await page.goto(`${PAGE_ORIGIN}/index.html#/sessions/999999`);
      const err = page.getByTestId('session-error');
      await err.waitFor();
      expect(await err.textContent()).toMatch(/999999/);
      expect(await err.textContent()).not.toMatch(/Error invoking remote method|Error:/);

      // Disconnect; nothing left in the page's hands that could reach IPC directly.
      await page.getByTestId('nav-meters').click();
      await page.getByTestId('disconnect').click();
      await page.getByTestId('connect').waitFor();
      const keys = await page.evaluate(() => Object.keys((window as unknown as { ddi: object }).ddi).sort());
      expect(keys).toEqual(['call', 'calls', 'on', 'transport']);
      await expect(
        page.evaluate(() => (window as unknown as { ddi: { call(n: string, i: unknown): Promise<unknown> } }).ddi.call('shell.openExternal', {})),
      ).rejects.toThrow(/Unknown API call/);

      const violations = await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
      expect(violations.filter((v) => !isEvalProbe(v))).toEqual([]);
      expect(blocked).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      stop();
      await page.close();
    }
  });
});
