import { describe, expect, it } from 'vitest';
import { alignPattern, alignPatternInChunks, combineAlignments, hostToTraceNs, uniformTrace } from '../../../main/profile/alignment';
import { makePattern, patternDurationNs, type PatternSchedule } from '../../../main/profile/pattern';
import { mulberry32 } from '../../../main/util/prng';
import { patternActivity, synthesize, toChunks, type Activity, type SynthOptions } from './synth';

const MS = 1e6;
const schedule = makePattern(); // 31 slots of 5 ms
const HOST_START = 300 * MS;

/** Back-to-back inference-like load after the pattern (busy 2–5 ms, 0.5 ms apart). */
function inferenceLoad(fromNs: number, toNs: number, seed: number): Activity[] {
  const rng = mulberry32(seed);
  const out: Activity[] = [];
  for (let t = fromNs; t < toNs;) {
    const d = (2 + 3 * rng()) * MS;
    out.push({ startNs: t, endNs: t + d, powerW: 1 });
    t += d + 0.5 * MS;
  }
  return out;
}

function scenario(over: Partial<SynthOptions> & { rateHz: number; delayNs: number; seed: number }, s: PatternSchedule = schedule) {
  const end = HOST_START + patternDurationNs(s);
  return synthesize({
    durationNs: 900 * MS,
    baseW: 2,
    riseNs: 50_000,
    noiseW: 0.03,
    wanderW: 0.1,
    bursts: { ratePerS: 10, minNs: 0.2 * MS, maxNs: 3 * MS, powerW: 1 },
    activity: [...patternActivity(s, HOST_START, 1), ...inferenceLoad(end + 10 * MS, 850 * MS, over.seed + 1)],
    phaseNs: 3_000,
    ...over,
  });
}

