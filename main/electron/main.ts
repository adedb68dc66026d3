/**
 * Electron main process: app lifecycle, the one window, and wiring between Electron and the core.
 * Everything that does work lives in the Electron-free core (main/core); every security decision
 * is a tested pure function in security-rules.ts. See docs/electron.md.
 */
import { app, BrowserWindow, dialog, ipcMain, session } from 'electron';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppCore } from '../core/app-core';
import { defaultDatabasePath } from '../store/database';
import { registerAppScheme, serveAppFiles } from './app-protocol';
import { createDeliverExport, saveDialogFilter, type ExportFormat } from './export-flow';
import { hardenSession, hardenWebContents } from './harden';
import { forwardEvents, registerIpc } from './ipc';
import { bundlePaths, dbPathFromArgv, sqliteNativeBinding, startupErrorSentence } from './runtime-paths';
import { APP_ENTRY_URL, SECURE_WEB_PREFERENCES } from './security-rules';

const log = (message: string) => console.error(`[ddi-profiler] ${message}`);

let mainWindow: BrowserWindow | null = null;
let core: AppCore | null = null;
let quitting = false;
const CLOSE_TIMEOUT_MS = 5_000;

function main(): void {
  // Two app instances would fight over the meter's serial port and the database: the second
  // one hands its focus request to the first and exits.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  // Sandbox every renderer, whatever a window's own options say.
  app.enableSandbox();
  registerAppScheme();

  // Applies to every WebContents ever created (windows, devtools, anything a bug might open).
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, log));

  app.on('window-all-closed', () => app.quit());
  // A signal (logout, `kill`, Ctrl-C in the terminal that started the app) ends a recording like a
  // stop: quitting goes through before-quit, which closes the core (drains, writes the status).
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => app.quit());
  app.on('before-quit', (event) => {
    if (quitting || !core) return;
    // Close the meter and the database cleanly (stops a recording, checkpoints WAL) before exit.
    event.preventDefault();
    quitting = true;
    const closing = core;
    core = null;
    // A meter that never answers its close must not keep the app from quitting.
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<void>((done) => {
      timer = setTimeout(() => {
        log(`Closing took longer than ${CLOSE_TIMEOUT_MS / 1000} s; quitting anyway.`);
        done();
      }, CLOSE_TIMEOUT_MS);
    });
    // Cannot reject: the close error is caught and logged, and giveUp only resolves.
    void Promise.race([closing.close().catch((e: unknown) => log(`Error while closing: ${String(e)}`)), giveUp]).finally(() => {
      clearTimeout(timer);
      app.quit();
    });
  });

  app.whenReady().then(start, (e: unknown) => fail(`Electron failed to start: ${String(e)}`));
}

function fail(message: string): void {
  log(message);
  dialog.showErrorBox('DDI Profiler', message);
  app.exit(1);
}

function start(): void {
  const { rendererRoot, preload } = bundlePaths(__dirname);
  const ses = session.defaultSession;
  hardenSession(ses, log);
  serveAppFiles(ses, rendererRoot);

  const dbArg = dbPathFromArgv(process.argv);
  const dbPath = dbArg !== undefined ? resolve(dbArg) : defaultDatabasePath();
  const nativeBinding = sqliteNativeBinding({
    env: process.env,
    isPackaged: app.isPackaged,
    resourcesPath: process.resourcesPath,
    appPath: app.getAppPath(),
  });

  const deliverExport = createDeliverExport({
    askSavePath: async (suggestedName, format: ExportFormat) => {
      const options = {
        title: 'Export session',
        defaultPath: join(app.getPath('documents'), suggestedName),
        filters: [saveDialogFilter(format)],
      };
      const result = mainWindow ? await dialog.showSaveDialog(mainWindow, options) : await dialog.showSaveDialog(options);
      return result.canceled || !result.filePath ? null : result.filePath;
    },
    exportTo: (id, format, path, range) => {
      if (!core) throw new Error('The app is shutting down.');
      return range ? core.exportSession(id, format, path, { range }) : core.exportSession(id, format, path);
    },
  });

  try {
    core = AppCore.open({ dbPath, transport: 'electron', nativeBinding, deliverExport });
  } catch (e) {
    fail(startupErrorSentence(e instanceof Error ? e.message : String(e), nativeBinding, existsSync(nativeBinding)));
    return;
  }
  const openedCore = core;

  registerIpc({
    ipcMain,
    isMainWindow: (sender) => mainWindow !== null && !mainWindow.isDestroyed() && sender === mainWindow.webContents,
    dispatch: (name, rawInput) => {
      if (!core) return Promise.reject(new Error('The app is shutting down.'));
      return core.handle(name, rawInput);
    },
    log,
  });
  forwardEvents(openedCore, (channel, payload) => {
    if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(channel, payload);
  });

  createWindow(preload);
  app.on('activate', () => {
    if (!mainWindow) createWindow(preload);
  });
}

function createWindow(preload: string): void {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 800,
    minHeight: 560,
    title: 'DDI Profiler',
    show: false,
    backgroundColor: '#111418',
    webPreferences: {
      ...SECURE_WEB_PREFERENCES,
      preload,
      devTools: !app.isPackaged,
    },
  });
  mainWindow = win;
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  win.webContents.on('render-process-gone', (_e, details) => log(`Renderer exited: ${details.reason}.`));
  win.loadURL(APP_ENTRY_URL).catch((e: unknown) => fail(`Could not load the app's page: ${String(e)}`));
}

main();
