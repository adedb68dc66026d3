// Replaced at build time from package.json (esbuild `define` in scripts/build-main.mjs, Vite/Vitest `define`).
declare const __APP_VERSION__: string;
export const APP_VERSION: string = __APP_VERSION__;
