/**
 * The unit-execution interface. The DDI control logic (infer.ts: gates, budget counter, halting)
 * drives a UnitRuntime and never touches tensors; a faster runtime (ONNX, native) can implement
 * the same interface for the same units. Activations are opaque handles owned by the runtime.
 */

/** Which batch rows run a unit, and with which channels. */
export interface ExecPlan {
  /** Batch rows that execute the unit, ascending. Others pass through (block) or add zero channels (dense). */
  rows: number[];
  /**
   * Kept channel indices per executing row (parallel to rows); null = every row keeps all channels.
   * ResNet block: conv1 output channels. Dense layer: the layer's new channels.
   */
  channels: number[][] | null;
}

export interface UnitRuntime<A = unknown> {
  readonly backend: string;
  /** Number of rows of an activation. */
  batchOf(x: A): number;
  /** Uploads normalised NHWC images [n, H, W, C]. */
  input(data: Float32Array, n: number): A;
  /**
   * Runs trunk unit `index` (stem, block, dense layer, transition) on the planned rows. When the
   * result is a different handle, `x` must not be read again (an implementation may reuse its
   * storage); release it. When no row runs, a block may return `x` itself.
   */
  trunk(index: number, x: A, plan: ExecPlan): A;
  /** Global-average-pooled features [n × C], read back to the host (gate input). */
  pool(x: A): Float32Array;
  /** Logits [rows × classes] of exit head `exit`, or of the final classifier when exit = -1. */
  head(exit: number, x: A, rows: number[]): Float32Array;
  /** Frees an activation (no-op for handles the runtime still needs). */
  release(x: A): void;
  /**
   * Counters since construction, for executors that count their work (ONNX Runtime): graph runs,
   * graphs built, runs on a shared kept-channel graph. The engine records each call's share.
   */
  readonly stats?: { readonly runs: number; readonly builds: number; readonly generic: number };
  /** Frees cached derived weights (gathered filter subsets). */
  clearCache(): void;
  dispose(): void;
}
