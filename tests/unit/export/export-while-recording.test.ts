/**
 * An export of a large session must never cost a recording anything: not a sample, not a chunk
 * number, not a stall of the event loop the meters are read on. Before exports moved to their own
 * connection in a worker, the export kept a cursor open on the app's connection across awaits: the
 * recorder's inserts failed with "This database connection is busy executing a query" (a hole with
 * consecutive chunk numbers skipped), an aborted download left the connection busy for good, and
 * formatting a chunk blocked the event loop for as long as it took.
 */
import { get, type IncomingMessage } from 'node:http';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppCore } from '../../../main/core/app-core';
import { startBrowserServer, type BrowserServer } from '../../../main/server/browser-server';
import { attachMeter, buildExportWorker, insertBigSession, realTimeMeter, sleep, storedRecording, type RealTimeMeter } from './export-fixtures';

let cleanupWorker: () => void = () => undefined;
beforeAll(async () => {
  cleanupWorker = await buildExportWorker();
});
afterAll(() => cleanupWorker());

const toClose: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c();
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ddi-export-rec-'));
}

async function startRecording(core: AppCore, name: string): Promise<RealTimeMeter> {
  const rt = realTimeMeter();
  await rt.meter.open();
  attachMeter(core, rt.meter);
  await core.call('sessions.start', { name });
  rt.start();
  toClose.push(async () => rt.stop());
  return rt;
}

/** Stops the recording and checks it kept every sample the meter delivered, in consecutive chunks, without a gap. */
async function expectIntact(core: AppCore, rt: RealTimeMeter): Promise<void> {
  await sleep(300); // the recording goes on a little after the export
  const stopped = (await core.call('sessions.stop', {})) as { id: number };
  rt.stop();
  const rec = storedRecording(core.db, stopped.id);
  expect(rec.seqs.length).toBeGreaterThan(0);
  expect(rec.seqs).toEqual(rec.seqs.map((_, i) => i));
  expect(rec.gaps).toBe(0);
  // ±1: the session's end is stored as a duration in seconds, which may round across one sample boundary.
  expect(Math.abs(rec.samples - rt.deliveredBefore(rec.endNs))).toBeLessThanOrEqual(1);
}

/** GETs a download, discarding the bytes; resolves with the number of bytes and lines. */
function download(port: number, path: string, token: string, onResponse?: (res: IncomingMessage) => void): Promise<{ bytes: number; lines: number }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, headers: { cookie: `ddi_token=${token}` } }, (res) => {
      onResponse?.(res);
      let bytes = 0;
      let lines = 0;
      res.on('data', (b: Buffer) => {
        bytes += b.length;
        for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++;
      });
      res.on('end', () => resolve({ bytes, lines }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function startServer(): Promise<BrowserServer> {
  const dir = tempDir();
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>DDI</title>');
  const s = await startBrowserServer({ dbPath: join(dir, 'db.sqlite'), staticRoot: dir });
  toClose.push(() => s.close());
  return s;
}

describe('exporting while a session records', () => {
  it('AppCore.exportSession of 2 M samples leaves a concurrent 100 kS/s recording whole', async () => {
    const dir = tempDir();
    const core = AppCore.open({ dbPath: join(dir, 'db.sqlite'), transport: 'browser' });
    toClose.push(() => core.close());
    const big = insertBigSession(core.repo, 100_000, 80);
    const rt = await startRecording(core, 'during a file export');
    const out = join(dir, 'big.csv');
    await core.exportSession(big, 'csv', out);
    await expectIntact(core, rt);
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('time_s,current_A,voltage_V,power_W\n')).toBe(true);
    expect(text.length - text.replaceAll('\n', '').length).toBe(2_000_001);
  });

  it('a browser-mode download of 2 M samples leaves a concurrent recording whole', async () => {
    const s = await startServer();
    const big = insertBigSession(s.core.repo, 100_000, 80);
    const rt = await startRecording(s.core, 'during a download');
    const { downloadUrl } = (await s.core.call('sessions.export', { id: big, format: 'csv' })) as { downloadUrl: string };
    const got = await download(s.port, downloadUrl, s.token);
    expect(got.lines).toBe(2_000_001);
    await expectIntact(s.core, rt);
  });

  it('a download aborted mid-way leaves the app working: stop, start, record and close', async () => {
    const s = await startServer();
    const big = insertBigSession(s.core.repo, 100_000, 40);
    const rt = await startRecording(s.core, 'during an aborted download');
    const { downloadUrl } = (await s.core.call('sessions.export', { id: big, format: 'csv' })) as { downloadUrl: string };
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      const req = get({ host: '127.0.0.1', port: s.port, path: downloadUrl, headers: { cookie: `ddi_token=${s.token}` } }, (res) => {
        res.on('data', (b: Buffer) => {
          received += b.length;
          if (received > 1_000_000) {
            req.destroy(); // the user closed the tab
            resolve();
          }
        });
        res.on('end', () => reject(new Error('the download finished before it could be aborted')));
      });
      req.on('error', () => undefined);
    });
    await sleep(500);
    await expectIntact(s.core, rt);
    // A second recording after the abort works too.
    const rt2 = realTimeMeter();
    await rt2.meter.open();
    attachMeter(s.core, rt2.meter);
    await s.core.call('sessions.start', { name: 'after the aborted download' });
    rt2.start();
    toClose.push(async () => rt2.stop());
    await expectIntact(s.core, rt2);
    toClose.pop();
    toClose.pop();
    await expect(s.close()).resolves.toBeUndefined();
  });

  it('never blocks the event loop: an export of 2 M samples in 1 MS/s chunks delays it far less than the export takes', async () => {
    const dir = tempDir();
    const core = AppCore.open({ dbPath: join(dir, 'db.sqlite'), transport: 'browser' });
    toClose.push(() => core.close());
    // 250 ms storage chunks of a 1 MS/s meter: 250 k samples each, which the old export formatted
    // on the event loop in one go (≈0.5–1 s per chunk on a laptop-class core).
    const big = insertBigSession(core.repo, 1_000_000, 8);
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    const t0 = performance.now();
    await core.exportSession(big, 'csv', join(dir, 'big.csv'));
    const tookMs = performance.now() - t0;
    h.disable();
    const maxMs = h.max / 1e6;
    console.log(
      `export of 2 M samples took ${tookMs.toFixed(0)} ms; event-loop delay max ${maxMs.toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms`,
    );
    expect(statSync(join(dir, 'big.csv')).size).toBeGreaterThan(50e6);
    expect(tookMs).toBeGreaterThan(1000);
    // Generous: the machine may be shared; what matters is that the loop never waits for the export.
    expect(maxMs).toBeLessThan(250);
  });
});
