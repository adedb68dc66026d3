/**
 * Shared set-up for the export tests: the export worker bundled like scripts/build-main.mjs does,
 * a large session inserted directly into the store, and a fake meter that delivers samples in real
 * time (each batch once its last sample has been measured, as a real meter does).
 */
import { existsSync } from 'node:fs';
import type { Channel, PowerMeter } from '../../../main/meters/types';
import type { Db } from '../../../main/store/database';
import type { SessionsRepo } from '../../../main/store/sessions-repo';
import { monotonicNs } from '../../../main/util/clock';
import { FakeMeter, makeChunk } from '../../helpers/fake-meter';
import { bundleWorker } from '../../helpers/bundle';

const WORKER_ENTRY = 'main/export/export-worker.ts';

/** Bundles the export worker into .cache (inside the repository, so its packages resolve) and points the runner at it. */
export async function buildExportWorker(): Promise<() => void> {
  if (!existsSync(WORKER_ENTRY)) return () => undefined; // an older tree without the worker: nothing to build
  const { path: outfile, cleanup } = await bundleWorker(WORKER_ENTRY);
  process.env.DDI_EXPORT_WORKER_PATH = outfile;
  return () => {
    delete process.env.DDI_EXPORT_WORKER_PATH;
    cleanup();
  };
}

const CHANNELS: Channel[] = ['current', 'voltage', 'power'];

/** A finished session of `chunks` storage chunks of 250 ms at `rateHz`, inserted directly. Returns its id. */
export function insertBigSession(repo: SessionsRepo, rateHz: number, chunks: number): number {
  const per = rateHz / 4;
  const id = repo.createSession({ name: 'big', kind: 'power', startMonoNs: 1e12, meterId: null, simulated: false, channels: CHANNELS, sampleRateHz: rateHz });
  const data = [new Float32Array(per), new Float32Array(per), new Float32Array(per)];
  for (let i = 0; i < per; i++) {
    data[0]![i] = 0.001 * (i % 100);
    data[1]![i] = 5;
    data[2]![i] = 0.005 * (i % 100);
  }
  repo.transaction(() => {
    for (let s = 0; s < chunks; s++) repo.insertChunk(id, s, (s * per * 1e9) / rateHz, { periodNs: 1e9 / rateHz, count: per, channels: CHANNELS, data });
  });
  repo.finishSession(id, 'complete', chunks / 4);
  return id;
}

/** Puts a test meter into the core as if meters.connect had opened it (the registry has no test driver). */
export function attachMeter(core: object, meter: PowerMeter): void {
  (core as { meter?: PowerMeter }).meter = meter;
}

export interface RealTimeMeter {
  meter: FakeMeter;
  /** Starts delivering samples measured from now on. */
  start(): void;
  stop(): void;
  /** Samples the meter delivered whose time is before `endNs` (host ns). */
  deliveredBefore(endNs: number): number;
}

/** 100 kS/s in 10 ms batches, each delivered as soon as its last sample is in the past. */
export function realTimeMeter(rateHz = 100_000, batch = 1000): RealTimeMeter {
  const meter = new FakeMeter({ channels: CHANNELS, sampleRateHz: rateHz, digitalInputs: 0, deviceClock: false, simulated: false });
  const periodNs = 1e9 / rateHz;
  const batches: number[] = [];
  let timer: NodeJS.Timeout | undefined;
  let next = 0;
  let index = 0;
  const pump = (): void => {
    while (next + batch * periodNs <= monotonicNs()) {
      meter.push(makeChunk(next, rateHz, batch, (i) => [0.1 + (i % 7) * 0.01, 5, 0.5 + (i % 7) * 0.05], index));
      batches.push(next);
      next += batch * periodNs;
      index += batch;
    }
  };
  return {
    meter,
    start() {
      next = monotonicNs();
      timer = setInterval(pump, 5);
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    deliveredBefore(endNs) {
      // The recorder keeps floor((stop − t0) / period) samples of a batch that straddles the stop.
      return batches.reduce((n, t0) => n + Math.max(0, Math.min(batch, Math.floor((endNs - t0) / periodNs))), 0);
    },
  };
}

/** What a recording stored: chunk seqs, gaps, samples, and the session's end in host ns. */
export function storedRecording(db: Db, id: number): { seqs: number[]; gaps: number; samples: number; endNs: number } {
  const seqs = (db.prepare('SELECT seq FROM sample_chunks WHERE session_id = ? ORDER BY seq').all(id) as { seq: number }[]).map((r) => r.seq);
  const gaps = (db.prepare('SELECT count(*) AS n FROM gaps WHERE session_id = ?').get(id) as { n: number }).n;
  const samples = (db.prepare('SELECT coalesce(sum(count), 0) AS n FROM sample_chunks WHERE session_id = ?').get(id) as { n: number }).n;
  const s = db.prepare('SELECT start_mono_ns, duration_s FROM sessions WHERE id = ?').get(id) as { start_mono_ns: number; duration_s: number };
  return { seqs, gaps, samples, endNs: s.start_mono_ns + s.duration_s * 1e9 };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
