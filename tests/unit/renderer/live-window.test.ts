import { describe, expect, it } from 'vitest';
import { LiveWindow } from '../../../renderer/src/meters/liveWindow';

function batch(from: number, n: number, bucketS = 0.005) {
  const tS = Array.from({ length: n }, (_, i) => from + i * bucketS);
  return { tS, min: tS.map((t) => t - 1), max: tS.map((t) => t + 1), mean: tS.map((t) => t * 10), bucketS };
}

describe('LiveWindow', () => {
  it('keeps only the last windowS seconds, relative to the newest bucket', () => {
    const w = new LiveWindow(1);
    for (let i = 0; i < 30; i++) w.push(batch(i * 0.1, 20)); // 3 s of 5 ms buckets
    const [t, lo, hi, mean] = w.columns();
    const latest = w.latestT()!;
    expect(latest).toBeCloseTo(2.995, 9);
    expect(t[0]!).toBeGreaterThanOrEqual(latest - 1 - 1e-9);
    expect(t.length).toBeGreaterThan(195);
    expect(t.length).toBeLessThanOrEqual(201);
    // Columns stay aligned after trimming.
    expect(lo[0]).toBeCloseTo(t[0]! - 1, 9);
    expect(hi.at(-1)).toBeCloseTo(latest + 1, 9);
    expect(mean.at(-1)).toBeCloseTo(latest * 10, 9);
    expect(w.latestMean()).toBeCloseTo(latest * 10, 9);
    expect(w.received).toBe(600);
  });

  it('stays correct across many compactions', () => {
    const w = new LiveWindow(0.5);
    for (let i = 0; i < 2000; i++) w.push(batch(i * 0.05, 10));
    const [t] = w.columns();
    expect(t.length).toBe(101);
    for (let i = 1; i < t.length; i++) expect(t[i]! - t[i - 1]!).toBeCloseTo(0.005, 9);
    expect(t.at(-1)).toBeCloseTo(99.995, 6);
  });

  it('bumps its version and notifies on change only', () => {
    const w = new LiveWindow();
    let calls = 0;
    const off = w.subscribe(() => calls++);
    const v0 = w.version;
    w.push(batch(0, 0));
    expect(w.version).toBe(v0);
    w.push(batch(0, 5));
    expect(w.version).toBe(v0 + 1);
    expect(calls).toBe(1);
    off();
    w.push(batch(0.025, 5));
    expect(calls).toBe(1);
  });

  it('starts over when time goes backwards (a new meter connection)', () => {
    const w = new LiveWindow();
    w.push(batch(5, 10));
    w.push(batch(0, 3));
    expect(w.columns()[0]).toEqual([0, 0.005, 0.01]);
    expect(w.received).toBe(3);
  });
});
