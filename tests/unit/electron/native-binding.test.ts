/**
 * The Electron main opens the database with an explicit better-sqlite3 binding (the copy built for
 * Electron's ABI). Here, in Node, the same plumbing is exercised with a copy of the Node build at
 * another path: AppCore.open({ nativeBinding }) must load exactly that file.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppCore } from '../../../main/core/app-core';

const require = createRequire(import.meta.url);
const nodeBuild = join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');

describe('AppCore with an explicit better-sqlite3 binding', () => {
  it('loads the binding from the given path and works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddi-binding-'));
    const binding = join(dir, 'native', 'better_sqlite3.node');
    mkdirSync(dirname(binding));
    copyFileSync(nodeBuild, binding);
    const core = AppCore.open({ dbPath: join(dir, 'db.sqlite'), transport: 'electron', nativeBinding: binding });
    try {
      expect(await core.handle('sessions.list', {})).toEqual([]);
      // The copy is what the process loaded (the default build was never required here).
      expect(Object.keys(require.cache).some((k) => k === binding)).toBe(true);
      expect(Object.keys(require.cache).some((k) => k === nodeBuild)).toBe(false);
    } finally {
      await core.close();
    }
  });

  it('fails with one sentence when the binding is missing or not a native module', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddi-binding-bad-'));
    const notAddon = join(dir, 'better_sqlite3.node');
    writeFileSync(notAddon, 'this is not a shared library');
    for (const nativeBinding of [join(dir, 'missing', 'better_sqlite3.node'), notAddon]) {
      expect(() => AppCore.open({ dbPath: join(dir, 'db.sqlite'), transport: 'electron', nativeBinding })).toThrow(
        /^Cannot open the database [\s\S]*better_sqlite3\.node[\s\S]*; check the path and its permissions\.$/,
      );
    }
  });
});
