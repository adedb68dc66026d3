// The Sessions list's search/filter/sort and the marker form's checks (one sentence per bad field).
import { describe, expect, it } from 'vitest';
import type { SessionSummary } from '../../../main/api/contract';
import { checkMarker } from '../../../renderer/src/sessions/markerForm';
import { DEFAULT_QUERY, facets, filterSessions } from '../../../renderer/src/sessions/sessionFilter';
import { powerAssumption, uncoveredNote } from '../../../renderer/src/sessions/selectionStats';

const base: SessionSummary = {
  id: 1,
  name: 'idle board',
  kind: 'power',
  status: 'complete',
  statusReason: null,
  startedAt: '2026-03-01T10:00:00.000Z',
  endedAt: null,
  durationS: 10,
  meter: { spec: 'sim', label: 'Simulated', driver: 'sim', simulated: true },
  model: null,
  backend: null,
  notes: '',
  channels: ['power'],
  sampleRateHz: 10,
  samples: 100,
  gaps: 0,
  lostSamples: 0,
  meanPowerW: 1,
  energyJ: 10,
};
const list: SessionSummary[] = [
  base,
  { ...base, id: 2, name: 'Radio burst', notes: 'USB powered', startedAt: '2026-03-05T10:00:00.000Z', energyJ: 30, meter: { ...base.meter!, label: 'PPK2' } },
  {
    ...base,
    id: 3,
    name: 'ddi run',
    kind: 'profile',
    model: 'mgl2s-50',
    status: 'cancelled',
    statusReason: 'Cancelled after 20 of 100 inferences.',
    startedAt: '2026-03-09T10:00:00.000Z',
    energyJ: null,
  },
];

describe('session list filters', () => {
  it('searches every word in name, notes, meter, model and status reason; filters by kind, meter, model and date', () => {
    const ids = (q: Partial<typeof DEFAULT_QUERY>) => filterSessions(list, { ...DEFAULT_QUERY, ...q }).map((s) => s.id);
    expect(ids({})).toEqual([3, 2, 1]); // newest first
    expect(ids({ text: 'usb RADIO' })).toEqual([2]);
    expect(ids({ text: 'cancelled after' })).toEqual([3]);
    expect(ids({ kind: 'profile' })).toEqual([3]);
    expect(ids({ meter: 'PPK2' })).toEqual([2]);
    expect(ids({ model: 'mgl2s-50' })).toEqual([3]);
    expect(ids({ from: '2026-03-02', to: '2026-03-06' })).toEqual([2]);
    expect(ids({ sort: 'energy', descending: true })).toEqual([2, 1, 3]); // no energy sorts last
    expect(ids({ sort: 'name', descending: false })).toEqual([3, 1, 2]);
    expect(facets(list)).toEqual({ meters: ['PPK2', 'Simulated'], models: ['mgl2s-50'] });
  });
});

describe('marker form', () => {
  it('accepts a time or a range with a label, and names each bad field in one sentence', () => {
    expect(checkMarker({ start: '1.25', end: '', label: ' boot ' }, 10).value).toEqual({ tS: 1.25, endS: null, label: 'boot' });
    expect(checkMarker({ start: '1', end: '2.5', label: 'x' }, 10).value).toEqual({ tS: 1, endS: 2.5, label: 'x' });
    expect(checkMarker({ start: 'soon', end: '0.5', label: '' }, 10).errors).toEqual({
      start: '"soon" is not a time; write seconds from the start, like 1.25.',
      label: 'Type a label saying what happens there.',
    });
    expect(checkMarker({ start: '2', end: '1', label: 'x' }, 10).errors.end).toBe(
      'The end must come after the start; leave it empty for a marker at one time.',
    );
    expect(checkMarker({ start: '11', end: '', label: 'x' }, 10).errors.start).toBe('The session ends at 10 s; give a time between 0 and 10 s.');
    expect(checkMarker({ start: '-1', end: '', label: 'x' }, 10).errors.start).toMatch(/is not a time/);
  });
});

describe('selection wording', () => {
  it('states the assumed voltage and the time without samples', () => {
    expect(powerAssumption('nominal-voltage', 3.3)).toBe("Power = current × 3.3 V, the meter's supply set-point: an assumption, not a measured voltage.");
    expect(powerAssumption('measured', null)).toBeNull();
    expect(uncoveredNote({ uncoveredS: 0.2, gaps: [{ startS: 1, endS: 1.2, lostSamples: 2000, reason: 'x' }], lostSamples: 2000 })).toBe(
      '200 ms of the range has no samples (1 gap, 2,000 samples lost); it is left out of every figure.',
    );
    expect(uncoveredNote({ uncoveredS: 0, gaps: [], lostSamples: 0 })).toBeNull();
  });
});
