/**
 * End-to-end harness: the real `ddi-profiler serve` from the build (a child process, as a user
 * runs it) and Debian's Chromium driven by playwright-core with a throwaway profile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

// Benchmarks bundle this file to CommonJS, where import.meta is empty: they run from the repository root.
export const ROOT = (import.meta as { dirname?: string }).dirname ? resolve(import.meta.dirname, '../..') : process.cwd();
const CLI = join(ROOT, 'dist/main/cli.cjs');
const RENDERER = join(ROOT, 'dist/renderer/index.html');
export const CHROMIUM = process.env.DDI_CHROMIUM ?? '/usr/bin/chromium';

export function assertBuilt(): void {
  for (const f of [CLI, RENDERER]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: the e2e tests run against the build; run "npm run build" first.`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}; install the Debian "chromium" package (.ci/run does).`);
}

export interface ServeProcess {
  url: string;
  origin: string;
  port: number;
  token: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts `ddi-profiler serve --port 0 --db PATH` and waits for the URL line it prints. */
export function startServe(dbPath: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--db', dbPath], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'test' },
  });
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (out += d));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ddi-profiler serve printed no URL within 60 s. Output:\n${out}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ddi-profiler serve exited with code ${code} before printing its URL. Output:\n${out}`));
    });
    child.stdout!.on('data', (d: string) => {
      out += d;
      const m = /DDI Profiler browser mode: (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([^\s]+))/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const url = m[1]!;
      resolvePromise({
        url,
        origin: new URL(url).origin,
        port: Number(m[2]),
        token: decodeURIComponent(m[3]!),
        output: () => out,
        stop: () => stopChild(child),
      });
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(hard);
      done();
    });
    child.kill('SIGTERM');
  });
}

export interface Browser {
  context: BrowserContext;
  close: () => Promise<void>;
}

/** Headless Chromium with a fresh profile directory, deleted on close. */
export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'ddi-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    acceptDownloads: true,
    viewport: { width: 1360, height: 900 },
    deviceScaleFactor: 1,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export const screenshotsWanted = process.env.DDI_SCREENSHOTS === '1';
export const SCREENSHOT_DIR = join(ROOT, 'docs/screenshots');
