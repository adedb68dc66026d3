// Helpers for `npm start` (scripts/start-electron.mjs): is the build current, is the Electron
// binary there, and a better-sqlite3 built for Electron's ABI in a SEPARATE folder.
//
// Why separate: node_modules/better-sqlite3 is built for the system Node, which `npm test`, the
// CLI and browser mode use. Rebuilding it in place for Electron (what electron-rebuild does by
// default, and what a postinstall hook would do) makes every Node-side test fail with
// NODE_MODULE_VERSION errors. So we copy the package into .native-electron/, rebuild the copy,
// and point Electron's main at the copy (DDI_SQLITE_NATIVE_BINDING -> better-sqlite3's
// `nativeBinding` option). Tested in tests/unit/electron/start-electron.test.ts.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const NATIVE_DIR = '.native-electron';
export const REBUILT_MODULES = ['better-sqlite3'];

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export function installedVersion(root, pkg) {
  return readJson(join(root, 'node_modules', pkg, 'package.json')).version;
}

export function sqliteBindingIn(dir) {
  return join(dir, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
}

/** Newest modification time (ms) of any file under the given files/folders; 0 if none exist. */
export function newestMtime(paths) {
  let newest = 0;
  const visit = (p) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== 'node_modules' && !name.startsWith('.')) visit(join(p, name));
    } else if (st.mtimeMs > newest) newest = st.mtimeMs;
  };
  for (const p of paths) visit(p);
  return newest;
}

export const BUILD_OUTPUTS = ['dist/main/electron.cjs', 'dist/preload/index.cjs', 'dist/renderer/index.html'];
export const BUILD_INPUTS = ['main', 'preload', 'renderer', 'scripts/build-main.mjs', 'vite.config.mts', 'package.json'];

/** True when an output is missing or any source is newer than the oldest output. */
export function isBuildStale(root, outputs = BUILD_OUTPUTS, inputs = BUILD_INPUTS) {
  let oldestOutput = Infinity;
  for (const o of outputs) {
    const p = join(root, o);
    if (!existsSync(p)) return true;
    oldestOutput = Math.min(oldestOutput, statSync(p).mtimeMs);
  }
  return newestMtime(inputs.map((i) => join(root, i))) > oldestOutput;
}

/**
 * Where the electron package says its binary is, and whether it is there. Mirrors the checks of
 * node_modules/electron/index.js without its side effect (it downloads when the binary is missing).
 */
export function electronBinary(root) {
  const pkgDir = join(root, 'node_modules', 'electron');
  const pathFile = join(pkgDir, 'path.txt');
  if (!existsSync(pathFile)) return { installed: false, path: null };
  const exe = join(process.env.ELECTRON_OVERRIDE_DIST_PATH || join(pkgDir, 'dist'), readFileSync(pathFile, 'utf8').trim());
  return { installed: existsSync(exe), path: exe };
}

/**
 * npm passes its config to scripts as npm_config_* variables, and node-gyp (run by
 * @electron/rebuild) reads them. A `nodedir` there (set on machines that build native modules
 * offline against the system Node's headers) would make the "Electron" build silently compile
 * against Node's headers instead: a binary Electron then refuses. The same goes for a pinned
 * target, runtime or header URL. These keys are removed from the rebuild's environment.
 */
const FOREIGN_TARGET_KEYS = /^npm_config_(nodedir|target|runtime|disturl|dist_url)$/i;

export function isForeignBuildTargetVar(name) {
  return FOREIGN_TARGET_KEYS.test(name);
}

/** Deletes those variables from `env` (process.env by default); returns the names removed. */
export function dropForeignBuildTarget(env = process.env) {
  const removed = Object.keys(env).filter(isForeignBuildTargetVar);
  for (const k of removed) delete env[k];
  return removed;
}

function sha256(path) {
  return existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : null;
}

export function stampFor(root, electronVersion, platform = process.platform, arch = process.arch) {
  return {
    electron: electronVersion,
    platform,
    arch,
    modules: Object.fromEntries(REBUILT_MODULES.map((m) => [m, installedVersion(root, m)])),
  };
}

/**
 * Makes sure .native-electron/ holds better-sqlite3 built for `electronVersion`. `rebuild` is
 * @electron/rebuild's rebuild() (injected so tests can run without network or a compiler).
 * Returns the binding path and whether anything was rebuilt.
 */
export async function prepareElectronNative({ root, electronVersion, rebuild, platform = process.platform, arch = process.arch, log = () => {} }) {
  const dir = join(root, NATIVE_DIR);
  const binding = sqliteBindingIn(dir);
  const stampPath = join(dir, 'stamp.json');
  const wanted = stampFor(root, electronVersion, platform, arch);
  if (existsSync(binding) && existsSync(stampPath) && JSON.stringify(readJson(stampPath)) === JSON.stringify(wanted)) {
    return { binding, rebuilt: false };
  }

  // The Node-side copy must come out of this byte-for-byte identical; checked below.
  const nodeBinding = join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  const before = sha256(nodeBinding);

  log(`Rebuilding ${REBUILT_MODULES.join(', ')} for Electron ${electronVersion} into ${NATIVE_DIR}/ (node_modules stays built for Node).`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'ddi-native-electron', private: true, dependencies: wanted.modules }, null, 2));
  for (const m of REBUILT_MODULES) {
    const src = join(root, 'node_modules', m);
    // Sources only: the Node build output would be stale and is large.
    cpSync(src, join(dir, 'node_modules', m), {
      recursive: true,
      dereference: true,
      filter: (p) => {
        const rel = relative(src, p);
        return rel !== 'build' && !rel.startsWith(`build${sep}`);
      },
    });
  }

  await rebuild({
    buildPath: dir,
    // Stop the module search at our folder: without this, @electron/rebuild walks up to the repo's
    // package.json and would also rebuild node_modules/better-sqlite3 in place.
    projectRootPath: dir,
    electronVersion,
    platform,
    arch,
    onlyModules: [...REBUILT_MODULES],
    force: true,
    mode: 'sequential',
  });

  if (!existsSync(binding)) throw new Error(`the rebuild finished but ${relative(root, binding)} was not produced`);
  if (sha256(nodeBinding) !== before) {
    throw new Error('the rebuild changed node_modules/better-sqlite3; run "npm rebuild better-sqlite3" to restore it for Node');
  }
  writeFileSync(stampPath, JSON.stringify(wanted));
  return { binding, rebuilt: true };
}
