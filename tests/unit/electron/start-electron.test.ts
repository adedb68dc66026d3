/**
 * `npm start`'s native-module strategy: better-sqlite3 is rebuilt for Electron in a copy under
 * .native-electron/, never in node_modules (which must stay built for Node so `npm test` works).
 */
import { Rebuilder } from '@electron/rebuild/lib/rebuild';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NATIVE_ELECTRON_DIR, sqliteBindingIn as mainSideBinding } from '../../../main/electron/runtime-paths';
import {
  NATIVE_DIR,
  dropForeignBuildTarget,
  electronBinary,
  isForeignBuildTargetVar,
  isBuildStale,
  prepareElectronNative,
  sqliteBindingIn,
  type RebuildOptions,
} from '../../../scripts/lib/electron-native.mjs';

function write(path: string, content: string | Buffer) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** A miniature repo: a package.json and a node_modules/better-sqlite3 built "for Node". */
function fakeRepo() {
  const root = mkdtempSync(join(tmpdir(), 'ddi-start-'));
  write(join(root, 'package.json'), JSON.stringify({ name: 'x', dependencies: { 'better-sqlite3': '12.9.0' } }));
  const mod = join(root, 'node_modules', 'better-sqlite3');
  write(join(mod, 'package.json'), JSON.stringify({ name: 'better-sqlite3', version: '12.9.0', dependencies: { 'prebuild-install': '^7' } }));
  write(join(mod, 'binding.gyp'), '{}');
  write(join(mod, 'src', 'better_sqlite3.cpp'), '// source');
  write(join(mod, 'build', 'Release', 'better_sqlite3.node'), 'NODE-ABI-115');
  return { root, nodeBinding: join(mod, 'build', 'Release', 'better_sqlite3.node') };
}

/** Stands in for @electron/rebuild: "compiles" the copy it is pointed at. */
function fakeRebuild(calls: RebuildOptions[], sideEffect?: (o: RebuildOptions) => void) {
  return async (o: RebuildOptions) => {
    calls.push(o);
    // The Node build output was not copied along.
    expect(existsSync(join(o.buildPath, 'node_modules', 'better-sqlite3', 'build'))).toBe(false);
    expect(existsSync(join(o.buildPath, 'node_modules', 'better-sqlite3', 'src', 'better_sqlite3.cpp'))).toBe(true);
    write(sqliteBindingIn(o.buildPath), `ELECTRON-${o.electronVersion}`);
    sideEffect?.(o);
  };
}

describe('prepareElectronNative', () => {
  it('builds the Electron copy in .native-electron and leaves node_modules untouched', async () => {
    const { root, nodeBinding } = fakeRepo();
    const calls: RebuildOptions[] = [];
    const res = await prepareElectronNative({ root, electronVersion: '44.11.5', rebuild: fakeRebuild(calls) });
    expect(res).toEqual({ binding: join(root, NATIVE_DIR, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), rebuilt: true });
    expect(readFileSync(res.binding, 'utf8')).toBe('ELECTRON-44.11.5');
    expect(readFileSync(nodeBinding, 'utf8')).toBe('NODE-ABI-115');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      buildPath: join(root, NATIVE_DIR),
      projectRootPath: join(root, NATIVE_DIR),
      electronVersion: '44.11.5',
      onlyModules: ['better-sqlite3'],
      force: true,
    });
  });

  it('skips the rebuild when the stamp matches, redoes it when Electron changes', async () => {
    const { root } = fakeRepo();
    const calls: RebuildOptions[] = [];
    await prepareElectronNative({ root, electronVersion: '44.11.5', rebuild: fakeRebuild(calls) });
    expect((await prepareElectronNative({ root, electronVersion: '44.11.5', rebuild: fakeRebuild(calls) })).rebuilt).toBe(false);
    expect(calls).toHaveLength(1);
    const again = await prepareElectronNative({ root, electronVersion: '44.12.0', rebuild: fakeRebuild(calls) });
    expect(again.rebuilt).toBe(true);
    expect(readFileSync(again.binding, 'utf8')).toBe('ELECTRON-44.12.0');
  });

  it('fails loudly if a rebuild touched the Node copy', async () => {
    const { root, nodeBinding } = fakeRepo();
    const tamper = fakeRebuild([], () => writeFileSync(nodeBinding, 'ELECTRON-IN-PLACE'));
    await expect(prepareElectronNative({ root, electronVersion: '44.11.5', rebuild: tamper })).rejects.toThrow(/npm rebuild better-sqlite3/);
  });

  it('fails when the rebuild produced no binding, and does not leave a stamp', async () => {
    const { root } = fakeRepo();
    await expect(prepareElectronNative({ root, electronVersion: '44.11.5', rebuild: async () => {} })).rejects.toThrow(/was not produced/);
    expect(existsSync(join(root, NATIVE_DIR, 'stamp.json'))).toBe(false);
  });

  it('agrees with the Electron main process on where the binding lives', () => {
    expect(NATIVE_DIR).toBe(NATIVE_ELECTRON_DIR);
    expect(sqliteBindingIn('/r/.native-electron')).toBe(mainSideBinding('/r/.native-electron'));
  });
});

