/**
 * A synthetic device and meter for the profiler's tests. The device's power follows the host's
 * activity (busy intervals, other threads' bursts, a wandering baseline) through a first-order
 * low-pass (its rise time); the meter averages that power over each of its periods, adds noise and
 * stamps samples with its own clock, late by a known delay (and optionally drifting).
 */
import { gaussian, mulberry32 } from '../../../main/util/prng';
import type { UniformTrace } from '../../../main/profile/alignment';
import type { PowerChunk } from '../../../main/profile/power';
import type { PatternSchedule } from '../../../main/profile/pattern';

/** Extra power drawn during [startNs, endNs) of host time. */
export interface Activity {
  startNs: number;
  endNs: number;
  powerW: number;
}

export interface SynthOptions {
  durationNs: number;
  rateHz: number;
  /** Stored time − true time of a sample: the offset alignment should find. */
  delayNs: number;
  /** Meter clock runs fast by this many ppm (stored − true grows with time). */
  driftPpm?: number;
  /** True start of the first sample period (host ns). */
  phaseNs?: number;
  baseW?: number;
  /** Time constant of the device's first-order response (ns), 0 for none. */
  riseNs?: number;
  /** Per-sample Gaussian noise (W). */
  noiseW?: number;
  /** Amplitude of the slow baseline wander (W). */
  wanderW?: number;
  /** Random busy bursts of other threads. */
  bursts?: { ratePerS: number; minNs: number; maxNs: number; powerW: number };
  activity: Activity[];
  seed: number;
  /** Simulation step (ns), default 1 µs. */
  dtNs?: number;
}

export interface Synth {
  trace: UniformTrace;
  /** ∫ of the device's true power over host time [a, b), J. */
  truthEnergyJ(a: number, b: number): number;
}

export function synthesize(o: SynthOptions): Synth {
  const dt = o.dtNs ?? 1000;
  const n = Math.ceil(o.durationNs / dt);
  const rng = mulberry32(o.seed);
  const base = o.baseW ?? 2;
  // Input power as a difference array of the activities and bursts.
  const diff = new Float64Array(n + 1);
  const add = (a: Activity): void => {
    const i0 = Math.max(0, Math.round(a.startNs / dt));
    const i1 = Math.min(n, Math.round(a.endNs / dt));
    if (i1 <= i0) return;
    diff[i0]! += a.powerW;
    diff[i1]! -= a.powerW;
  };
  o.activity.forEach(add);
  if (o.bursts) {
    const b = o.bursts;
    let t = 0;
    for (;;) {
      t += (-Math.log(Math.max(rng(), 1e-12)) / b.ratePerS) * 1e9;
      if (t >= o.durationNs) break;
      add({ startNs: t, endNs: t + b.minNs + rng() * (b.maxNs - b.minNs), powerW: b.powerW });
    }
  }
  const waves = Array.from({ length: 3 }, () => ({ f: 0.3 + rng() * 2.7, ph: rng() * 2 * Math.PI }));
  const wander = o.wanderW ?? 0;
  const alpha = o.riseNs ? 1 - Math.exp(-dt / o.riseNs) : 1;
  const cum = new Float64Array(n + 1); // ∫ y dt in W·ns
  let u = 0;
  let y = base;
  for (let i = 0; i < n; i++) {
    u += diff[i]!;
    const t = i * dt * 1e-9;
    let w = 0;
    for (const wv of waves) w += Math.sin(2 * Math.PI * wv.f * t + wv.ph);
    const target = base + u + (wander * w) / 3;
    y += (target - y) * alpha;
    cum[i + 1] = cum[i]! + y * dt;
  }
  const integral = (t: number): number => {
    const x = Math.min(Math.max(t / dt, 0), n);
    const k = Math.min(Math.floor(x), n - 1);
    return cum[k]! + (x - k) * (cum[k + 1]! - cum[k]!);
  };
  const period = 1e9 / o.rateHz;
  const truePeriod = period / (1 + (o.driftPpm ?? 0) * 1e-6);
  const phase = o.phaseNs ?? 0;
  const m = Math.floor((o.durationNs - phase) / truePeriod);
  const power = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const a = phase + k * truePeriod;
    power[k] = (integral(a + truePeriod) - integral(a)) / truePeriod + (o.noiseW ?? 0) * gaussian(rng);
  }
  return {
    trace: { t0Ns: phase + o.delayNs, periodNs: period, power },
    truthEnergyJ: (a, b) => (integral(b) - integral(a)) * 1e-9,
  };
}

/** The busy intervals of a schedule started at host time hostStartNs, at the given extra power. */
export function patternActivity(s: PatternSchedule, hostStartNs: number, powerW: number): Activity[] {
  return s.bits.flatMap((b, k) =>
    b === 1 ? [{ startNs: hostStartNs + s.startOffsetNs + k * s.slotNs, endNs: hostStartNs + s.startOffsetNs + (k + 1) * s.slotNs, powerW }] : [],
  );
}

/** Cuts a uniform trace into chunks of random sizes, as a driver's batches would arrive. */
export function toChunks(trace: UniformTrace, seed: number, maxSize = 400): PowerChunk[] {
  const rng = mulberry32(seed);
  const out: PowerChunk[] = [];
  const all = Float64Array.from({ length: trace.power.length }, (_, i) => trace.power[i]!);
  for (let i = 0; i < all.length;) {
    const size = Math.min(all.length - i, 1 + Math.floor(rng() * maxSize));
    out.push({ t0Ns: trace.t0Ns + i * trace.periodNs, periodNs: trace.periodNs, count: size, power: all.subarray(i, i + size) });
    i += size;
  }
  return out;
}
