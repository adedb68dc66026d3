// Server-side time of the trace and summary calls on synthetic 10 M-sample sessions
// (`npm run bench:trace [-- --reps 5]`): what browser mode spends answering `sessions.trace`,
// `sessions.list` and `sessions.get` before anything is sent to the page.
//
// Two sessions of 10 M current samples with D0–D7, stored through SessionsRepo.insertChunk like a
// recording (250 ms chunks with stats, CRC-32 and the trace pyramid of schema 4):
//   ppk2  100 kS/s for 100 s: 400 chunks of 25 000 samples (the PPK2 session);
//   long    1 kS/s for 2 h 47 min: 40 000 chunks of 250 samples.
// Windows from the whole session down to a few samples, at 8 offsets each, 2000 points (a
// 2000-pixel-wide trace). The same windows are timed again with the pyramid rows deleted, which is
// what the trace cost before schema 4 (every chunk wider than half a bucket decoded, every chunk's
// stats read as an index row).
// Times are medians over --reps calls on the core's own long-lived connection (warm, as a server
// is). Prints Markdown; nothing is written outside a temporary folder.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppCore } from '../main/core/app-core';
import { openDatabase } from '../main/store/database';
import { SessionsRepo } from '../main/store/sessions-repo';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const REPS = arg('--reps', 5);
const POINTS = arg('--points', 2000);
const OFFSETS = 8;
const TOTAL = 10_000_000;

interface Shape {
  name: string;
  rateHz: number;
  count: number;
}
const SHAPES: Shape[] = [
  { name: 'ppk2 (100 kS/s, 100 s, 400 chunks)', rateHz: 100_000, count: 25_000 },
  { name: 'long (1 kS/s, 2.8 h, 40 000 chunks)', rateHz: 1_000, count: 250 },
];

