/**
 * EngineWorkerHost: spawns the engine worker (dist/main/ddi-worker.cjs) and exposes its methods as
 * promises. One request at a time is processed by the worker, in order.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../../util/errors';
import type { BackendInfo, BackendName } from '../backend';
import type { CostTable } from '../cost';
import type { InferParams, MethodName, WorkerMethods, WorkerRequest, WorkerResponse, WorkerReady } from './protocol';

/** dist/main/ddi-worker.cjs next to the running bundle, else under the working directory. */
export function defaultWorkerPath(): string {
  if (process.env.DDI_WORKER_PATH) return resolve(process.env.DDI_WORKER_PATH);
  const candidates = [typeof __dirname === 'string' ? join(__dirname, 'ddi-worker.cjs') : null, resolve('dist/main/ddi-worker.cjs')];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return resolve('dist/main/ddi-worker.cjs');
}

export class EngineWorkerHost {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private backend: BackendInfo | null = null;
  private exitError: Error | null = null;

  constructor(private readonly opts: { workerPath?: string; backend?: BackendName } = {}) {}

  /** Starts the worker and waits until its backend is initialised. */
  async start(): Promise<BackendInfo> {
    if (this.backend) return this.backend;
    const path = this.opts.workerPath ?? defaultWorkerPath();
    if (!existsSync(path)) throw new Error(`Engine worker ${path} not found; run \`npm run build:main\` first.`);
    // execArgv: [] so the worker does not inherit loader flags of the host process (test runners).
    const worker = new Worker(path, { workerData: { backend: this.opts.backend }, execArgv: [] });
    let ready: WorkerReady;
    // Only our own start-up listeners are removed afterwards: Worker keeps internal
    // 'newListener'/'removeListener' hooks, and removeAllListeners() would drop them, after which
    // no further 'message' event is delivered.
    let onMessage: (m: WorkerReady) => void = () => undefined;
    let onError: (e: Error) => void = () => undefined;
    let onExit: (code: number) => void = () => undefined;
    try {
      ready = await new Promise<WorkerReady>((res, rej) => {
        onMessage = res;
        onError = rej;
        onExit = (code) => rej(new Error(`exited with code ${code} before it was ready`));
        worker.once('message', onMessage);
        worker.once('error', onError);
        worker.once('exit', onExit);
      });
    } catch (e) {
      await worker.terminate();
      throw new Error(`Engine worker ${path} failed to start: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    }
    if (!ready.ready) {
      await worker.terminate();
      throw new Error(`Engine worker failed to start: ${ready.error}`);
    }
    this.worker = worker;
    worker.on('message', (m: WorkerResponse) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else {
        const e = m.error.userError ? new UserError(m.error.message, m.error.code) : new Error(m.error.message);
        if (!m.error.userError && m.error.stack) e.stack = m.error.stack;
        p.reject(e);
      }
    });
    const fail = (e: Error) => {
      this.exitError = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      this.worker = null;
      this.backend = null;
    };
    worker.on('error', (e) => fail(e));
    worker.on('exit', (code) => fail(new Error(`Engine worker exited (code ${code}).`)));
    this.backend = ready.backend;
    return ready.backend;
  }

  private async call<M extends MethodName>(method: M, params: WorkerMethods[M]['params'], transfer: ArrayBuffer[] = []): Promise<WorkerMethods[M]['result']> {
    if (!this.worker) await this.start();
    const worker = this.worker;
    if (!worker) throw this.exitError ?? new Error('Engine worker is not running.');
    const id = this.nextId++;
    const req: WorkerRequest<M> = { id, method, params };
    return new Promise((res, rej) => {
      this.pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
      worker.postMessage(req, transfer);
    });
  }

  backendInfo() {
    return this.call('backendInfo', {});
  }
  listModels(dirs: string[]) {
    return this.call('listModels', { dirs });
  }
  loadModel(dir: string) {
    return this.call('loadModel', { dir });
  }
  modelInfo() {
    return this.call('modelInfo', {});
  }
  /** Raw [0,1] NHWC pixels of n images. The buffer is copied (the caller keeps its array). */
  infer(images: Float32Array, n: number, opts: InferParams) {
    const copy = Float32Array.from(images);
    return this.call('infer', { ...opts, images: copy, n }, [copy.buffer]);
  }
  busyPattern(slotNs: number, bits: number[], startNs?: number) {
    return this.call('busyPattern', { slotNs, bits, ...(startNs !== undefined ? { startNs } : {}) });
  }

  inferDataset(dataset: string, indices: number[], opts: InferParams) {
    return this.call('inferDataset', { ...opts, dataset, indices });
  }
  profileLatency(opts: { reps?: number; save?: boolean } = {}) {
    return this.call('profileLatency', opts);
  }
  /** A calibrated energy + latency pair for the loaded model, or null for its own tables. */
  useCostTables(tables: { energy: CostTable; latency: CostTable } | null) {
    return this.call('useCostTables', { tables });
  }
  unload() {
    return this.call('unload', {});
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.backend = null;
    if (w) {
      w.removeAllListeners('exit');
      await w.terminate();
    }
    for (const p of this.pending.values()) p.reject(new Error('Engine worker closed.'));
    this.pending.clear();
  }
}
