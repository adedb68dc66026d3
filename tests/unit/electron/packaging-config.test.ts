/**
 * electron-builder.yml is validated by electron-builder's own loader and schema (offline), and
 * the afterPack hook is run against a fake packaged app to prove it flips the fuses and refuses a
 * package without the Electron-ABI database module. Packaging itself needs the Electron download.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NATIVE_DIR, sqliteBindingIn } from '../../../scripts/lib/electron-native.mjs';

const repo = join(__dirname, '..', '..', '..');
const require = createRequire(import.meta.url);

interface BuilderConfig {
  appId?: string;
  productName?: string;
  files?: unknown[];
  asarUnpack?: string[];
  extraResources?: { from: string; to: string }[];
  npmRebuild?: boolean;
  afterPack?: string;
  linux?: { target?: string[] };
  win?: { target?: string[] };
  mac?: { target?: string[] };
  [key: string]: unknown;
}

async function loadConfig(): Promise<BuilderConfig> {
  const { getConfig } = require('app-builder-lib/out/util/config/config');
  return getConfig(repo, join(repo, 'electron-builder.yml'), null);
}

async function validate(config: BuilderConfig): Promise<void> {
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config');
  const { DebugLogger } = require('builder-util');
  await validateConfiguration(config, new DebugLogger(false));
}

describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema, and the schema does reject nonsense", async () => {
    const config = await loadConfig();
    await expect(validate(config)).resolves.toBeUndefined();
    await expect(validate({ ...config, notAnOption: true })).rejects.toThrow(/notAnOption/);
  });

  it('names the product and targets AppImage+deb, nsis and dmg', async () => {
    const c = await loadConfig();
    expect(c.productName).toBe('DDI Profiler');
    expect(c.appId).toMatch(/^[a-z0-9.-]+$/);
    expect(c.linux?.target).toEqual(['AppImage', 'deb']);
    expect(c.win?.target).toEqual(['nsis']);
    expect(c.mac?.target).toEqual(['dmg']);
  });

  it('ships the bundles, unpacks native modules and wasm, and adds data and the Electron binding', async () => {
    const c = await loadConfig();
    expect(JSON.stringify(c.files)).toContain('dist/**/*');
    expect(c.asarUnpack).toEqual(
      expect.arrayContaining([
        'node_modules/better-sqlite3/**',
        'node_modules/@serialport/**',
        'node_modules/@tensorflow/tfjs-node/**',
        'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
      ]),
    );
    expect(c.extraResources).toEqual(
      expect.arrayContaining([
        { from: 'data', to: 'data' },
        // Exactly where `npm run dist`'s prepare step leaves it.
        {
          from: relative(repo, sqliteBindingIn(join(repo, NATIVE_DIR)))
            .split('\\')
            .join('/'),
          to: 'native/better_sqlite3.node',
        },
      ]),
    );
  });

  it('unpacks every native production dependency from the asar (dlopen needs real files)', async () => {
    const { minimatch } = require('minimatch') as { minimatch: (p: string, pattern: string) => boolean };
    const c = await loadConfig();
    const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }>;
    };
    const hasNativeCode = (dir: string): boolean =>
      existsSync(join(dir, 'binding.gyp')) || readdirSync(dir, { recursive: true, withFileTypes: true }).some((e) => e.isFile() && e.name.endsWith('.node'));
    const natives = Object.entries(lock.packages)
      .filter(([path, info]) => path.startsWith('node_modules/') && !info.dev && existsSync(join(repo, path)))
      .map(([path]) => path)
      .filter((path) => hasNativeCode(join(repo, path)));
    // better-sqlite3 and @serialport/bindings-cpp today; a new native dependency must be added to asarUnpack.
    expect(natives).toEqual(expect.arrayContaining(['node_modules/better-sqlite3', 'node_modules/@serialport/bindings-cpp']));
    const uncovered = natives.filter((path) => !(c.asarUnpack ?? []).some((pattern) => minimatch(`${path}/package.json`, pattern)));
    expect(uncovered).toEqual([]);
  });

  it('never rebuilds node_modules in place (that would break npm test)', async () => {
    const c = await loadConfig();
    expect(c.npmRebuild).toBe(false);
  });

  it('packages through the prepare step', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    expect(pkg.scripts.dist).toMatch(/start-electron\.mjs --prepare-only && electron-builder/);
  });
});

