import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SQLITE_BINDING_ENV, bundlePaths, dbPathFromArgv, sqliteNativeBinding } from '../../../main/electron/runtime-paths';

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
