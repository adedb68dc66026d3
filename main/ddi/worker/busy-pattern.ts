/**
 * The alignment pattern's physical side: this thread spins (drawing CPU power the meter sees) in
 * the 1-slots and sleeps in the 0-slots. Slot edges are absolute times on the host monotonic clock,
 * so a late wake-up shortens one slot instead of shifting every later edge.
 */
import { monotonicNs } from '../../util/clock';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Where the spin loop's result goes, so it cannot be optimised away. */
export let spinResult = 0;

export function runBusyPattern(slotNs: number, bits: number[], startNs?: number): { startNs: number; endNs: number; lateNs: number } {
  if (!(slotNs >= 1e5 && slotNs <= 1e9)) throw new Error(`Pattern slot ${slotNs} ns is outside 0.1 ms … 1 s.`);
  const start = startNs && startNs > monotonicNs() ? startNs : monotonicNs() + slotNs;
  let lateNs = 0;
  let sink = 0;
  waitUntil(start);
  for (let k = 0; k < bits.length; k++) {
    const slotStart = start + k * slotNs;
    const slotEnd = slotStart + slotNs;
    lateNs = Math.max(lateNs, monotonicNs() - slotStart);
    if (bits[k]) {
      // Spin with real arithmetic so the core cannot idle; check the clock every few hundred ops.
      while (monotonicNs() < slotEnd) for (let i = 0; i < 500; i++) sink = (sink * 1664525 + 1013904223) | 0;
    } else {
      waitUntil(slotEnd);
    }
  }
  spinResult = sink;
  return { startNs: start, endNs: start + bits.length * slotNs, lateNs };
}

function waitUntil(tNs: number): void {
  for (;;) {
    const left = tNs - monotonicNs();
    if (left <= 0) return;
    // Sleep most of the way, then spin the last 0.1 ms: Atomics.wait can wake up late.
    if (left > 0.2e6) Atomics.wait(sleeper, 0, 0, (left - 0.1e6) / 1e6);
    else while (monotonicNs() < tNs);
  }
}