function build(path: string, shape: Shape): number {
  const db = openDatabase(path);
  const repo = new SessionsRepo(db);
  const id = repo.createSession({
    name: 'bench',
    kind: 'power',
    startMonoNs: 0,
    meterId: null,
    simulated: false,
    channels: ['current'],
    sampleRateHz: shape.rateHz,
    nominalVoltageV: 3.3,
  });
  const periodNs = 1e9 / shape.rateHz;
  const plane = new Float32Array(shape.count);
  const digital = new Uint8Array(shape.count);
  const chunks = TOTAL / shape.count;
  // A radio-like load: 1 mA floor, 20 mA bursts of 2 ms every 100 ms, noise.
  let seed = 1;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  repo.transaction(() => {
    for (let k = 0; k < chunks; k++) {
      for (let i = 0; i < shape.count; i++) {
        const t = (k * shape.count + i) / shape.rateHz;
        const burst = t % 0.1 < 0.002;
        plane[i] = (burst ? 20e-3 : 1e-3) + 50e-6 * rnd();
        digital[i] = burst ? 1 : 0;
      }
      repo.insertChunk(id, k, k * shape.count * periodNs, { periodNs, count: shape.count, channels: ['current'], data: [plane], digital });
    }
    repo.finishSession(id, 'complete', TOTAL / shape.rateHz);
  });
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return id;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Median wall time of a call. The host is shared: with other jobs running, wall time includes
 * time this process waited for a core, so the CPU time it used (user + system) is kept too.
 */
let lastCpuMs = 0;
async function timeCall(fn: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  lastCpuMs = median(cpu);
  return median(ms);
}

/** Which stored level a window's buckets come from (trace-query.ts). */
function pathFor(shape: Shape, widthS: number): string {
  const samples = widthS * shape.rateHz;
  const perBucket = samples / POINTS;
  if (samples <= POINTS) return 'samples (raw)';
  if (64 * shape.count <= perBucket / 2) return 'blocks of 64 chunks';
  if (shape.count <= perBucket / 2) return shape.count * 64 < 1e5 ? 'chunk stats (packed in blocks)' : 'chunk stats';
  if (1024 <= perBucket / 2) return 'pyramid L2';
  if (64 <= perBucket / 2) return 'pyramid L1';
  return 'decoded samples';
}

interface Row {
  widthS: number;
  path: string;
  medianMs: number;
  maxMs: number;
  cpuMs: number;
}

async function traceTable(core: AppCore, id: number, shape: Shape): Promise<Row[]> {
  const durationS = TOTAL / shape.rateHz;
  const rows: Row[] = [];
  for (let widthS = durationS; widthS * shape.rateHz >= 10; widthS /= 4) {
    const per: number[] = [];
    const cpu: number[] = [];
    for (let o = 0; o < OFFSETS; o++) {
      const fromS = widthS >= durationS ? 0 : ((durationS - widthS) * (o + 0.37)) / OFFSETS;
      per.push(await timeCall(() => core.call('sessions.trace', { id, fromS, toS: fromS + widthS, points: POINTS })));
      cpu.push(lastCpuMs);
    }
    rows.push({ widthS, path: pathFor(shape, widthS), medianMs: median(per), maxMs: Math.max(...per), cpuMs: median(cpu) });
  }
  return rows;
}

function fmtS(s: number): string {
  return s >= 1 ? `${+s.toPrecision(3)} s` : s >= 1e-3 ? `${+(s * 1e3).toPrecision(3)} ms` : `${+(s * 1e6).toPrecision(3)} µs`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ddi-bench-trace-'));
  try {
    console.log(`Machine: ${cpus().length}× ${cpus()[0]?.model.trim()}, Node ${process.version}. Date: ${new Date().toISOString().slice(0, 10)}.`);
    console.log(
      `Server time per call (median of ${REPS} calls on the core's warm connection); sessions.trace at ${POINTS} points, ${OFFSETS} offsets per window width (median and worst offset).\n`,
    );
    for (const shape of SHAPES) {
      const path = join(dir, `${shape.rateHz}.sqlite`);
      const t0 = performance.now();
      const id = build(path, shape);
      const buildS = (performance.now() - t0) / 1000;
      const core = AppCore.open({ dbPath: path, transport: 'browser' });
      const pyramidBytes =
        (core.db.prepare('SELECT sum(length(l1) + length(l2)) AS n FROM chunk_pyramid').get() as { n: number }).n +
        (core.db.prepare('SELECT coalesce(sum(length(chunk_stats)), 0) AS n FROM chunk_blocks').get() as { n: number }).n;
      const after = await traceTable(core, id, shape);
      const list = await timeCall(() => core.call('sessions.list', {}));
      const get = await timeCall(() => core.call('sessions.get', { id }));
      core.db.prepare('DELETE FROM chunk_pyramid').run();
      core.db.prepare('DELETE FROM chunk_blocks').run();
      const before = await traceTable(core, id, shape);
      await core.close();
      console.log(`### ${shape.name}\n`);
      console.log(
        `${TOTAL / 1e6} M samples, database ${(statSync(path).size / 1e6).toFixed(1)} MB of which trace pyramid ${(pyramidBytes / 1e6).toFixed(2)} MB; built in ${buildS.toFixed(1)} s. ` +
          `sessions.list ${list.toFixed(2)} ms, sessions.get ${get.toFixed(1)} ms (checks every chunk's CRC-32 in a worker; the event loop stays free).\n`,
      );
      console.log('| Window | Drawn from | sessions.trace median ms | worst offset ms | CPU ms | schema 3 (no pyramid, no blocks) median ms | worst ms |');
      console.log('|---|---|---|---|---|---|---|');
      after.forEach((r, i) => {
        const b = before[i]!;
        console.log(
          `| ${fmtS(r.widthS)} | ${r.path} | ${r.medianMs.toFixed(2)} | ${r.maxMs.toFixed(2)} | ${r.cpuMs.toFixed(2)} | ${b.medianMs.toFixed(2)} | ${b.maxMs.toFixed(2)} |`,
        );
      });
      console.log('');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
