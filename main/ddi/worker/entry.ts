/**
 * Engine worker (worker_threads): owns a DdiEngine so inference never runs on the caller's event
 * loop (Electron main, API server). Bundled to dist/main/ddi-worker.cjs by scripts/build-main.mjs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DdiEngine } from '../engine';
import { loadDataset, type ImageDataset } from '../data/dataset';
import { datasetImages } from '../images';
import { isUserError } from '../../util/errors';
import { runBusyPattern } from './busy-pattern';
import type { MethodName, WorkerInit, WorkerMethods, WorkerRequest, WorkerResponse, WorkerReady } from './protocol';

const port = parentPort;
if (!port) throw new Error('ddi-worker must run as a worker thread.');

const datasets = new Map<string, ImageDataset>();
function dataset(spec: string): ImageDataset {
  let d = datasets.get(spec);
  if (!d) {
    d = loadDataset(spec, 'test');
    datasets.set(spec, d);
  }
  return d;
}

async function start(): Promise<void> {
  const init = (workerData ?? {}) as WorkerInit;
  let engine: DdiEngine;
  try {
    engine = await DdiEngine.create({ backend: init.backend });
  } catch (e) {
    port!.postMessage({ ready: false, error: e instanceof Error ? e.message : String(e) } satisfies WorkerReady);
    return;
  }
  const handlers: { [M in MethodName]: (p: WorkerMethods[M]['params']) => WorkerMethods[M]['result'] } = {
    backendInfo: () => engine.backendInfo(),
    listModels: (p) => engine.listModels(p.dirs),
    loadModel: (p) => engine.loadModel(p.dir),
    modelInfo: () => {
      try {
        return engine.info();
      } catch {
        return null;
      }
    },
    infer: (p) => {
      if (p.budget?.kind === 'latency') engine.ensureLatencyTable(true);
      return engine.infer(p.images, p.n, { mode: p.mode, budget: p.budget, batchSize: p.batchSize });
    },
    inferDataset: (p) => {
      if (p.budget?.kind === 'latency') engine.ensureLatencyTable(true);
      engine.checkBudget(p.mode, p.budget);
      const ds = dataset(p.dataset);
      const images = datasetImages(ds, p.indices, engine.info().input);
      return engine.infer(images, p.indices.length, {
        mode: p.mode,
        budget: p.budget,
        batchSize: p.batchSize,
        labels: p.indices.map((i) => ds.labels[i]),
        datasetIndices: p.indices,
      });
    },
    profileLatency: (p) => engine.profileLatency(p),
    useCostTables: (p) => engine.useCostTables(p.tables),
    busyPattern: (p) => runBusyPattern(p.slotNs, p.bits, p.startNs),
    unload: () => {
      engine.unload();
      return null;
    },
  };
  port!.on('message', (req: WorkerRequest) => {
    let res: WorkerResponse;
    try {
      const h = handlers[req.method] as (p: unknown) => unknown;
      if (!h) throw new Error(`Unknown engine method ${String(req.method)}.`);
      res = { id: req.id, ok: true, result: h(req.params) };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      res = { id: req.id, ok: false, error: { message: err.message, code: (err as { code?: string }).code, userError: isUserError(err), stack: err.stack } };
    }
    port!.postMessage(res);
  });
  port!.postMessage({ ready: true, backend: engine.backendInfo() } satisfies WorkerReady);
}

void start();
