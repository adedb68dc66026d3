import { describe, expect, it } from 'vitest';
import { count, dateTime, duration, si, stopwatch, watts } from '../../../renderer/src/common/format';
import { initialValues, meterSpec, toOptions, type Setting } from '../../../renderer/src/meters/settings';
import { exportOutcome } from '../../../renderer/src/sessions/exportSession';
import { pointsForWidth, traceColumns, zoomRange } from '../../../renderer/src/sessions/traceData';
import { parseRoute, routeHref } from '../../../renderer/src/shell/route';
import { clockElapsedS, nextClock } from '../../../renderer/src/shell/recordingClock';

const settings: Setting[] = [
  { key: 'rateHz', label: 'Sample rate', type: 'number', default: 10_000, unit: 'S/s', min: 1, max: 1_000_000 },
  { key: 'idleW', label: 'Idle power', type: 'number', unit: 'W', min: 0 },
  { key: 'name', label: 'Name', type: 'string', default: 'x' },
  { key: 'trigger', label: 'Trigger', type: 'boolean', default: true },
  { key: 'range', label: 'Range', type: 'enum', choices: ['auto', '1A', '10mA'], default: '1A' },
];

describe('driver settings → connect options', () => {
  it('starts from the descriptor defaults', () => {
    expect(initialValues(settings)).toEqual({ rateHz: '10000', idleW: '', name: 'x', trigger: true, range: '1A' });
  });

  it('converts typed values, leaves blanks to the core, and reports range errors per field', () => {
    const ok = toOptions(settings, { rateHz: ' 2000 ', idleW: '', name: 'abc', trigger: false, range: 'auto' });
    expect(ok.errors).toEqual({});
    expect(ok.options).toEqual({ rateHz: 2000, name: 'abc', trigger: false, range: 'auto' });

    const bad = toOptions(settings, { rateHz: '0', idleW: 'lots', name: '', trigger: true, range: 'huge' });
    expect(bad.errors.rateHz).toBe('Sample rate must be at least 1 S/s.');
    expect(bad.errors.idleW).toBe('Idle power must be a number.');
    expect(bad.errors.range).toBe('Range must be one of: auto, 1A, 10mA.');
    expect(toOptions(settings, { rateHz: '2000000' }).errors.rateHz).toBe('Sample rate must be at most 1000000 S/s.');
  });

  it('writes the meter spec the core parses', () => {
    expect(meterSpec('sim', undefined)).toBe('sim');
    expect(meterSpec('ppk2', '/dev/ttyACM0')).toBe('ppk2:/dev/ttyACM0');
  });
});

describe('stored trace helpers', () => {
  it('breaks the lines where buckets are missing or a recorded gap starts', () => {
    const [t, lo, , mean] = traceColumns({
      tS: [0, 1, 2, 5, 6, 7],
      // Buckets of several samples (min < max), so they are drawn as lines, not sample steps.
      min: [-1, 0, 1, 4, 5, 6],
      max: [1, 2, 3, 6, 7, 8],
      mean: [0, 1, 2, 5, 6, 7],
      bucketS: 1,
      gaps: [{ startS: 6.5, endS: 6.6, lostSamples: 3, reason: 'device' }],
    });
    expect(t).toEqual([0, 1, 2, 3.5, 5, 6, 6.5, 7]);
    expect(mean).toEqual([0, 1, 2, null, 5, 6, null, 7]);
    expect(lo[3]).toBeNull();
  });

  it('turns a drag into a range inside the session, ignoring empty drags', () => {
    expect(zoomRange(2, 1, 10)).toEqual({ fromS: 1, toS: 2 });
    expect(zoomRange(-1, 20, 10)).toEqual({ fromS: 0, toS: 10 });
    expect(zoomRange(3, 3, 10)).toBeNull();
    expect(pointsForWidth(3)).toBe(10);
    expect(pointsForWidth(1234.4)).toBe(1234);
    expect(pointsForWidth(1e6)).toBe(20_000);
  });

  it('downloads in browser mode and reports the saved path in Electron', () => {
    expect(exportOutcome({ fileName: 'a.csv', downloadUrl: '/download/x' })).toEqual({ kind: 'download', url: '/download/x', fileName: 'a.csv' });
    expect(exportOutcome({ fileName: 'a.csv', savedTo: '/home/u/a.csv' })).toEqual({ kind: 'saved', path: '/home/u/a.csv' });
    expect(exportOutcome({ fileName: 'a.csv', cancelled: true })).toEqual({ kind: 'cancelled' });
  });
});

describe('routes', () => {
  it('parses hash routes and round-trips them', () => {
    expect(parseRoute('')).toEqual({ page: 'meters' });
    expect(parseRoute('#/sessions')).toEqual({ page: 'sessions' });
    expect(parseRoute('#/sessions/12')).toEqual({ page: 'session', id: 12 });
    expect(parseRoute('#/sessions/abc')).toEqual({ page: 'sessions' });
    expect(parseRoute('#/run/')).toEqual({ page: 'run' });
    for (const r of [{ page: 'meters' }, { page: 'sessions' }, { page: 'session', id: 7 }, { page: 'run' }] as const) {
      expect(parseRoute(routeHref(r))).toEqual(r);
    }
  });
});

describe('formatting', () => {
  it('uses SI prefixes with three significant digits', () => {
    expect(watts(1.8234)).toBe('1.82 W');
    expect(watts(0.00123)).toBe('1.23 mW');
    expect(si(0.0000456, 'A')).toBe('45.6 µA');
    expect(si(1234, 'J')).toBe('1.23 kJ');
    expect(watts(null)).toBe('—');
    expect(watts(0)).toBe('0 W');
    expect(watts(-0.5)).toBe('-500 mW');
  });

  it('formats durations, stopwatches, counts and dates', () => {
    expect(duration(3.2345)).toBe('3.23 s');
    expect(duration(125)).toBe('2 min 05 s');
    expect(duration(3725)).toBe('1 h 02 min');
    expect(stopwatch(3.04)).toBe('0:03.0');
    expect(stopwatch(75.25)).toBe('1:15.3');
    expect(count(32108)).toBe('32,108');
    expect(dateTime('not a date')).toBe('not a date');
    expect(dateTime(null)).toBe('—');
  });
});

describe('recording stopwatch', () => {
  const rec = (id: number, durationS: number) => ({ id, durationS }) as import('../../../renderer/src/common/types').SessionSummary;
  it("runs on the viewer's clock from the first summary, without jumping on later ones", () => {
    const c1 = nextClock(null, rec(1, 0.2), 10_000);
    expect(clockElapsedS(c1, 12_000)).toBeCloseTo(2.2, 9);
    // A later summary of the same session (its duration lagging a little) keeps the baseline.
    const c2 = nextClock(c1, rec(1, 1.5), 12_000);
    expect(c2).toBe(c1);
    // A different session starts a new clock; none when recording stops.
    expect(clockElapsedS(nextClock(c2, rec(2, 0), 20_000), 20_500)).toBeCloseTo(0.5, 9);
    expect(nextClock(c2, null, 1)).toBeNull();
    expect(clockElapsedS(null, 5)).toBe(0);
  });
});