describe('alignPattern', () => {
  for (const rateHz of [100_000, 10_000]) {
    for (const delayMs of [0, 7.3, 20, 50]) {
      it(`finds a ${delayMs} ms transport delay at ${rateHz / 1000} kS/s within 0.2 ms, through noise, a 50 µs rise time, wander and other threads`, () => {
        const { trace } = scenario({ rateHz, delayNs: delayMs * MS, seed: 11 + delayMs * 10 + rateHz / 1000 });
        const a = alignPattern(trace, schedule, HOST_START);
        expect(a.trusted, a.reason ?? '').toBe(true);
        expect(Math.abs(a.offsetNs - delayMs * MS)).toBeLessThan(0.2 * MS);
        expect(a.uncertaintyNs).toBeGreaterThan(0);
        expect(a.uncertaintyNs!).toBeLessThan(0.1 * MS);
        // The area-based edge is the centroid of the step response: a first-order rise time τ shows
        // up as part of the offset (delay + τ), which is where the energy of each step lands.
        expect(Math.abs(a.offsetNs - delayMs * MS - 50_000)).toBeLessThan(25_000);
        expect(a.strength).toBeGreaterThan(0.8);
        expect(a.peakRatio).toBeGreaterThan(3);
      });
    }
  }

  it('reports offsets that differ by the difference of the delays (20 ± 0.5 ms), with a positive sign for a late meter', () => {
    for (const rateHz of [100_000, 10_000]) {
      const a = alignPattern(scenario({ rateHz, delayNs: 12.34 * MS, seed: 5 }).trace, schedule, HOST_START);
      const b = alignPattern(scenario({ rateHz, delayNs: 32.34 * MS, seed: 6 }).trace, schedule, HOST_START);
      expect(a.trusted && b.trusted).toBe(true);
      expect(a.offsetNs).toBeGreaterThan(12 * MS);
      expect(Math.abs(b.offsetNs - a.offsetNs - 20 * MS)).toBeLessThan(0.5 * MS);
    }
  });

  it('finds offsets up to the end of the search range and refuses what lies beyond it', () => {
    const inRange = alignPattern(scenario({ rateHz: 10_000, delayNs: 180 * MS, seed: 8, durationNs: 1100 * MS }).trace, schedule, HOST_START);
    expect(inRange.trusted).toBe(true);
    expect(Math.abs(inRange.offsetNs - 180 * MS)).toBeLessThan(0.2 * MS);
    const narrow = alignPattern(scenario({ rateHz: 10_000, delayNs: 180 * MS, seed: 8, durationNs: 1100 * MS }).trace, schedule, HOST_START, {
      searchMaxNs: 100 * MS,
    });
    expect(narrow.trusted).toBe(false);
  });

  it('does not trust a trace without the pattern', () => {
    for (const seed of [1, 2, 3]) {
      const noPattern = synthesize({
        durationNs: 900 * MS,
        rateHz: 100_000,
        delayNs: 10 * MS,
        riseNs: 50_000,
        noiseW: 0.03,
        wanderW: 0.1,
        bursts: { ratePerS: 10, minNs: 0.2 * MS, maxNs: 3 * MS, powerW: 1 },
        activity: inferenceLoad(470 * MS, 850 * MS, seed),
        seed,
      });
      const a = alignPattern(noPattern.trace, schedule, HOST_START);
      expect(a.trusted).toBe(false);
      expect(a.reason).toMatch(/weakly|ambiguous|disagree/);
    }
    const flat = alignPattern({ t0Ns: 0, periodNs: 10_000, power: new Float64Array(90_000).fill(1) }, schedule, HOST_START);
    expect(flat.trusted).toBe(false);
    expect(flat.reason).toMatch(/weakly/);
  });

  it('calls a peak ambiguous when the pattern shows twice in the search range', () => {
    const twice = scenario({
      rateHz: 100_000,
      delayNs: 20 * MS,
      seed: 13,
      activity: [...patternActivity(schedule, HOST_START, 1), ...patternActivity(schedule, HOST_START + 180 * MS, 1)],
    });
    const a = alignPattern(twice.trace, schedule, HOST_START);
    expect(a.trusted).toBe(false);
    expect(a.reason).toMatch(/ambiguous \(a peak 180 ms away reaches (9\d|100) % of it\)/);
  });

  it('does not trust a pattern with a gap inside it, nor a meter too slow for the slots', () => {
    const { trace } = scenario({ rateHz: 100_000, delayNs: 20 * MS, seed: 9 });
    const chunks = toChunks(trace, 3);
    // Drop 2 ms of samples in the middle of the pattern, recorded as a gap.
    const gap = { startNs: HOST_START + 20 * MS + 70 * MS, endNs: HOST_START + 20 * MS + 72 * MS };
    const kept = chunks.flatMap((c) => {
      const end = c.t0Ns + c.count * c.periodNs;
      return end <= gap.startNs || c.t0Ns >= gap.endNs ? [c] : [];
    });
    const whole = alignPatternInChunks(chunks, [], schedule, HOST_START);
    expect(whole.trusted).toBe(true);
    expect(Math.abs(whole.offsetNs - 20 * MS)).toBeLessThan(0.2 * MS);
    const holed = alignPatternInChunks(kept, [gap], schedule, HOST_START);
    expect(holed.trusted).toBe(false);
    expect(holed.reason).toMatch(/gap inside the alignment pattern/);

    const slow = alignPattern(scenario({ rateHz: 500, delayNs: 20 * MS, seed: 10, dtNs: 10_000 }).trace, schedule, HOST_START);
    expect(slow.trusted).toBe(false);
    expect(slow.reason).toMatch(/too slowly to resolve the 5\.00 ms pattern slots/);
    expect(alignPatternInChunks([], [], schedule, HOST_START).reason).toMatch(/does not cover/);
  });

  it('estimates drift from two patterns and maps host times with it', () => {
    const second = 2300 * MS;
    const opts = {
      rateHz: 100_000,
      delayNs: 15 * MS,
      driftPpm: 100,
      seed: 12,
      durationNs: 2800 * MS,
      activity: [
        ...patternActivity(schedule, HOST_START, 1),
        ...inferenceLoad(470 * MS, 2200 * MS, 4),
        ...patternActivity(schedule, second, 1),
        ...inferenceLoad(2470 * MS, 2700 * MS, 5),
      ],
    };
    const { trace } = scenario(opts);
    const a1 = alignPattern(trace, schedule, HOST_START);
    const a2 = alignPattern(trace, schedule, second);
    const both = combineAlignments(a1, a2);
    expect(a1.method).toMatch(/drift not estimated/);
    expect(both.method).toMatch(/drift from two patterns/);
    expect(both.trusted).toBe(true);
    expect(Math.abs(both.driftPpm - 100)).toBeLessThan(25);
    // Stored − true = delay + 100 ppm of the true time (+ the rise time's 50 µs).
    const h = 1500 * MS;
    expect(Math.abs(hostToTraceNs(both, h) - h - (15 * MS + h * 100e-6 + 50_000))).toBeLessThan(60_000);
    expect(hostToTraceNs({ offsetNs: 7, driftPpm: 0, refNs: 0 }, 100)).toBe(107);
    expect(() => combineAlignments(a2, a1)).toThrow(/after the first/);
  });
});

describe('uniformTrace', () => {
  it('copies samples of chunks on one grid exactly and leaves gaps and damaged chunks empty', () => {
    const chunks = [
      { t0Ns: 0, periodNs: 10, count: 3, power: [1, 2, 3] },
      { t0Ns: 30, periodNs: 10, count: 2, power: [4, 5], damaged: true },
      { t0Ns: 50, periodNs: 10, count: 2, power: [6, 7] },
      { t0Ns: 100, periodNs: 10, count: 2, power: [8, 9] },
    ];
    const t = uniformTrace(chunks, [{ startNs: 70, endNs: 100 }], 0, 120)!;
    expect(t.t0Ns).toBe(0);
    expect(t.periodNs).toBe(10);
    expect(Array.from(t.power)).toEqual([1, 2, 3, NaN, NaN, 6, 7, NaN, NaN, NaN, 8, 9]);
  });
});
