/** Messages between EngineWorkerHost (main thread) and the engine worker (worker/entry.ts). */
import type { BackendInfo, BackendName } from '../backend';
import type { LoadedModelInfo } from '../engine';
import type { ListModelsResult } from '../io';
import type { CostTable } from '../cost';
import type { Budget, InferenceMode, InferenceRecord } from '../types';
import type { BusyPatternResult } from './busy-pattern';

export interface WorkerInit {
  backend?: BackendName;
}

export interface InferParams {
  mode: InferenceMode;
  budget?: Budget | null;
  batchSize?: number;
}

export interface WorkerMethods {
  backendInfo: { params: Record<string, never>; result: BackendInfo };
  listModels: { params: { dirs: string[] }; result: ListModelsResult };
  loadModel: { params: { dir: string }; result: LoadedModelInfo };
  modelInfo: { params: Record<string, never>; result: LoadedModelInfo | null };
  /** Raw pixels in [0,1], NHWC, n images concatenated. */
  infer: { params: InferParams & { images: Float32Array; n: number }; result: InferenceRecord[] };
  /** Images from a dataset spec (sample | fashion-mnist | DIR, test split) by index. */
  inferDataset: { params: InferParams & { dataset: string; indices: number[] }; result: InferenceRecord[] };
  profileLatency: { params: { reps?: number; save?: boolean }; result: CostTable };
  /** A calibrated energy + latency pair for the loaded model, or null for its own tables (DdiEngine.useCostTables). */
  useCostTables: { params: { tables: { energy: CostTable; latency: CostTable } | null }; result: LoadedModelInfo };
  /**
   * Runs a busy/idle pattern on this thread for time alignment: slot k covers
   * [startNs + k·slotNs, startNs + (k+1)·slotNs) on the host monotonic clock; 1 = spin, 0 = sleep.
   * startNs 0 = start one slot from now. Returns the start actually used.
   */
  busyPattern: { params: { slotNs: number; bits: number[]; startNs?: number }; result: BusyPatternResult };
  unload: { params: Record<string, never>; result: null };
}

export type MethodName = keyof WorkerMethods;

export interface WorkerRequest<M extends MethodName = MethodName> {
  id: number;
  method: M;
  params: WorkerMethods[M]['params'];
}

export type WorkerResponse =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: { message: string; code?: string; userError: boolean; stack?: string } };

/** First message from the worker once the backend is up (or failed). */
export type WorkerReady = { ready: true; backend: BackendInfo } | { ready: false; error: string };
