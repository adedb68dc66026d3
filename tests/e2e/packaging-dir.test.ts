// Runs the real electron-builder on electron-builder.yml, offline, with a stand-in Electron: an
// "electron" file carrying the fuse sentinel (the real binary cannot be downloaded here). The
// unpacked Linux layout it produces shows that `files`, `asarUnpack`, `extraResources` and the
// afterPack hook (fuses, binding check) do what docs/electron.md says. Installers (AppImage, deb,
// nsis, dmg) need downloads and are not built.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NATIVE_DIR, sqliteBindingIn } from '../../scripts/lib/electron-native.mjs';
import { ROOT } from './harness';

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const work = mkdtempSync(join(tmpdir(), 'ddi-pack-'));
const binding = sqliteBindingIn(join(ROOT, NATIVE_DIR));
// Only what this test put there is removed afterwards; a real binding from `npm start` stays.
let placedBinding = false;
let createdDir: string | undefined;

afterAll(() => {
  if (placedBinding) rmSync(binding, { force: true });
  if (createdDir) rmSync(createdDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

function fuseWire(exe: string): string {
  const bin = readFileSync(exe);
  const at = bin.indexOf(SENTINEL) + SENTINEL.length;
  return bin.subarray(at + 2, at + 2 + bin[at + 1]!).toString('latin1');
}

describe('electron-builder --linux dir with a stand-in Electron', () => {
  it('lays out the app: bundles in the asar, natives unpacked, data and the Electron binding in resources, fuses flipped', () => {
    for (const f of ['dist/main/electron.cjs', 'dist/preload/index.cjs', 'dist/renderer/index.html']) {
      if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run "npm run build" first (npm test does).`);
    }
    const fakeDist = join(work, 'electron-dist');
    mkdirSync(join(fakeDist, 'locales'), { recursive: true });
    writeFileSync(
      join(fakeDist, 'electron'),
      Buffer.concat([Buffer.from('#!/bin/sh\nexit 0\n'), Buffer.from(SENTINEL), Buffer.from([1, 8]), Buffer.from('10110001')]),
    );
    chmodSync(join(fakeDist, 'electron'), 0o755);
    if (!existsSync(binding)) {
      // Stands in for the Electron-ABI build `npm run dist` would make; its bytes are only copied.
      createdDir = mkdirSync(dirname(binding), { recursive: true });
      copyFileSync(join(ROOT, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), binding);
      placedBinding = true;
    }
    const out = join(work, 'release');
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'electron-builder', 'cli.js'),
        '--linux',
        'dir',
        '--config',
        'electron-builder.yml',
        `-c.electronDist=${fakeDist}`,
        '-c.electronVersion=44.11.5',
        `-c.directories.output=${out}`,
      ],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 300_000 },
    );
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);

    const app = join(out, 'linux-unpacked');
    const resources = join(app, 'resources');
    expect(readdirSync(resources).sort()).toEqual(['app.asar', 'app.asar.unpacked', 'data', 'native']);
    expect(readFileSync(join(resources, 'native', 'better_sqlite3.node')).equals(readFileSync(binding))).toBe(true);
    expect(existsSync(join(resources, 'data'))).toBe(true);

    // The asar holds the three bundles and package.json (no sources, no maps).
    const asar = readFileSync(join(resources, 'app.asar'));
    const headerSize = asar.readUInt32LE(12);
    const header = JSON.parse(asar.subarray(16, 16 + headerSize).toString('utf8'));
    const top = header.files as Record<string, { files?: Record<string, { files?: Record<string, unknown> }> }>;
    expect(Object.keys(top).sort()).toEqual(['dist', 'node_modules', 'package.json']);
    expect(Object.keys(top.dist!.files!).sort()).toEqual(expect.arrayContaining(['main', 'preload', 'renderer']));
    expect(Object.keys(top.dist!.files!.main!.files!)).toEqual(expect.arrayContaining(['electron.cjs', 'cli.cjs']));
    expect(JSON.stringify(top.dist)).not.toMatch(/\.map"/);

    // Native modules are real files next to the asar; better-sqlite3 without its C sources.
    const unpacked = join(resources, 'app.asar.unpacked', 'node_modules');
    expect(existsSync(join(unpacked, 'better-sqlite3', 'lib'))).toBe(true);
    expect(existsSync(join(unpacked, 'better-sqlite3', 'deps'))).toBe(false);
    expect(existsSync(join(unpacked, 'better-sqlite3', 'src'))).toBe(false);
    expect(readdirSync(join(unpacked, '@serialport', 'bindings-cpp', 'prebuilds')).length).toBeGreaterThan(0);
    // onnxruntime-node: its Linux binaries only (the others are pruned after packing).
    expect(readdirSync(join(unpacked, 'onnxruntime-node', 'bin', 'napi-v6'))).toEqual(['linux']);
    const wasm = join(unpacked, '@tensorflow', 'tfjs-backend-wasm', 'dist');
    expect(readdirSync(wasm).filter((f) => f.endsWith('.wasm')).length).toBeGreaterThan(0);

    // afterPack flipped the fuses: RunAsNode, NODE_OPTIONS, --inspect off; cookies encrypted; asar only.
    expect(fuseWire(join(app, 'ddi-profiler'))).toBe('01000100');
  });
});
