/** Inference-side types shared by the engine, the worker protocol, the CLI and the API. */
import type { CostKind } from './cost';

export type InferenceMode = 'static' | 'iadi' | 'radi' | 'ddi';
export const INFERENCE_MODES: InferenceMode[] = ['static', 'iadi', 'radi', 'ddi'];

/** A hard per-sample budget in the base unit of its kind: MAC, seconds or joules. */
export interface Budget {
  kind: CostKind;
  value: number;
  /** As the user wrote it, e.g. "20MMAC". */
  text?: string;
}

/** Per-unit channel-gate outcome. */
export interface ChannelsKept {
  /** Block / dense-layer index. */
  layer: number;
  kept: number;
  total: number;
}

/** Returned with every prediction; joined with the power trace by the profiler. */
export interface InferenceRecord {
  mode: InferenceMode;
  budget: Budget | null;
  model: string;
  backend: string;
  /** Batch size of the call this sample ran in. */
  batchSize: number;
  /** Position of the sample in the call (and dataset index when inferring on a dataset). */
  sampleIndex: number;
  datasetIndex?: number;
  label?: number;
  predictedClass: number;
  /** Softmax probability of the predicted class. */
  confidence: number;
  /** Logits of the exit that answered. */
  logits: number[];
  /** Exit that answered: index of the early exit, or null for the final classifier. */
  exit: number | null;
  /** "exit0".."exitN" or "classifier". */
  exitId: string;
  /** True when the budget stopped inference before the final classifier. */
  halted: boolean;
  /** Block / dense-layer indices executed and skipped (skipped by a gate or never reached). */
  blocksExecuted: number[];
  blocksSkipped: number[];
  /** Layers never reached because of halting. */
  blocksNotReached: number[];
  /** For every executed channel-gated unit. */
  channelsKept: ChannelsKept[];
  /** MACs this sample executed (accounted per sample, gates and exit heads included). FLOPs = 2 × MACs. */
  macs: number;
  /** MACs of the static network (backbone + classifier) for the savings ratio. */
  staticMacs: number;
  /** Predicted latency (s) from the active latency table (null if none for this backend). */
  predictedLatencyS: number | null;
  latencyTable: string | null;
  /** Predicted energy (J) from the active energy table. */
  predictedEnergyJ: number | null;
  energyTable: string | null;
  /** Cost spent in the budget's own table (equals macs for MAC budgets). */
  budgetSpent: number | null;
  /** Host monotonic timestamps (ns, main/util/clock.ts) bracketing the call that produced this record. */
  startNs: number;
  endNs: number;
}