describe('@electron/rebuild with our options', () => {
  async function modulesToRebuild(buildPath: string, projectRootPath?: string): Promise<string[]> {
    const r = new Rebuilder({
      buildPath,
      electronVersion: '44.11.5',
      lifecycle: new EventEmitter(),
      onlyModules: ['better-sqlite3'],
      ...(projectRootPath ? { projectRootPath } : {}),
    });
    // The first half of Rebuilder.rebuild(): collect the module folders it would compile.
    const walker = (
      r as unknown as {
        moduleWalker: {
          walkModules(): Promise<void>;
          nodeModulesPaths: Promise<string[]>;
          findAllModulesIn(p: string): Promise<void>;
          modulesToRebuild: string[];
        };
      }
    ).moduleWalker;
    await walker.walkModules();
    for (const p of await walker.nodeModulesPaths) await walker.findAllModulesIn(p);
    return walker.modulesToRebuild;
  }

  it('targets only the copy when projectRootPath is the copy folder (and would hit node_modules without it)', async () => {
    const { root } = fakeRepo();
    await prepareElectronNative({ root, electronVersion: '44.11.5', rebuild: fakeRebuild([]) });
    const buildPath = join(root, NATIVE_DIR);
    expect(await modulesToRebuild(buildPath, buildPath)).toEqual([join(buildPath, 'node_modules', 'better-sqlite3')]);
    // Why the option matters: left to itself the walker climbs to the repo's package.json.
    expect(await modulesToRebuild(buildPath)).toContain(join(root, 'node_modules', 'better-sqlite3'));
  });
});

describe('build staleness and the Electron binary', () => {
  it('rebuilds when an output is missing or a source is newer', () => {
    const root = mkdtempSync(join(tmpdir(), 'ddi-stale-'));
    const outputs = ['dist/a.cjs', 'dist/b/index.html'];
    write(join(root, 'main', 'x.ts'), 'x');
    expect(isBuildStale(root, outputs, ['main'])).toBe(true);
    for (const o of outputs) write(join(root, o), 'built');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(root, 'main', 'x.ts'), old, old);
    expect(isBuildStale(root, outputs, ['main'])).toBe(false);
    write(join(root, 'main', 'deep', 'y.ts'), 'changed');
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'main', 'deep', 'y.ts'), future, future);
    expect(isBuildStale(root, outputs, ['main'])).toBe(true);
  });

  it('finds the binary the way the electron package records it', () => {
    const root = mkdtempSync(join(tmpdir(), 'ddi-bin-'));
    expect(electronBinary(root).installed).toBe(false);
    write(join(root, 'node_modules', 'electron', 'path.txt'), 'electron');
    expect(electronBinary(root)).toEqual({ installed: false, path: join(root, 'node_modules', 'electron', 'dist', 'electron') });
    write(join(root, 'node_modules', 'electron', 'dist', 'electron'), 'ELF');
    expect(electronBinary(root).installed).toBe(true);
  });
});

describe('package.json', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));

  it('starts through the start script and never rebuilds natives for Electron on install', () => {
    expect(pkg.scripts.start).toBe('node scripts/start-electron.mjs');
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) {
      expect(pkg.scripts[hook] ?? '').not.toMatch(/electron-rebuild|@electron\/rebuild|install-app-deps|--runtime=electron/);
    }
  });

  it('pins electron, @electron/rebuild and electron-builder exactly', () => {
    expect(pkg.devDependencies.electron).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.devDependencies['@electron/rebuild']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.devDependencies['electron-builder']).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe("npm's build-target variables", () => {
  it('are dropped before the Electron rebuild, nothing else is', () => {
    const env: Record<string, string | undefined> = {
      npm_config_nodedir: '/usr',
      NPM_CONFIG_TARGET: '20.20.2',
      npm_config_runtime: 'node',
      npm_config_disturl: 'https://nodejs.org/dist',
      npm_config_cache: '/root/.npm',
      npm_config_cafile: '/etc/ssl/certs/ca-certificates.crt',
      PATH: '/usr/bin',
    };
    expect(dropForeignBuildTarget(env).sort()).toEqual(['NPM_CONFIG_TARGET', 'npm_config_disturl', 'npm_config_nodedir', 'npm_config_runtime']);
    expect(Object.keys(env).sort()).toEqual(['PATH', 'npm_config_cache', 'npm_config_cafile']);
    expect(isForeignBuildTargetVar('npm_config_nodedir_extra')).toBe(false);
  });
});
