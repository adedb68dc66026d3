// electron-builder afterPack hook: flips Electron's fuses in the packaged binary before it is
// signed and wrapped into AppImage/deb/nsis/dmg. Fuses are compiled-in switches that no command
// line or environment can turn back on, so a packaged DDI Profiler cannot be reused as a generic
// Node runtime (ELECTRON_RUN_AS_NODE), have code injected via NODE_OPTIONS or --inspect, or load
// app code from outside its asar. Tested in tests/unit/electron/packaging-config.test.ts.
'use strict';
const { existsSync, readdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');

/**
 * The fuse settings, by name. EnableEmbeddedAsarIntegrityValidation is left at Electron's default
 * (off): electron-builder 25.1.8 does not embed the asar hash on every platform, and turning the
 * fuse on without it stops the app from starting.
 */
function fuseSettings() {
  return {
    RunAsNode: false,
    EnableCookieEncryption: true,
    EnableNodeOptionsEnvironmentVariable: false,
    EnableNodeCliInspectArguments: false,
    OnlyLoadAppFromAsar: true,
    LoadBrowserProcessSpecificV8Snapshot: false,
    GrantFileProtocolExtraPrivileges: false,
  };
}

/** The @electron/fuses config for one packaged binary. */
function fuseConfig(fuses, platform, arch) {
  const config = {
    version: fuses.FuseVersion.V1,
    // Flipping fuses invalidates the ad-hoc signature arm64 macOS needs to run at all.
    resetAdHocDarwinSignature: platform === 'darwin' && arch === 'arm64',
  };
  for (const [name, value] of Object.entries(fuseSettings())) {
    const index = fuses.FuseV1Options[name];
    if (typeof index !== 'number') throw new Error(`@electron/fuses does not know the fuse ${name}`);
    config[index] = value;
  }
  return config;
}

/** Path of the Electron executable electron-builder just laid out in appOutDir. */
function packagedExecutable({ appOutDir, electronPlatformName, productFilename, executableName }) {
  switch (electronPlatformName) {
    case 'darwin':
    case 'mas':
      return join(appOutDir, `${productFilename}.app`);
    case 'win32':
      return join(appOutDir, `${productFilename}.exe`);
    default:
      return join(appOutDir, executableName);
  }
}

/** resources/ of the packaged app (inside the .app bundle on macOS). */
function resourcesDir({ appOutDir, electronPlatformName, productFilename }) {
  return electronPlatformName === 'darwin' || electronPlatformName === 'mas'
    ? join(appOutDir, `${productFilename}.app`, 'Contents', 'Resources')
    : join(appOutDir, 'resources');
}

/**
 * onnxruntime-node ships its binaries for every OS (bin/napi-v6/<os>/<arch>); an installer needs
 * only its own. Removed here rather than with per-platform `files` patterns: in electron-builder
 * 25 a platform `files` list of exclusions alone replaces the top-level list and packs the whole
 * project. Returns the folders removed.
 */
function pruneOnnxRuntime(resources, electronPlatformName) {
  const keep = electronPlatformName === 'mas' ? 'darwin' : electronPlatformName;
  const bin = join(resources, 'app.asar.unpacked', 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
  if (!existsSync(bin)) return [];
  const removed = [];
  for (const os of readdirSync(bin)) {
    if (os === keep) continue;
    rmSync(join(bin, os), { recursive: true, force: true });
    removed.push(os);
  }
  return removed;
}

// electron-builder's Arch enum: ia32=0, x64=1, armv7l=2, arm64=3, universal=4.
const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];

async function afterPack(context) {
  const fuses = require('@electron/fuses');
  const exe = packagedExecutable({
    appOutDir: context.appOutDir,
    electronPlatformName: context.electronPlatformName,
    productFilename: context.packager.appInfo.productFilename,
    executableName: context.packager.executableName,
  });
  // electron-builder skips a missing extraResources source silently; an app without its
  // Electron-ABI database module would only fail when a user opens it.
  const resources = resourcesDir({
    appOutDir: context.appOutDir,
    electronPlatformName: context.electronPlatformName,
    productFilename: context.packager.appInfo.productFilename,
  });
  const binding = join(resources, 'native', 'better_sqlite3.node');
  if (!existsSync(binding)) {
    throw new Error(`${binding} is missing; package with "npm run dist", which builds it for Electron first.`);
  }
  pruneOnnxRuntime(resources, context.electronPlatformName);
  const arch = ARCH_NAMES[context.arch] ?? String(context.arch);
  await fuses.flipFuses(exe, fuseConfig(fuses, context.electronPlatformName, arch));
}

module.exports = afterPack;
module.exports.default = afterPack;
module.exports.fuseSettings = fuseSettings;
module.exports.fuseConfig = fuseConfig;
module.exports.packagedExecutable = packagedExecutable;
module.exports.resourcesDir = resourcesDir;
module.exports.pruneOnnxRuntime = pruneOnnxRuntime;
