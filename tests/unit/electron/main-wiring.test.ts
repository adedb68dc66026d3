/**
 * Loads the real main/electron/main.ts against a fake 'electron' module and a fake core, and
 * checks that the thin wiring applies every rule: single-instance lock, sandbox, privileged
 * app:// scheme, hardened window, denied permissions/windows/navigation/webviews, IPC with the
 * sender check, events to the window, and a clean core shutdown.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CALL_NAMES, ipcChannelForCall, ipcChannelForEvent } from '../../../main/api/contract';
import { APP_ENTRY_URL, APP_SCHEME, SECURE_WEB_PREFERENCES, contentSecurityPolicy } from '../../../main/electron/security-rules';

type Fn = (...args: any[]) => any;

// Node 20 has no Promise.withResolvers.
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function makeFakeElectron(opts: { gotLock: boolean }) {
  const app = Object.assign(new EventEmitter(), {
    isPackaged: false,
    calls: [] as string[],
    requestSingleInstanceLock: () => opts.gotLock,
    quit: vi.fn(),
    exit: vi.fn(),
    enableSandbox: vi.fn(),
    whenReady: () => ready.promise,
    getAppPath: () => '/src/ddi',
    getPath: () => '/home/me/Documents',
  });
  const ready = deferred();

  const protocolHandlers = new Map<string, Fn>();
  const sessionEvents = new EventEmitter();
  const defaultSession = Object.assign(sessionEvents, {
    permissionRequest: null as Fn | null,
    permissionCheck: null as Fn | null,
    devicePermission: null as Fn | null,
    beforeRequest: null as Fn | null,
    headersReceived: null as Fn | null,
    setPermissionRequestHandler(h: Fn) {
      this.permissionRequest = h;
    },
    setPermissionCheckHandler(h: Fn) {
      this.permissionCheck = h;
    },
    setDevicePermissionHandler(h: Fn) {
      this.devicePermission = h;
    },
    spellChecker: true,
    setSpellCheckerEnabled(on: boolean) {
      this.spellChecker = on;
    },
    webRequest: {
      onBeforeRequest: (h: Fn) => {
        defaultSession.beforeRequest = h;
      },
      onHeadersReceived: (h: Fn) => {
        defaultSession.headersReceived = h;
      },
    },
    protocol: { handle: (scheme: string, h: Fn) => protocolHandlers.set(scheme, h) },
  });

  const ipcHandlers = new Map<string, Fn>();
  const windows: FakeWindow[] = [];
  class FakeWebContents extends EventEmitter {
    sent: [string, unknown][] = [];
    windowOpenHandler: Fn | null = null;
    mainFrame = { url: APP_ENTRY_URL, parent: null };
    send(channel: string, payload: unknown) {
      this.sent.push([channel, payload]);
    }
    setWindowOpenHandler(h: Fn) {
      this.windowOpenHandler = h;
    }
  }
  class FakeWindow extends EventEmitter {
    webContents = new FakeWebContents();
    loaded: string | null = null;
    constructor(readonly options: { webPreferences: Record<string, unknown> }) {
      super();
      windows.push(this);
      // Electron emits web-contents-created for every new WebContents.
      app.emit('web-contents-created', {}, this.webContents);
    }
    loadURL(url: string) {
      this.loaded = url;
      return Promise.resolve();
    }
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
    show() {}
    focus() {}
    restore() {}
  }

  const module = {
    app,
    BrowserWindow: FakeWindow,
    dialog: { showErrorBox: vi.fn(), showSaveDialog: vi.fn() },
    ipcMain: { handle: (ch: string, h: Fn) => ipcHandlers.set(ch, h), removeHandler: (ch: string) => ipcHandlers.delete(ch) },
    protocol: { registerSchemesAsPrivileged: vi.fn() },
    session: { defaultSession },
  };
  return { module, app, ready, defaultSession, protocolHandlers, ipcHandlers, windows };
}

function makeFakeCore() {
  const emitter = new EventEmitter();
  const core = {
    opened: [] as unknown[],
    handled: [] as [string, unknown][],
    closed: false,
    handle: async (name: string, input: unknown) => {
      core.handled.push([name, input]);
      return { answered: name };
    },
    on: (event: string, listener: Fn) => {
      emitter.on(event, listener);
      return () => emitter.off(event, listener);
    },
    emit: (event: string, payload: unknown) => emitter.emit(event, payload),
    exportSession: vi.fn(async () => {}),
    close: async () => {
      core.closed = true;
    },
  };
  return core;
}

async function loadMain(gotLock = true) {
  vi.resetModules();
  const fake = makeFakeElectron({ gotLock });
  const core = makeFakeCore();
  vi.doMock('electron', () => fake.module);
  vi.doMock('../../../main/core/app-core', () => ({
    AppCore: {
      open: (o: unknown) => {
        core.opened.push(o);
        return core;
      },
    },
  }));
  await import('../../../main/electron/main');
  return { ...fake, core };
}

// main.ts quits on SIGTERM/SIGINT/SIGHUP; every loadMain() adds those handlers to this test process,
// which must not keep them (they would swallow the runner's own signals).
const QUIT_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
const signalBaseline = new Map(QUIT_SIGNALS.map((s) => [s, process.listeners(s)]));
afterEach(() => {
  for (const s of QUIT_SIGNALS) for (const l of process.listeners(s)) if (!signalBaseline.get(s)!.includes(l)) process.off(s, l);
});

afterEach(() => {
  vi.doUnmock('electron');
  vi.doUnmock('../../../main/core/app-core');
  vi.resetModules();
});

describe('Electron main wiring', () => {
  it('a second instance quits without setting anything up', async () => {
    const { app, module, ipcHandlers } = await loadMain(false);
    expect(app.quit).toHaveBeenCalled();
    expect(app.enableSandbox).not.toHaveBeenCalled();
    expect(module.protocol.registerSchemesAsPrivileged).not.toHaveBeenCalled();
    expect(ipcHandlers.size).toBe(0);
  });

  it('before ready: sandbox for all renderers and a privileged, CSP-bound app:// scheme', async () => {
    const { app, module } = await loadMain();
    expect(app.enableSandbox).toHaveBeenCalled();
    const [schemes] = module.protocol.registerSchemesAsPrivileged.mock.calls[0]!;
    expect(schemes).toEqual([{ scheme: APP_SCHEME, privileges: expect.objectContaining({ standard: true, secure: true }) }]);
    expect(schemes[0].privileges.bypassCSP).toBeUndefined();
  });

  it('after ready: hardened window on app://, all permissions denied, remote requests cancelled', async () => {
    const { ready, windows, defaultSession, core } = await loadMain();
    ready.resolve();
    await vi.waitFor(() => expect(windows).toHaveLength(1));
    const win = windows[0]!;
    expect(win.options.webPreferences).toMatchObject(SECURE_WEB_PREFERENCES);
    expect(win.options.webPreferences.preload).toMatch(/preload[\\/]index\.cjs$/);
    expect(win.loaded).toBe(APP_ENTRY_URL);
    expect(core.opened[0]).toMatchObject({ transport: 'electron' });

    const granted: boolean[] = [];
    defaultSession.permissionRequest!(win.webContents, 'media', (g: boolean) => granted.push(g), { requestingUrl: APP_ENTRY_URL });
    expect(granted).toEqual([false]);
    expect(defaultSession.permissionCheck!(win.webContents, 'serial', 'app://ddi', {})).toBe(false);
    expect(defaultSession.devicePermission!({})).toBe(false);
    // No dictionary downloads from Google's servers.
    expect(defaultSession.spellChecker).toBe(false);

    const decide = (url: string) => {
      let response: unknown;
      defaultSession.beforeRequest!({ url }, (r: unknown) => (response = r));
      return response;
    };
    expect(decide('https://cdn.example.com/x.js')).toEqual({ cancel: true });
    expect(decide(`${APP_ENTRY_URL}`)).toEqual({ cancel: false });

    let headers: Record<string, string[]> = {};
    defaultSession.headersReceived!(
      { url: APP_ENTRY_URL, responseHeaders: { 'content-security-policy': ['default-src *'] } },
      (r: { responseHeaders: Record<string, string[]> }) => (headers = r.responseHeaders),
    );
    expect(headers['content-security-policy']).toBeUndefined();
    expect(headers['Content-Security-Policy']).toEqual([contentSecurityPolicy()]);
    let devtools: unknown = 'unset';
    defaultSession.headersReceived!({ url: 'devtools://devtools/bundled/inspector.html', responseHeaders: {} }, (r: unknown) => (devtools = r));
    expect(devtools).toEqual({});

    const serial = { preventDefault: vi.fn() };
    const pick = vi.fn();
    defaultSession.emit('select-serial-port', serial, [{ portId: 'x' }], win.webContents, pick);
    expect(serial.preventDefault).toHaveBeenCalled();
    expect(pick).toHaveBeenCalledWith('');
  });

  it('every WebContents denies new windows, foreign navigation and webviews', async () => {
    const { ready, windows } = await loadMain();
    ready.resolve();
    await vi.waitFor(() => expect(windows).toHaveLength(1));
    const wc = windows[0]!.webContents;
    expect(wc.windowOpenHandler!({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      const away = { url: 'https://example.com/', preventDefault: vi.fn() };
      const inside = { url: `${APP_ENTRY_URL}#/sessions`, preventDefault: vi.fn() };
      wc.emit(event, away);
      wc.emit(event, inside);
      expect(away.preventDefault, event).toHaveBeenCalled();
      expect(inside.preventDefault, event).not.toHaveBeenCalled();
    }
    const webview = { preventDefault: vi.fn() };
    wc.emit('will-attach-webview', webview, {}, {});
    expect(webview.preventDefault).toHaveBeenCalled();
  });

  it('answers IPC from the window top frame only, and forwards core events to the window', async () => {
    const { ready, windows, ipcHandlers, core } = await loadMain();
    ready.resolve();
    await vi.waitFor(() => expect(windows).toHaveLength(1));
    const wc = windows[0]!.webContents;
    expect([...ipcHandlers.keys()].sort()).toEqual(CALL_NAMES.map(ipcChannelForCall).sort());

    const list = ipcHandlers.get(ipcChannelForCall('sessions.list'))!;
    expect(await list({ sender: wc, senderFrame: wc.mainFrame }, {})).toEqual({ ok: true, output: { answered: 'sessions.list' } });
    const child = { url: APP_ENTRY_URL, parent: wc.mainFrame };
    expect((await list({ sender: wc, senderFrame: child }, {})).ok).toBe(false);
    expect((await list({ sender: { other: true }, senderFrame: wc.mainFrame }, {})).ok).toBe(false);
    expect(core.handled).toEqual([['sessions.list', {}]]);

    core.emit('meter.status', { state: 'streaming' });
    expect(wc.sent).toEqual([[ipcChannelForEvent('meter.status'), { state: 'streaming' }]]);
  });

  it('serves the renderer through app:// with the CSP', async () => {
    const { ready, windows, protocolHandlers } = await loadMain();
    ready.resolve();
    await vi.waitFor(() => expect(windows).toHaveLength(1));
    const handler = protocolHandlers.get(APP_SCHEME)!;
    const missing: Response = await handler(new Request(APP_ENTRY_URL));
    // main.ts resolves dist/renderer next to its own bundle; from source that folder is absent.
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-security-policy')).toBe(contentSecurityPolicy());
    expect((await handler(new Request(APP_ENTRY_URL, { method: 'POST', body: 'x' }))).status).toBe(405);
  });

  it('opens the core on --db (resolved), the Electron sqlite binding, and a save-dialog export', async () => {
    const savedArgv = process.argv;
    const savedEnv = process.env.DDI_SQLITE_NATIVE_BINDING;
    process.argv = ['/usr/bin/electron', '/src/ddi', '--db', 'rel/lab.sqlite'];
    delete process.env.DDI_SQLITE_NATIVE_BINDING;
    try {
      const { ready, windows, core, module } = await loadMain();
      ready.resolve();
      await vi.waitFor(() => expect(windows).toHaveLength(1));
      const opened = core.opened[0] as { dbPath: string; nativeBinding: string; deliverExport: (id: number, f: 'csv', n: string) => Promise<unknown> };
      expect(opened.dbPath).toBe(resolve('rel/lab.sqlite'));
      expect(opened.nativeBinding).toBe(join('/src/ddi', '.native-electron', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'));

      module.dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: '/home/me/run3' });
      expect(await opened.deliverExport(3, 'csv', 'session-3.csv')).toEqual({ fileName: 'run3.csv', savedTo: '/home/me/run3.csv' });
      expect(core.exportSession).toHaveBeenCalledWith(3, 'csv', '/home/me/run3.csv');
      // The dialog is parented to the window and suggests the core's file name.
      const [parent, options] = module.dialog.showSaveDialog.mock.calls[0]!;
      expect(parent).toBe(windows[0]);
      expect(options.defaultPath).toBe(join('/home/me/Documents', 'session-3.csv'));

      module.dialog.showSaveDialog.mockResolvedValueOnce({ canceled: true, filePath: '' });
      expect(await opened.deliverExport(3, 'csv', 'session-3.csv')).toEqual({ fileName: 'session-3.csv', cancelled: true });
      expect(core.exportSession).toHaveBeenCalledTimes(1);
    } finally {
      process.argv = savedArgv;
      if (savedEnv !== undefined) process.env.DDI_SQLITE_NATIVE_BINDING = savedEnv;
    }
  });

  it('quits after 5 s even if the core never finishes closing', async () => {
    const { ready, windows, app, core } = await loadMain();
    ready.resolve();
    await vi.waitFor(() => expect(windows).toHaveLength(1));
    core.close = () => new Promise<void>(() => {});
    vi.useFakeTimers();
    try {
      app.emit('before-quit', { preventDefault: vi.fn() });
      await vi.advanceTimersByTimeAsync(4_900);
      expect(app.quit).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(200);
      expect(app.quit).toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it('quits through the closing path on SIGTERM, SIGINT and SIGHUP', async () => {
    const { ready, windows, app } = await loadMain();
    ready.resolve();
    await vi.waitFor(() => expect(windows).toHaveLength(1));
    for (const s of QUIT_SIGNALS) {
      const added = process.listeners(s).filter((l) => !signalBaseline.get(s)!.includes(l));
      expect(added).toHaveLength(1);
      app.quit.mockClear();
      (added[0] as (signal: string) => void)(s);
      expect(app.quit).toHaveBeenCalledTimes(1);
    }
  });

  it('closes the core before quitting', async () => {
    const { ready, windows, app, core } = await loadMain();
    ready.resolve();
    await vi.waitFor(() => expect(windows).toHaveLength(1));
    const event = { preventDefault: vi.fn() };
    app.emit('before-quit', event);
    expect(event.preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(core.closed).toBe(true));
    await vi.waitFor(() => expect(app.quit).toHaveBeenCalled());
  });
});

describe('app:// file serving', () => {
  it('serves files under the root with types and CSP, and nothing outside it', async () => {
    const { createAppFileHandler } = await import('../../../main/electron/app-files');
    const base = mkdtempSync(join(tmpdir(), 'ddi-serve-'));
    const root = join(base, 'renderer');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>DDI</title>');
    writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(base, 'secret.txt'), 'do not serve');
    // A symlink inside the folder pointing outside it is refused by its real path.
    symlinkSync(join(base, 'secret.txt'), join(root, 'assets', 'link.txt'));
    const handler = createAppFileHandler(root);
    const index: Response = await handler(new Request('app://ddi/'));
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('content-security-policy')).toBe(contentSecurityPolicy());
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await index.text()).toContain('<title>DDI</title>');

    const js: Response = await handler(new Request('app://ddi/assets/app.js'));
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);

    // A client-side route gets the shell; a missing asset does not.
    expect(await (await handler(new Request('app://ddi/sessions/3'))).text()).toContain('<title>DDI</title>');
    expect((await handler(new Request('app://ddi/assets/missing.js'))).status).toBe(404);
    for (const url of ['app://ddi/..%2fsecret.txt', 'app://ddi/../secret.txt', 'app://other/index.html', 'app://ddi/assets/link.txt']) {
      const res: Response = await handler(new Request(url));
      expect(res.status, url).toBe(404);
      expect(await res.text()).not.toContain('do not serve');
    }
  });
});