describe('afterPack hook', () => {
  const hook = require(join(repo, 'scripts', 'packaging', 'after-pack.cjs'));
  const fuses = require('@electron/fuses');
  const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
  // Electron's shipped defaults for the first 8 fuses, as '0'/'1' bytes.
  const DEFAULT_WIRE = '10110001';

  function fakePackagedLinuxApp(withBinding: boolean) {
    const appOutDir = mkdtempSync(join(tmpdir(), 'ddi-pack-'));
    writeFileSync(
      join(appOutDir, 'ddi-profiler'),
      Buffer.concat([Buffer.from('ELF...padding...'), Buffer.from(SENTINEL), Buffer.from([1, 8]), Buffer.from(DEFAULT_WIRE), Buffer.from('...rest')]),
    );
    if (withBinding) {
      mkdirSync(join(appOutDir, 'resources', 'native'), { recursive: true });
      writeFileSync(join(appOutDir, 'resources', 'native', 'better_sqlite3.node'), 'ELECTRON-ABI');
    }
    const context = {
      appOutDir,
      electronPlatformName: 'linux',
      arch: 1,
      packager: { appInfo: { productFilename: 'DDI Profiler' }, executableName: 'ddi-profiler' },
    };
    return { appOutDir, context };
  }

  function wire(exe: string): string {
    const bin = readFileSync(exe);
    const at = bin.indexOf(SENTINEL) + SENTINEL.length;
    return bin.subarray(at + 2, at + 2 + bin[at + 1]!).toString('latin1');
  }

  it('turns off run-as-node, NODE_OPTIONS and --inspect, and forces the asar', async () => {
    const { appOutDir, context } = fakePackagedLinuxApp(true);
    await hook.default(context);
    const w = wire(join(appOutDir, 'ddi-profiler'));
    const at = (name: string) => w[fuses.FuseV1Options[name]];
    expect(at('RunAsNode')).toBe('0');
    expect(at('EnableNodeOptionsEnvironmentVariable')).toBe('0');
    expect(at('EnableNodeCliInspectArguments')).toBe('0');
    expect(at('OnlyLoadAppFromAsar')).toBe('1');
    expect(at('EnableCookieEncryption')).toBe('1');
    expect(at('GrantFileProtocolExtraPrivileges')).toBe('0');
    // Left as Electron ships it (see the comment in after-pack.cjs).
    expect(at('EnableEmbeddedAsarIntegrityValidation')).toBe(DEFAULT_WIRE[fuses.FuseV1Options.EnableEmbeddedAsarIntegrityValidation]);
  });

  it('refuses a package without the Electron-ABI better-sqlite3', async () => {
    const { appOutDir, context } = fakePackagedLinuxApp(false);
    await expect(hook.default(context)).rejects.toThrow(/better_sqlite3\.node is missing/);
    expect(wire(join(appOutDir, 'ddi-profiler'))).toBe(DEFAULT_WIRE);
  });

  it('finds the executable and resources on each platform', () => {
    const base = { appOutDir: '/o', productFilename: 'DDI Profiler', executableName: 'ddi-profiler' };
    expect(hook.packagedExecutable({ ...base, electronPlatformName: 'linux' })).toBe(join('/o', 'ddi-profiler'));
    expect(hook.packagedExecutable({ ...base, electronPlatformName: 'win32' })).toBe(join('/o', 'DDI Profiler.exe'));
    expect(hook.packagedExecutable({ ...base, electronPlatformName: 'darwin' })).toBe(join('/o', 'DDI Profiler.app'));
    expect(hook.resourcesDir({ ...base, electronPlatformName: 'darwin' })).toBe(join('/o', 'DDI Profiler.app', 'Contents', 'Resources'));
    expect(hook.resourcesDir({ ...base, electronPlatformName: 'win32' })).toBe(join('/o', 'resources'));
  });
});
