import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// The renderer is built once and loaded two ways: by Electron from packaged files (hence relative
// `base: './'`) and by `ddi-profiler serve` at `/`. For `vite dev`, point DDI_API_PORT at a running
// `ddi-profiler serve --port N` and open the dev page with that server's `?token=`.
const apiPort = process.env.DDI_API_PORT;

// A strict CSP in the built page, so the renderer is locked down however it is served (Electron's
// own header CSP applies on top). Only for builds: Vite's dev server injects inline styles/scripts.
// 'self' covers the same-origin ws:// connection of browser mode in Chromium/Electron.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function cspMeta(): Plugin {
  return {
    name: 'ddi-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head' }],
  };
}

export default defineConfig({
  root: `${here}renderer`,
  base: './',
  plugins: [react(), cspMeta()],
  build: {
    outDir: `${here}dist/renderer`,
    emptyOutDir: true,
    sourcemap: true,
    // Electron 44 and current Chromium only; no need for legacy transforms.
    target: 'chrome130',
  },
  server: apiPort ? { proxy: { '/api': { target: `ws://127.0.0.1:${apiPort}`, ws: true }, '/download': `http://127.0.0.1:${apiPort}` } } : undefined,
});
