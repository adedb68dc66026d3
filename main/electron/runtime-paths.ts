/**
 * Where the Electron main process finds its files, decided by pure functions (no 'electron'
 * import) so the rules are unit-tested: tests/unit/electron/runtime-paths.test.ts.
 */
import { join } from 'node:path';

/** Env var naming a better-sqlite3 binding built for Electron's ABI (set by scripts/start-electron.mjs). */
export const SQLITE_BINDING_ENV = 'DDI_SQLITE_NATIVE_BINDING';

/** Folder, relative to the repo root, that scripts/start-electron.mjs rebuilds native modules into. */
export const NATIVE_ELECTRON_DIR = '.native-electron';

/** Path of the Electron-ABI better-sqlite3 binding inside a module tree rooted at `dir`. */
export function sqliteBindingIn(dir: string): string {
  return join(dir, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
}

export interface BindingContext {
  env: Record<string, string | undefined>;
  isPackaged: boolean;
  /** process.resourcesPath: where electron-builder's extraResources land. */
  resourcesPath: string;
  /** app.getAppPath(): the repo root when run from source. */
  appPath: string;
}

/**
 * Which better-sqlite3 binding Electron's main loads. The copy in node_modules is built for the
 * system Node (so `npm test` works) and would fail in Electron with a NODE_MODULE_VERSION error.
 * - Packaged: always the copy shipped in resources/native. The env var is ignored there on
 *   purpose: an environment variable choosing which native library a signed app loads would be
 *   a code-injection lever, like NODE_OPTIONS (which the packaged app's fuses also disable).
 * - From source: the env var set by `npm start`, else the rebuilt copy it leaves in .native-electron/.
 */
export function sqliteNativeBinding(ctx: BindingContext): string {
  if (ctx.isPackaged) return join(ctx.resourcesPath, 'native', 'better_sqlite3.node');
  const fromEnv = ctx.env[SQLITE_BINDING_ENV];
  if (fromEnv) return fromEnv;
  return sqliteBindingIn(join(ctx.appPath, NATIVE_ELECTRON_DIR));
}

/**
 * `--db PATH` or `--db=PATH` from Electron's argv (the same flag as the CLI). Returns undefined
 * when absent so the store's default (DDI_PROFILER_DB, then the app-data folder) applies.
 */
export function dbPathFromArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--db') {
      const next = argv[i + 1];
      return next !== undefined && next !== '' && !next.startsWith('--') ? next : undefined;
    }
    if (arg.startsWith('--db=')) {
      const value = arg.slice('--db='.length);
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

/** Renderer files and preload, relative to the bundled main (dist/main/electron.cjs). */
export function bundlePaths(mainDir: string): { rendererRoot: string; preload: string } {
  return {
    rendererRoot: join(mainDir, '..', 'renderer'),
    preload: join(mainDir, '..', 'preload', 'index.cjs'),
  };
}

/**
 * The sentence shown when the core cannot start. A binding for the wrong runtime or a missing one
 * is a set-up problem with one fix; Node's own text for it spans several lines of loader detail.
 */
export function startupErrorSentence(message: string, binding: string, bindingExists: boolean): string {
  if (!bindingExists) {
    return `The database module built for Electron is missing (${binding}); start the app with "npm start", which builds it.`;
  }
  if (/NODE_MODULE_VERSION|compiled against a different Node\.js version|not a valid Win32 application|invalid ELF header|wrong ELF class/i.test(message)) {
    return `The database module at ${binding} was built for another runtime; start the app with "npm start", which rebuilds it for Electron.`;
  }
  return message;
}
