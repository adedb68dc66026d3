// `npm start` (scripts/start-electron.mjs) as a user runs it, on a machine like ours: no Electron
// binary and no way to download one. It must stop with one clear sentence, and whatever happens
// to the Electron-side native build, node_modules/better-sqlite3 stays built for Node, so
// `npm test` keeps passing after `npm start`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { electronBinary, isBuildStale, sqliteBindingIn, NATIVE_DIR } from '../../scripts/lib/electron-native.mjs';
import { ROOT } from './harness';

const script = join(ROOT, 'scripts', 'start-electron.mjs');
const nodeBinding = join(ROOT, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
const cache = mkdtempSync(join(tmpdir(), 'ddi-electron-cache-'));
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

afterAll(() => rmSync(cache, { recursive: true, force: true }));

function runStart(args: string[]) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Any download attempt goes to a closed local port, so the test never fetches 100 MB even on
    // a machine with internet, and fails fast on one without.
    ELECTRON_MIRROR: 'http://127.0.0.1:9/',
    electron_config_cache: cache,
  };
  return spawnSync(process.execPath, [script, ...args], { cwd: ROOT, encoding: 'utf8', env, timeout: 240_000 });
}

// Both cases need a current build (otherwise the script would rebuild dist/ under other tests'
// feet) and, for the first, no installed Electron (otherwise it would launch the app).
const stale = isBuildStale(ROOT);
const hasElectron = electronBinary(ROOT).installed;
if (stale) console.log('start-script tests skipped: dist/ is older than the sources; run "npm run build" first (npm test does).');
if (hasElectron) console.log('start-script download test skipped: the Electron binary is installed here, so npm start would open the app.');

describe('npm start without network', () => {
  it.skipIf(stale || hasElectron)('stops with one sentence when the Electron binary cannot be downloaded', () => {
    const before = sha(nodeBinding);
    const r = runStart([]);
    expect(r.status).toBe(1);
    const last = r.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^npm start: could not download the Electron \d+\.\d+\.\d+ binary \(it needs internet access once\); .*npx ddi-profiler serve/);
    expect(sha(nodeBinding)).toBe(before);
  });

  it.skipIf(stale)('builds better-sqlite3 for Electron only in .native-electron/, or says in one sentence why it cannot', () => {
    const before = sha(nodeBinding);
    const r = runStart(['--prepare-only']);
    if (r.status === 0) {
      // A machine that could fetch a prebuilt binary or Electron's headers.
      expect(existsSync(sqliteBindingIn(join(ROOT, NATIVE_DIR)))).toBe(true);
      expect(r.stdout).toMatch(/Prepared: build current, Electron-ABI better-sqlite3 at /);
    } else {
      expect(r.status).toBe(1);
      const last = r.stderr.trim().split('\n').at(-1)!;
      expect(last).toMatch(/^npm start: could not build the database module for Electron \d+\.\d+\.\d+ \(.+\); this needs internet access once/);
    }
    // Either way the Node-side build is untouched: npm test keeps working after npm start.
    expect(sha(nodeBinding)).toBe(before);
  });
});
