import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SQLITE_BINDING_ENV, bundlePaths, dbPathFromArgv, sqliteNativeBinding, startupErrorSentence } from '../../../main/electron/runtime-paths';

describe('sqliteNativeBinding', () => {
  const base = { resourcesPath: '/opt/DDI Profiler/resources', appPath: '/src/ddi' };

  it('packaged: always the shipped binding, whatever the environment says', () => {
    expect(sqliteNativeBinding({ ...base, isPackaged: true, env: { [SQLITE_BINDING_ENV]: '/tmp/evil.node' } })).toBe(
      join('/opt/DDI Profiler/resources', 'native', 'better_sqlite3.node'),
    );
  });

  it('from source: the binding npm start names, else the rebuilt copy in .native-electron', () => {
    expect(sqliteNativeBinding({ ...base, isPackaged: false, env: { [SQLITE_BINDING_ENV]: '/x/b.node' } })).toBe('/x/b.node');
    expect(sqliteNativeBinding({ ...base, isPackaged: false, env: {} })).toBe(
      join('/src/ddi', '.native-electron', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'),
    );
  });
});

describe('dbPathFromArgv', () => {
  it('reads --db PATH and --db=PATH like the CLI', () => {
    expect(dbPathFromArgv(['/usr/bin/electron', '/src/ddi', '--db', '/tmp/a.sqlite'])).toBe('/tmp/a.sqlite');
    expect(dbPathFromArgv(['DDI Profiler', '--db=/tmp/b.sqlite'])).toBe('/tmp/b.sqlite');
  });

  it('falls back to the default when the flag is absent or has no value', () => {
    expect(dbPathFromArgv(['/usr/bin/electron', '.'])).toBeUndefined();
    expect(dbPathFromArgv(['electron', '.', '--db'])).toBeUndefined();
    expect(dbPathFromArgv(['electron', '.', '--db', '--no-sandbox'])).toBeUndefined();
    expect(dbPathFromArgv(['electron', '.', '--db='])).toBeUndefined();
  });
});

describe('bundlePaths', () => {
  it('finds the renderer and the preload next to the bundled main', () => {
    expect(bundlePaths(join('/app', 'dist', 'main'))).toEqual({
      rendererRoot: join('/app', 'dist', 'renderer'),
      preload: join('/app', 'dist', 'preload', 'index.cjs'),
    });
  });
});

describe('startupErrorSentence', () => {
  const binding = '/src/ddi/.native-electron/node_modules/better-sqlite3/build/Release/better_sqlite3.node';

  it('says to run npm start when the Electron binding is missing', () => {
    expect(startupErrorSentence('Cannot open the database x (Cannot find module ...\nRequire stack:\n- a)', binding, false)).toBe(
      `The database module built for Electron is missing (${binding}); start the app with "npm start", which builds it.`,
    );
  });

  it('says the binding is for another runtime on an ABI mismatch, in one line', () => {
    const nodeText =
      "Cannot open the database x (The module '/x/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 149.); check the path and its permissions.";
    const out = startupErrorSentence(nodeText, binding, true);
    expect(out).toMatch(/built for another runtime; start the app with "npm start"/);
    expect(out).not.toContain('\n');
  });

  it('passes other sentences (e.g. a foreign database) through unchanged', () => {
    const s = '/tmp/x.sqlite is not a DDI Profiler database; choose another --db path.';
    expect(startupErrorSentence(s, binding, true)).toBe(s);
  });
});
