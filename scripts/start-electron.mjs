#!/usr/bin/env node
// `npm start`: build if sources changed, make sure the Electron binary is present, build
// better-sqlite3 for Electron into .native-electron/ (never in node_modules, so `npm test` keeps
// working), then launch the desktop app. `--prepare-only` stops before launching (used by
// `npm run dist` before electron-builder). Everything after the script's own flags goes to the app
// (e.g. `npm start -- --db /tmp/x.sqlite`). See docs/electron.md.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropForeignBuildTarget, electronBinary, installedVersion, isBuildStale, prepareElectronNative } from './lib/electron-native.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const prepareOnly = args.includes('--prepare-only');
const appArgs = args.filter((a) => a !== '--prepare-only');

function die(sentence) {
  console.error(`\nnpm start: ${sentence}`);
  process.exit(1);
}

function run(cmd, cmdArgs, options = {}) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32', ...options });
  return r.status === 0;
}

// 1. Build (esbuild for main/preload, Vite for the renderer) when an output is missing or stale.
if (isBuildStale(root)) {
  console.log('Building the app (main, preload, renderer)...');
  if (!run('npm', ['run', 'build'])) die('the build failed; the messages above say why.');
}

const electronVersion = installedVersion(root, 'electron');

// 2. The Electron binary. `npm ci` in CI skips its download (ELECTRON_SKIP_BINARY_DOWNLOAD=1);
// on a desktop machine it normally arrived with `npm install`. If not, use electron's own
// installer, which downloads the zip for this platform and checks it against checksums.json.
let binary = electronBinary(root);
if (!prepareOnly && !binary.installed) {
  console.log(`Downloading the Electron ${electronVersion} binary (once)...`);
  const env = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  const ok = run(process.execPath, [join(root, 'node_modules', 'electron', 'install.js')], { env, shell: false });
  binary = electronBinary(root);
  if (!ok || !binary.installed) {
    die(
      `could not download the Electron ${electronVersion} binary (it needs internet access once); ` +
        'without a display or network, run "npx ddi-profiler serve" and open the printed URL instead.',
    );
  }
}

// 3. better-sqlite3 for Electron's ABI, in .native-electron/. Under `npm start`, npm's own config
// (e.g. a nodedir pointing at the system Node's headers) must not steer the Electron build.
const dropped = dropForeignBuildTarget();
if (dropped.length > 0) console.log(`Ignoring ${dropped.join(', ')} for the Electron build.`);
let binding;
try {
  const { rebuild } = await import('@electron/rebuild');
  const result = await prepareElectronNative({ root, electronVersion, rebuild, log: (m) => console.log(m) });
  binding = result.binding;
} catch (e) {
  const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
  die(
    `could not build the database module for Electron ${electronVersion} (${reason}); this needs internet ` +
      'access once (prebuilt binary or Electron headers) and, failing a prebuilt binary, a C++ toolchain.',
  );
}

if (prepareOnly) {
  console.log(`Prepared: build current, Electron-ABI better-sqlite3 at ${binding}.`);
  process.exit(0);
}

// 4. Launch. The env var tells main which better-sqlite3 binding to load (runtime-paths.ts).
const env = { ...process.env, DDI_SQLITE_NATIVE_BINDING: binding };
delete env.ELECTRON_RUN_AS_NODE;
const child = spawn(binary.path, [root, ...appArgs], { cwd: root, stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (!child.killed) child.kill(signal);
  });
}
child.on('error', (e) => die(`could not start Electron (${e.message}).`));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
