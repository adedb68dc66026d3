/**
 * The alignment pattern: a maximal-length sequence (m-sequence) of busy and idle slots that the
 * profiling run executes on the inference thread. Its autocorrelation has one sharp peak, so
 * cross-correlating the expected waveform with the measured power finds the meter's time offset
 * without ambiguity (Golomb, "Shift Register Sequences", 1967; MacWilliams & Sloane, Proc. IEEE 1976).
 */

/**
 * Feedback taps (1-based register positions) of a primitive polynomial per degree, from the table in
 * Xilinx XAPP052 "Efficient Shift Registers, LFSR Counters, and Long Pseudo-Random Sequence Generators".
 */
const TAPS: Record<number, number[]> = {
  2: [2, 1],
  3: [3, 2],
  4: [4, 3],
  5: [5, 3],
  6: [6, 5],
  7: [7, 6],
  8: [8, 6, 5, 4],
  9: [9, 5],
  10: [10, 7],
  11: [11, 9],
  12: [12, 6, 4, 1],
  13: [13, 4, 3, 1],
  14: [14, 5, 3, 1],
  15: [15, 14],
  16: [16, 15, 13, 4],
};

export const MLS_DEGREES = Object.keys(TAPS).map(Number);

/** One period (2^degree − 1 bits) of the m-sequence of a Fibonacci LFSR started from all ones. */
export function mlsBits(degree = 5): (0 | 1)[] {
  const taps = TAPS[degree];
  if (!taps) throw new RangeError(`m-sequence degree ${degree} is not supported; use ${MLS_DEGREES[0]}..${MLS_DEGREES[MLS_DEGREES.length - 1]}`);
  const mask = (1 << degree) - 1;
  let state = mask;
  const bits: (0 | 1)[] = [];
  for (let i = 0; i < mask; i++) {
    bits.push(((state >> (degree - 1)) & 1) as 0 | 1);
    let fb = 0;
    for (const t of taps) fb ^= (state >> (t - 1)) & 1;
    state = ((state << 1) | fb) & mask;
  }
  return bits;
}

/**
 * A busy/idle schedule. Time 0 is the host instant the run takes as the schedule's start; slot k
 * covers [startOffsetNs + k·slotNs, startOffsetNs + (k+1)·slotNs) and is busy when bits[k] is 1.
 * Before the first slot the thread is idle.
 */
export interface PatternSchedule {
  slotNs: number;
  bits: (0 | 1)[];
  startOffsetNs: number;
}

export interface PatternOptions {
  /** m-sequence degree: 2^degree − 1 slots (default 5 → 31 slots). */
  degree?: number;
  /** Slot length in ns (default 5 ms). */
  slotNs?: number;
  /** Idle lead-in before the first slot, ns (default 0). */
  startOffsetNs?: number;
}

export function makePattern(options: PatternOptions = {}): PatternSchedule {
  const slotNs = options.slotNs ?? 5_000_000;
  const startOffsetNs = options.startOffsetNs ?? 0;
  if (!(slotNs > 0) || !Number.isFinite(slotNs)) throw new RangeError(`pattern slot must be a positive number of ns, got ${slotNs}`);
  if (!(startOffsetNs >= 0) || !Number.isFinite(startOffsetNs)) throw new RangeError(`pattern start offset must be ≥ 0 ns, got ${startOffsetNs}`);
  return { slotNs, bits: mlsBits(options.degree ?? 5), startOffsetNs };
}

/** From schedule time 0 to the end of the last slot, ns. */
export function patternDurationNs(s: PatternSchedule): number {
  return s.startOffsetNs + s.bits.length * s.slotNs;
}

/**
 * The expected waveform at schedule time tNs: +1 in a busy slot, −1 in an idle slot, 0 outside the
 * slots (the lead-in and after the end are not part of the correlation).
 */
export function expectedLevel(s: PatternSchedule, tNs: number): 1 | -1 | 0 {
  const k = Math.floor((tNs - s.startOffsetNs) / s.slotNs);
  if (k < 0 || k >= s.bits.length) return 0;
  return s.bits[k] === 1 ? 1 : -1;
}

/**
 * The busy stretches (consecutive 1-slots merged), in schedule time: what the inference thread
 * busy-waits through, and idles between.
 */
export function busyIntervals(s: PatternSchedule): { startNs: number; endNs: number }[] {
  const out: { startNs: number; endNs: number }[] = [];
  s.bits.forEach((b, k) => {
    if (b !== 1) return;
    const startNs = s.startOffsetNs + k * s.slotNs;
    const last = out[out.length - 1];
    if (last && last.endNs === startNs) last.endNs = startNs + s.slotNs;
    else out.push({ startNs, endNs: startNs + s.slotNs });
  });
  return out;
}

/**
 * Transitions between adjacent slots, in schedule time: `rising` is idle → busy. The pattern's
 * outer boundaries are left out because what precedes and follows the pattern is not part of it.
 */
export function internalEdges(s: PatternSchedule): { tNs: number; rising: boolean }[] {
  const out: { tNs: number; rising: boolean }[] = [];
  for (let k = 1; k < s.bits.length; k++) {
    if (s.bits[k] !== s.bits[k - 1]) out.push({ tNs: s.startOffsetNs + k * s.slotNs, rising: s.bits[k] === 1 });
  }
  return out;
}
