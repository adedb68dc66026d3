import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { EngineWorkerHost } from '../../../main/ddi/worker/host';
import { isUserError } from '../../../main/util/errors';
import { bundleWorker } from '../../helpers/bundle';

let dir: string;
let host: EngineWorkerHost;
const MODEL = resolve('tests/fixtures/models/tiny-random-test');

beforeAll(async () => {
  const bundle = await bundleWorker('main/ddi/worker/entry.ts', 'ddi-worker.cjs');
  dir = bundle.dir;
  host = new EngineWorkerHost({ workerPath: bundle.path, backend: 'wasm' });
});
afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('EngineWorkerHost', () => {
  it('reports the backend, lists and loads models, infers on pixels and dataset indices', async () => {
    const backend = await host.start();
    expect(backend.name).toBe('wasm');
    const list = await host.listModels([resolve('tests/fixtures/models')]);
    expect(list.models.find((m) => m.name === 'tiny-random-test')?.randomWeights).toBe(true);
    const info = await host.loadModel(MODEL);
    expect(info.input).toEqual({ height: 28, width: 28, channels: 1 });
    const img = new Float32Array(28 * 28).fill(0.5);
    const [rec] = await host.infer(img, 1, { mode: 'iadi' });
    expect(rec!.backend).toBe('wasm');
    expect(rec!.macs).toBeGreaterThan(0);
    expect(img[0]).toBe(0.5); // the caller's buffer is not transferred away
    const recs = await host.inferDataset('sample', [0, 1, 2], { mode: 'ddi', budget: { kind: 'macs', value: info.minimumBudgets.ddi.macs! * 1.5 } });
    expect(recs.map((r) => r.datasetIndex)).toEqual([0, 1, 2]);
    expect(recs.every((r) => r.label !== undefined && r.budgetSpent! <= info.minimumBudgets.ddi.macs! * 1.5)).toBe(true);
  });
  it('passes user errors through as UserError', async () => {
    let err: unknown;
    try {
      await host.inferDataset('sample', [0], { mode: 'ddi', budget: { kind: 'macs', value: 10 } });
    } catch (e) {
      err = e;
    }
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toMatch(/below the minimum/);
  });
  it('keeps the calling event loop free while inferring', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const n = 200;
    const t0 = Date.now();
    await host.infer(new Float32Array(n * 28 * 28).fill(0.3), n, { mode: 'static' });
    clearInterval(timer);
    const ms = Date.now() - t0;
    // The timer keeps firing during a call that takes many milliseconds of compute.
    expect(ms).toBeGreaterThan(20);
    expect(ticks).toBeGreaterThan(ms / 10);
  });
});
