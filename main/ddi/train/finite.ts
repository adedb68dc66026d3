/** Finiteness checks for weights and gradients (a NaN need not reach the loss on wasm: see saveRun in trainer.ts). */

export function allFinite(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) return false;
  return true;
}

/** Name of the first entry holding a NaN or ±Infinity, or null when every value is finite. Reads entries lazily. */
export function firstNonFinite(entries: Iterable<[string, ArrayLike<number>]>): string | null {
  for (const [name, v] of entries) if (!allFinite(v)) return name;
  return null;
}
