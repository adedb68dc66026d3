/**
 * The alignment pattern's physical side: this thread spins (drawing CPU power the meter sees) in
 * the 1-slots and sleeps in the 0-slots. Slot edges are absolute times on the host monotonic clock,
 * so a late wake-up shortens one slot instead of shifting every later edge.
 *
 * A falling edge (spin → sleep) happens on time; a rising edge happens when the sleeping thread
 * wakes, which the kernel does late (timer slack, scheduling: tens of µs on an idle machine, a
 * millisecond or more on a loaded one). Spinning ahead of the edge would make it early instead, so
 * the thread sleeps up to the edge and reports when every edge actually happened.
 */
import { monotonicNs } from '../../util/clock';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Where the spin loop's result goes, so it cannot be optimised away. */
export let spinResult = 0;

export interface BusyPatternResult {
  startNs: number;
  endNs: number;
  /** Largest lateness of any slot start, ns. */
  lateNs: number;
  /** Mean lateness of the rising (sleep → spin) edges, ns. */
  riseLateNs: number;
  /** Host time of every internal edge (where bit k differs from bit k−1), in order. */
  edgesNs: number[];
}

export function runBusyPattern(slotNs: number, bits: number[], startNs?: number): BusyPatternResult {
  if (!(slotNs >= 1e5 && slotNs <= 1e9)) throw new Error(`Pattern slot ${slotNs} ns is outside 0.1 ms … 1 s.`);
  const start = startNs && startNs > monotonicNs() ? startNs : monotonicNs() + slotNs;
  let lateNs = 0;
  let riseLate = 0;
  let rises = 0;
  let sink = 0;
  const edgesNs: number[] = [];
  sleepUntil(start);
  for (let k = 0; k < bits.length; k++) {
    const slotStart = start + k * slotNs;
    const slotEnd = slotStart + slotNs;
    const now = monotonicNs();
    const late = now - slotStart;
    lateNs = Math.max(lateNs, late);
    if (k > 0 && bits[k] !== bits[k - 1]) edgesNs.push(now);
    if (bits[k]) {
      if (k === 0 || !bits[k - 1]) {
        riseLate += late;
        rises++;
      }
      // Spin with real arithmetic so the core cannot idle; check the clock every few hundred ops.
      while (monotonicNs() < slotEnd) for (let i = 0; i < 500; i++) sink = (sink * 1664525 + 1013904223) | 0;
    } else {
      sleepUntil(slotEnd);
    }
  }
  spinResult = sink;
  return { startNs: start, endNs: start + bits.length * slotNs, lateNs, riseLateNs: rises ? riseLate / rises : 0, edgesNs };
}

function sleepUntil(tNs: number): void {
  for (;;) {
    const left = tNs - monotonicNs();
    if (left <= 0) return;
    Atomics.wait(sleeper, 0, 0, left / 1e6);
  }
}
