// queryTrace at the deepest zoom: a window with fewer samples than points returns the samples
// themselves (exact times and values), with one neighbour either side, from the real SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionRecorder } from '../../../main/session/recorder';
import { openDatabase, type Db } from '../../../main/store/database';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { queryTrace } from '../../../main/store/trace-query';
import { FakeMeter, makeChunk } from '../../helpers/fake-meter';

const RATE = 10_000; // 100 µs between samples
let dir: string;
let db: Db;
let sessionId: number;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ddi-trace-raw-'));
  db = openDatabase(join(dir, 'db.sqlite'));
  const meter = new FakeMeter({ channels: ['current', 'voltage', 'power'], sampleRateHz: RATE, digitalInputs: 0, deviceClock: false, simulated: false });
  const rec = new SessionRecorder(new SessionsRepo(db), meter, { name: 'raw' });
  // Power of sample i is i (exact in float32), so every returned point names its own sample.
  meter.push(makeChunk(rec.startNs, RATE, 5000, (i) => [i / 5, 5, i]));
  rec.stop();
  sessionId = rec.sessionId;
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const trace = (fromS: number, toS: number, points: number) => queryTrace(db, { sessionId, channel: 'power', fromS, toS, points });

/** Each point is sample i = power at time i / RATE. */
function expectSamples(t: ReturnType<typeof trace>, first: number, last: number): void {
  const want = Array.from({ length: last - first + 1 }, (_, k) => first + k);
  expect(t.mean).toEqual(want);
  expect(t.min).toEqual(want);
  expect(t.max).toEqual(want);
  t.tS.forEach((s, k) => expect(s).toBeCloseTo(want[k]! / RATE, 9));
  expect(t.bucketS).toBeCloseTo(1 / RATE, 12);
}

describe('stored trace at the deepest zoom', () => {
  it('returns the samples of a window holding fewer samples than points, instead of mostly empty buckets', () => {
    // 0.77 ms at 99 points: buckets of 7.8 µs would hold a sample in one of every 13.
    const t = trace(0.1, 0.10077, 99);
    expectSamples(t, 1000, 1008);
  });

  it('shows the two samples around a window narrower than one sample period', () => {
    expectSamples(trace(0.10002, 0.10005, 100), 1000, 1001);
  });

  it('joins the samples across a chunk boundary', () => {
    expectSamples(trace(0.24995, 0.25015, 100), 2499, 2502);
  });

  it('keeps buckets when the window holds more samples than points', () => {
    const t = trace(0.1, 0.2, 100); // 1000 samples
    expect(t.tS).toHaveLength(100);
    expect(t.bucketS).toBeCloseTo(0.001, 12);
    expect(t.max[0]! - t.min[0]!).toBe(9);
  });
});
