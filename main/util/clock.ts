/**
 * Host monotonic clock. Every timestamp in the product (sample chunks, inference records, markers)
 * comes from here so the profiler can join power traces with inferences without wall-clock jumps.
 * Values are nanoseconds as JS numbers: a double holds integers exactly up to 2^53 ns (104 days).
 */
export function monotonicNs(): number {
  return Number(process.hrtime.bigint());
}

/**
 * The longest duration anything here waits for: Node's timers hold at most 2^31 − 1 ms (24.8 days)
 * and fire at once beyond it, so a longer duration would silently end immediately.
 */
export const MAX_DURATION_S = 576 * 3600;

/** Parses "10s", "500ms", "2m", "1.5h" or a bare number of seconds into seconds (at most MAX_DURATION_S). */
export function parseDurationSeconds(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  if (!m) {
    throw new Error(`"${text}" is not a duration; write it like 10s, 500ms, 2m or 1h.`);
  }
  const value = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1e-3 : unit === 's' ? 1 : unit === 'h' ? 3600 : 60;
  const seconds = value * factor;
  if (!(seconds <= MAX_DURATION_S)) throw new Error(`"${text.trim()}" is longer than anything here can wait for; give at most 576h (24 days).`);
  return seconds;
}
