/** The live view's range decimation, logic lanes, wheel zoom and drag pan. */
import { describe, expect, it } from 'vitest';
import { MAX_SPAN_S, MIN_SPAN_S, panView, zoomView } from '../../../renderer/src/meters/LiveChart';
import { LiveWindow, LogicWindow } from '../../../renderer/src/meters/liveWindow';
import { parseMs, triggerLine } from '../../../renderer/src/meters/TriggerControls';
import { mAh } from '../../../renderer/src/meters/RecordControls';

function batch(from: number, n: number, value: (t: number) => number, bucketS = 0.005) {
  const tS = Array.from({ length: n }, (_, i) => from + i * bucketS);
  return { tS, min: tS.map((t) => value(t) - 1), max: tS.map((t) => value(t) + 1), mean: tS.map(value), bucketS };
}

describe('LiveWindow.range', () => {
  it('returns the buckets of a time range, merged to at most maxPoints with every extreme kept', () => {
    const w = new LiveWindow(600);
    for (let i = 0; i < 100; i++) w.push(batch(i * 0.1, 20, (t) => (Math.abs(t - 5.005) < 1e-6 ? 100 : 1))); // 10 s; one spike at 5.005 s
    const [t, lo, hi, mean] = w.range(2, 8, 100);
    expect(t.length).toBeLessThanOrEqual(100);
    expect(t[0]).toBeCloseTo(2, 9);
    expect(t.at(-1)!).toBeLessThanOrEqual(8);
    expect(Math.max(...hi)).toBe(101); // the spike survives 12× merging
    expect(Math.min(...lo)).toBe(0);
    expect(mean.every((m) => m >= 1)).toBe(true);
    // Unmerged when it fits.
    const [t2] = w.range(2, 2.1, 1000);
    expect(t2.length).toBe(21);
  });
});

describe('LogicWindow lanes', () => {
  it('draws a bit as high, low, toggled or without data per step', () => {
    const lw = new LogicWindow();
    // 4 buckets: D0 high throughout; D1 low, low, toggled, high.
    lw.push({ tS: [0, 0.005, 0.01, 0.015], high: [0b01, 0b01, 0b01, 0b11], low: [0b10, 0b10, 0, 0], names: ['D0', 'D1'] });
    expect(Array.from(lw.lane(0, 0, 0.02, 4))).toEqual([1, 1, 1, 1]);
    expect(Array.from(lw.lane(1, 0, 0.02, 4))).toEqual([0, 0, 2, 1]);
    // Two buckets in one step that disagree show as toggled; a step with no bucket has no data.
    expect(Array.from(lw.lane(1, 0, 0.04, 4))).toEqual([0, 2, -1, -1]);
  });
});

describe('live view zoom and pan', () => {
  it('zooms around the cursor when detached, keeps following when live, and stays within 10 ms … 10 min', () => {
    const z = zoomView({ spanS: 10, endS: 20 }, 30, 15, 0.5);
    expect(z.spanS).toBe(5);
    expect(z.endS).toBeCloseTo(17.5, 9); // 15 s stays at the same place on screen
    expect(zoomView({ spanS: 10, endS: null }, 30, 25, 2)).toEqual({ spanS: 20, endS: null });
    expect(zoomView({ spanS: 0.011, endS: null }, 30, 25, 0.1).spanS).toBe(MIN_SPAN_S);
    expect(zoomView({ spanS: 500, endS: null }, 30, 25, 4).spanS).toBe(MAX_SPAN_S);
  });

  it('pans earlier by the dragged time and never past the newest data', () => {
    expect(panView({ spanS: 10, endS: null }, 30, 4)).toEqual({ spanS: 10, endS: 26 });
    expect(panView({ spanS: 10, endS: 26 }, 30, -100)).toEqual({ spanS: 10, endS: 30 });
  });
});

describe('trigger form and totals wording', () => {
  it('checks milliseconds in one sentence and words each trigger state', () => {
    expect(parseMs('', 'hold-off', 10)).toBe(0);
    expect(parseMs('12.5', 'hold-off', 100)).toBe(12.5);
    expect(parseMs('-1', 'pre-trigger', 10000)).toBe('The pre-trigger must be a number of milliseconds from 0 to 10000.');
    const base = { start: 'power>0.5W', stop: null, holdoffS: 0.01, pretriggerS: 0.1, sessionId: null, triggerAtS: null, stopAtS: null };
    expect(triggerLine({ ...base, phase: 'armed' })).toBe('Armed: waiting for power>0.5W (hold-off 10 ms).');
    expect(triggerLine({ ...base, phase: 'recording', sessionId: 4, triggerAtS: 0.1 })).toBe(
      'Triggered on power>0.5W: session 4 recording from 100.0 ms before the crossing.',
    );
    expect(mAh(3.6)).toBe('1.00 mAh');
    expect(mAh(0.0036)).toBe('0.00100 mAh');
  });
});
