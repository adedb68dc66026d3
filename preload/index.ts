/**
 * Preload for the main window. It runs sandboxed and context-isolated: bundled by
 * scripts/build-main.mjs into one CommonJS file whose only require is 'electron'.
 * All it does is hand the fixed bridge from bridge.ts to the page as `window.ddi`.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge';

contextBridge.exposeInMainWorld('ddi', createBridge(ipcRenderer));
