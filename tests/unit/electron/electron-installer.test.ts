// Electron's installer (node_modules/electron/install.js, @electron/get, @electron-internal/extract-zip)
// declares Node >= 22.12 but is what `npm start` runs on a fresh machine. These tests run it on the
// Node running the suite (package.json engines: >= 20.19) up to the point where only the network is
// missing, and run its native zip extractor for real, so an installer that cannot load on this Node
// (ES modules it cannot require, a syntax it cannot parse, a binding it cannot open) fails here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..');
const electronDir = join(root, 'node_modules', 'electron');
// Node's own require (not vitest's transform): the installer loads its ES-module dependencies this way.
const requireFromElectron = createRequire(join(electronDir, 'install.js'));
// A loopback port that was free a moment ago: a download from it fails at once with ECONNREFUSED.
// (Not port 9: fetch refuses the ports the Fetch standard blocks with "bad port" before connecting.)
let DEAD_MIRROR = '';
beforeAll(async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  DEAD_MIRROR = `http://127.0.0.1:${port}/`;
});
const NOT_LOADABLE = /SyntaxError|ERR_REQUIRE_ESM|ERR_REQUIRE_ASYNC_MODULE|ERR_UNKNOWN_FILE_EXTENSION|ERR_DLOPEN_FAILED|Cannot find module/;

const temps: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'ddi-electron-installer-'));
  temps.push(d);
  return d;
};
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A zip of stored (uncompressed) files: local headers, central directory, end record. */
function storedZip(files: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const nameBuf = Buffer.from(name);
    const data = Buffer.from(text);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6); // version needed
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, data);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

describe(`Electron's installer on Node ${process.versions.node}`, () => {
  it('install.js gets as far as the download and fails only because the mirror is unreachable', () => {
    const cache = tempDir();
    const env: NodeJS.ProcessEnv = {};
    // Only what Node needs, none of the caller's ELECTRON_* / npm_config_* settings.
    for (const k of ['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT']) if (process.env[k] !== undefined) env[k] = process.env[k];
    Object.assign(env, {
      ELECTRON_MIRROR: DEAD_MIRROR,
      electron_config_cache: cache, // empty: nothing cached, so it must download
      force_no_cache: 'true',
      // Another platform than this one, so an Electron binary already installed here does not end the script
      // before the download (its isInstalled() check) and nothing is written into node_modules/electron.
      ELECTRON_INSTALL_PLATFORM: process.platform === 'win32' ? 'linux' : 'win32',
    });
    const r = spawnSync(process.execPath, [join(electronDir, 'install.js')], { cwd: root, env, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).not.toMatch(NOT_LOADABLE);
    expect(r.status).toBe(1);
    // The failure is the HTTP request of @electron/get's downloader, i.e. every module before it loaded and ran.
    expect(r.stderr).toMatch(/fetch failed/);
    expect(r.stderr).not.toMatch(/bad port/);
    expect(r.stderr).toMatch(/@electron\/get\/dist\/FetchDownloader\.js/);
  });

  it("@electron/get's downloadArtifact rejects with a connection error, not a loading error", async () => {
    const { downloadArtifact } = requireFromElectron('@electron/get') as {
      downloadArtifact: (o: Record<string, unknown>) => Promise<string>;
    };
    const version = (JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')) as { version: string }).version;
    const err = (await downloadArtifact({
      version,
      artifactName: 'electron',
      platform: 'linux',
      arch: 'x64',
      cacheRoot: tempDir(),
      force: true,
      mirrorOptions: { mirror: DEAD_MIRROR },
      checksums: requireFromElectron('./checksums.json') as Record<string, string>,
    }).then(
      () => null,
      (e: unknown) => e,
    )) as (Error & { cause?: { code?: string } }) | null;
    expect(err).toBeInstanceOf(Error);
    expect(err!.cause?.code).toBe('ECONNREFUSED');
  });

  it("the installer's native zip extractor loads and unpacks a zip", async () => {
    const dir = tempDir();
    const zip = join(dir, 'electron.zip');
    writeFileSync(zip, storedZip({ version: 'v0.0.0-test', 'resources/default_app.txt': 'hello from the zip' }));
    const { extract } = requireFromElectron('@electron-internal/extract-zip') as {
      extract: (zipPath: string, o: { dir: string }) => Promise<void>;
    };
    await extract(zip, { dir: join(dir, 'dist') });
    expect(readFileSync(join(dir, 'dist', 'version'), 'utf8')).toBe('v0.0.0-test');
    expect(readFileSync(join(dir, 'dist', 'resources', 'default_app.txt'), 'utf8')).toBe('hello from the zip');
  });
});
