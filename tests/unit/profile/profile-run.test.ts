/**
 * A whole profiling run against a meter whose power follows what the engine worker really did,
 * delivered late and in batches with its clock offset from the host's: the run must find the offset
 * from its own alignment pattern and give back the injected energy of every inference.
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppCore } from '../../../main/core/app-core';
import { ProfileRun } from '../../../main/profile/run';
import { ProfileRepo } from '../../../main/store/profile-repo';
import { bundleWorker } from '../../helpers/bundle';
import { BUSY_W, BusyLog, EngineDrivenMeter, ObservedEngine } from '../../helpers/engine-driven-meter';

let dir: string;
let workerPath: string;

beforeAll(async () => {
  const bundle = await bundleWorker('main/ddi/worker/entry.ts', 'ddi-worker.cjs');
  dir = bundle.dir;
  workerPath = bundle.path;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function profileOnce(clockOffsetMs: number, unplugAfter?: number) {
  const log = new BusyLog();
  const core = AppCore.open({ dbPath: join(dir, `db-${clockOffsetMs}-${unplugAfter ?? 0}.sqlite`), transport: 'browser' });
  const engine = new ObservedEngine(log, { workerPath, backend: 'wasm' });
  try {
    const meter = new EngineDrivenMeter(log, { rateHz: 100_000, deliveryDelayMs: 300, clockOffsetMs, batchMs: 20 });
    await core.attachMeter(meter);
    const run = new ProfileRun(
      core,
      engine,
      resolve('data/models/mgl2s-50'),
      {
        model: 'mgl2s-50',
        dataset: 'sample',
        limit: unplugAfter === undefined ? 40 : 400,
        mode: 'iadi',
        warmup: 5,
        baselineS: 0.5,
        closingS: 0.2,
      },
      (p) => {
        // The cable is pulled once `unplugAfter` inferences are done.
        if (unplugAfter !== undefined && p.phase === 'inferences' && p.done >= unplugAfter && meter.state === 'streaming') meter.unplug();
      },
    );
    const result = await run.run();
    const rows = new ProfileRepo(core.db).inferences(result.sessionId);
    return { result, rows, gaps: core.repo.gaps(result.sessionId) };
  } finally {
    await engine.close();
    await core.close();
  }
}

describe('profiling run (engine-driven meter, 100 kS/s, 300 ms delivery delay)', () => {
  it('finds the meter clock offset and gives back each inference’s injected energy', async () => {
    const { result, rows } = await profileOnce(7);
    expect(result.status).toBe('complete');
    expect(result.alignment?.trusted, JSON.stringify(result.alignment)).toBe(true);
    expect(result.alignment!.offsetNs / 1e6).toBeCloseTo(7, 0);
    expect(Math.abs(result.alignment!.offsetNs - 7e6)).toBeLessThan(0.2e6);
    expect(result.attribution.mode).toBe('per-inference');
    expect(result.baseline!.meanPowerW).toBeCloseTo(0.5, 2);
    expect(rows).toHaveLength(40);
    let within = 0;
    let injected = 0;
    let measured = 0;
    for (const r of rows) {
      const truth = (BUSY_W * (r.end_ns - r.start_ns)) / 1e9;
      injected += truth;
      measured += r.active_energy_j!;
      if (Math.abs(r.active_energy_j! - truth) <= 0.02 * truth) within++;
    }
    expect(within).toBeGreaterThanOrEqual(38);
    expect(Math.abs(measured - injected) / injected).toBeLessThan(0.01);
  }, 120_000);

  it('two runs whose meter clocks differ by 20 ms report offsets 20 ms apart', async () => {
    const a = await profileOnce(3);
    const b = await profileOnce(23);
    const diffMs = (b.result.alignment!.offsetNs - a.result.alignment!.offsetNs) / 1e6;
    expect(Math.abs(diffMs - 20)).toBeLessThan(0.5);
  }, 180_000);

  it('a meter unplugged mid-run: the run is kept, marked incomplete, and the gap is recorded to the end', async () => {
    const { result, rows, gaps } = await profileOnce(5, 50);
    expect(result.status).toBe('incomplete');
    expect(result.statusReason).toMatch(/unplugged/);
    expect(rows.length).toBeGreaterThanOrEqual(50);
    expect(rows.length).toBeLessThan(400);
    const last = gaps.at(-1)!;
    expect(last.reason).toMatch(/meter lost/);
    expect(last.end_ns).toBeGreaterThan(last.start_ns);
  }, 120_000);
});
