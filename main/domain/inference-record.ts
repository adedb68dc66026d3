/**
 * What every inference returns, as one zod schema: the engine's type is inferred from it and the
 * contract validates with it, so the record the engine builds and the record the app receives
 * cannot drift apart.
 */
import { z } from 'zod';
import { BudgetSchema } from './budget';
import { InferenceModeSchema } from './modes';

/** Per-unit channel-gate outcome: block / dense-layer index, channels kept of total. */
export const ChannelsKeptSchema = z.object({ layer: z.number(), kept: z.number(), total: z.number() });
export type ChannelsKept = z.infer<typeof ChannelsKeptSchema>;

/** Returned with every prediction; joined with the power trace by the profiler. */
export const InferenceRecordSchema = z.object({
  mode: InferenceModeSchema,
  budget: BudgetSchema.nullable(),
  model: z.string(),
  backend: z.string(),
  /** Batch size of the call this sample ran in. */
  batchSize: z.number(),
  /** Position of the sample in the call (and dataset index when inferring on a dataset). */
  sampleIndex: z.number(),
  datasetIndex: z.number().optional(),
  label: z.number().optional(),
  predictedClass: z.number(),
  /** Softmax probability of the predicted class. */
  confidence: z.number(),
  /** Logits of the exit that answered. */
  logits: z.array(z.number()),
  /** Exit that answered: index of the early exit, or null for the final classifier. */
  exit: z.number().nullable(),
  /** "exit0".."exitN" or "classifier". */
  exitId: z.string(),
  /** True when the budget stopped inference before the final classifier. */
  halted: z.boolean(),
  /** Block / dense-layer indices executed and skipped (skipped by a gate or never reached). */
  blocksExecuted: z.array(z.number()),
  blocksSkipped: z.array(z.number()),
  /** Layers never reached because of halting. */
  blocksNotReached: z.array(z.number()),
  /** For every executed channel-gated unit. */
  channelsKept: z.array(ChannelsKeptSchema),
  /** MACs this sample executed (accounted per sample, gates and exit heads included). FLOPs = 2 × MACs. */
  macs: z.number(),
  /** MACs of the static network (backbone + classifier) for the savings ratio. */
  staticMacs: z.number(),
  /** Predicted latency (s) from the active latency table (null if none for this backend). */
  predictedLatencyS: z.number().nullable(),
  latencyTable: z.string().nullable(),
  /** Predicted energy (J) from the active energy table. */
  predictedEnergyJ: z.number().nullable(),
  energyTable: z.string().nullable(),
  /** Cost spent in the budget's own table (equals macs for MAC budgets). */
  budgetSpent: z.number().nullable(),
  /**
   * What the executor did for the engine call that produced this record (all its batchSize rows):
   * graph runs, graphs built (ONNX Runtime builds one when a kept-channel pattern earns its own,
   * milliseconds against a fraction of one for the inference), and runs on a unit's shared
   * kept-channel graph (slower per MAC). Absent for executors that do not count (tfjs).
   */
  executorWork: z.object({ runs: z.number(), builds: z.number(), sharedGraphRuns: z.number() }).optional(),
  /** Host monotonic timestamps (ns, main/util/clock.ts) bracketing the call that produced this record. */
  startNs: z.number(),
  endNs: z.number(),
});
export type InferenceRecord = z.infer<typeof InferenceRecordSchema>;

/** Graphs built for a stored record's engine call, or null when its executor does not count them. */
export function graphBuildsOf(record: unknown): number | null {
  if (record === null || typeof record !== 'object') return null;
  const w = (record as { executorWork?: { builds?: unknown } }).executorWork;
  return typeof w?.builds === 'number' ? w.builds : null;
}
