/**
 * Host monotonic clock. Every timestamp in the product (sample chunks, inference records, markers)
 * comes from here so the profiler can join power traces with inferences without wall-clock jumps.
 * Values are nanoseconds as JS numbers: a double holds integers exactly up to 2^53 ns (104 days).
 */
export function monotonicNs(): number {
  return Number(process.hrtime.bigint());
}

/** Parses "10s", "500ms", "2m", "1.5h" or a bare number of seconds into seconds. */
export function parseDurationSeconds(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  if (!m) {
    throw new Error(`"${text}" is not a duration; write it like 10s, 500ms, 2m or 1h.`);
  }
  const value = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1e-3 : unit === 's' ? 1 : unit === 'h' ? 3600 : 60;
  return value * factor;
}
