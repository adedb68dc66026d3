/**
 * Importing CSV and .ppk2 files into the real SQLite file: the sessions behave like recorded ones
 * (250 ms chunks with stats and CRC-32, gaps where the file has no samples or NaN), are labelled
 * imported, and a bad file is refused with one sentence leaving the database as it was.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFile } from '../../../main/import/session-import';
import { ppk2Lines } from '../../../main/import/ppk2-source';
import { normaliseHeader, snapPeriod } from '../../../main/import/csv-source';
import { exportSessionToFile } from '../../../main/export/session-export';
import { readChunks, type DecodedChunk } from '../../../main/store/chunk-reader';
import { closeDatabase, openDatabase, type Db } from '../../../main/store/database';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { isUserError } from '../../../main/util/errors';
import { bitPairs, writePpk2, zip, sessionRaw } from './ppk2-fixture';

let dir: string;
let db: Db;
let repo: SessionsRepo;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ddi-import-'));
  db = openDatabase(join(dir, 'db.sqlite'));
  repo = new SessionsRepo(db);
});
afterEach(() => closeDatabase(db));

/** Every stored sample of a session, in time order: [t_ns, ...channel values]. */
function samplesOf(id: number): { t: number[]; planes: Record<string, number[]>; digital: number[] } {
  const out = { t: [] as number[], planes: {} as Record<string, number[]>, digital: [] as number[] };
  for (const c of readChunks(db, id)) {
    expect(c.damaged).toBe(false);
    const d = c as DecodedChunk;
    for (let i = 0; i < d.count; i++) out.t.push(d.t0Ns + i * d.periodNs);
    for (const ch of d.channels) (out.planes[ch] ??= []).push(...d.planes[ch]!);
    if (d.digital) out.digital.push(...d.digital);
  }
  return out;
}

function counts(): { sessions: number; meters: number; chunks: number; gaps: number } {
  const n = (t: string): number => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  return { sessions: n('sessions'), meters: n('meters'), chunks: n('sample_chunks'), gaps: n('gaps') };
}

async function refused(path: string): Promise<string> {
  const before = counts();
  const e = await importFile(db, path).then(
    () => null,
    (err: unknown) => err,
  );
  expect(isUserError(e), `expected a UserError, got ${String(e)}`).toBe(true);
  expect(counts()).toEqual(before);
  const message = (e as Error).message;
  // One sentence: ends with a period, no line breaks.
  expect(message).toMatch(/^[^\n]+\.$/);
  return message;
}

describe('CSV import', () => {
  it('round trip: a recorded session exported as CSV imports to the same samples (float32), chunks and gaps', async () => {
    // 1 kS/s, three channels; 3 s, a 0.5 s hole (a recorded gap), then 1.2 s more.
    const rate = 1000;
    const src = repo.createSession({
      name: 'orig',
      kind: 'power',
      startMonoNs: 1e12,
      meterId: null,
      simulated: false,
      channels: ['current', 'voltage', 'power'],
      sampleRateHz: rate,
    });
    const mk = (t0: number, n: number) => {
      const data = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
      for (let i = 0; i < n; i++) {
        const k = t0 / 1e6 + i;
        data[0]![i] = 0.001 * Math.sin(k / 7) + 0.0123456789;
        data[1]![i] = 3.3 + 0.01 * Math.cos(k / 3);
        data[2]![i] = data[0]![i]! * data[1]![i]!;
      }
      return { periodNs: 1e6, count: n, channels: ['current', 'voltage', 'power'] as const, data };
    };
    for (let s = 0; s < 12; s++) repo.insertChunk(src, s, s * 250e6, { ...mk(s * 250e6, 250), channels: ['current', 'voltage', 'power'] });
    repo.insertGap(src, { start_ns: 3e9, end_ns: 3.5e9, lost_samples: 500, reason: 'meter unplugged' });
    for (let s = 0; s < 5; s++) repo.insertChunk(src, 12 + s, 3.5e9 + s * 250e6, { ...mk(3.5e9 + s * 250e6, 250), channels: ['current', 'voltage', 'power'] });
    repo.finishSession(src, 'complete', 4.75);
    const csv = join(dir, 'orig.csv');
    await exportSessionToFile(db, repo, src, 'csv', csv);

    const r = await importFile(db, csv, { name: 'back' });
    expect(r.format).toBe('csv');
    expect(r.samples).toBe(17 * 250);
    const a = samplesOf(src);
    const b = samplesOf(r.id);
    expect(b.t.length).toBe(a.t.length);
    for (let i = 0; i < a.t.length; i++) expect(Math.abs(b.t[i]! - a.t[i]!)).toBeLessThan(2);
    for (const ch of ['current', 'voltage', 'power']) {
      // The CSV holds 7 significant digits of each float32: within one float32 step of 2^-23 relative.
      for (let i = 0; i < a.t.length; i++) expect(Math.abs(b.planes[ch]![i]! - a.planes[ch]![i]!)).toBeLessThanOrEqual(Math.abs(a.planes[ch]![i]!) * 2 ** -21);
    }
    // Storage chunks of 250 ms with stats and checksums, like a recording.
    const chunks = db.prepare('SELECT count, period_ns, crc32, current_min, power_mean FROM sample_chunks WHERE session_id = ? ORDER BY t0_ns').all(r.id) as {
      count: number;
      period_ns: number;
      crc32: number | null;
      current_min: number | null;
      power_mean: number | null;
    }[];
    expect(chunks.map((c) => c.count)).toEqual(new Array(17).fill(250));
    expect(chunks.every((c) => c.period_ns === 1e6 && c.crc32 !== null && c.current_min !== null && c.power_mean !== null)).toBe(true);
    // The hole is a gap of the same span and size.
    const gaps = repo.gaps(r.id);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ start_ns: 3e9, end_ns: 3.5e9, lost_samples: 500, reason: 'no samples in the imported file' });
    // Labelled imported, kind power, complete, same summary figures.
    const row = repo.get(r.id);
    expect(row).toMatchObject({ name: 'back', kind: 'power', status: 'complete', meter_driver: 'import', sample_rate_hz: 1000 });
    expect(row.notes).toMatch(/^Imported from .*orig\.csv/);
    const settings = JSON.parse((db.prepare('SELECT settings FROM meters WHERE id = ?').get(row.meter_id) as { settings: string }).settings) as Record<
      string,
      unknown
    >;
    expect(settings).toMatchObject({ imported: true, format: 'csv' });
    expect(repo.stats(r.id).energyJ).toBeCloseTo(repo.stats(src).energyJ!, 9);
  });

  it('a plain file in other units (Timestamp(ms), Current(uA)) with a NaN and an empty field: values in SI, each missing value a gap', async () => {
    const lines = ['# from a bench logger', 'Timestamp(ms);Current(uA);extra'];
    for (let i = 0; i < 2000; i++) {
      const v = i === 700 ? 'NaN' : i === 701 ? '' : String(100 + (i % 10));
      lines.push(`${(i * 0.1).toFixed(1)};${v};x`);
    }
    const path = join(dir, 'logger.csv');
    writeFileSync(path, lines.join('\r\n') + '\r\n');
    const r = await importFile(db, path);
    expect(r.samples).toBe(1998);
    const s = samplesOf(r.id);
    expect(Object.keys(s.planes)).toEqual(['current']);
    expect(s.planes.current![0]).toBe(Math.fround(100e-6));
    expect(s.t[1]! - s.t[0]!).toBeCloseTo(1e5, 6); // 10 kS/s
    expect(repo.get(r.id).sample_rate_hz).toBe(10_000);
    const gaps = repo.gaps(r.id);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ start_ns: 70e6, end_ns: 70.2e6, lost_samples: 2, reason: 'non-finite values from the meter' });
  });

  it('shifts an absolute clock to start at 0 and says so in the notes', async () => {
    const path = join(dir, 'epoch.csv');
    writeFileSync(path, 'time_s,power_W\n' + Array.from({ length: 50 }, (_, i) => `${1_700_000_000 + i * 0.01},${0.5}`).join('\n') + '\n');
    const r = await importFile(db, path);
    expect(samplesOf(r.id).t[0]).toBe(0);
    expect(repo.get(r.id).notes).toMatch(/shifted by -1700000000\.000000 s/);
  });

  it('accepted header names', () => {
    expect(normaliseHeader(' "Current (mA)" ')).toBe('current_ma');
    expect(normaliseHeader('Timestamp(ms)')).toBe('timestamp_ms');
    expect(normaliseHeader('I [µA]')).toBe('i_ua');
    expect(snapPeriod(10_000.4)).toBe(10_000);
    expect(snapPeriod(333_333.5)).toBeCloseTo(1e9 / 3000, 6);
  });

  it('refuses bad files with one sentence and writes nothing', async () => {
    const bad = (name: string, text: string): string => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    expect(await refused(bad('nohead.csv', '0,1\n1,2\n'))).toMatch(/needs a time column/);
    expect(await refused(bad('novalue.csv', 'time_s,temperature_C\n0,20\n1,21\n'))).toMatch(/at least one of current/);
    expect(await refused(bad('text.csv', 'time_s,current_A\n0,0.1\n0.001,0.1\n0.002,abc\n'))).toMatch(/line 4: "abc" in column current_A is not a number/);
    expect(await refused(bad('back.csv', 'time_s,current_A\n0,0.1\n0.001,0.1\n0.002,0.1\n0.0015,0.1\n'))).toMatch(/line 5: the time 0.0015 does not increase/);
    expect(await refused(bad('empty.csv', ''))).toMatch(/empty/);
    expect(await refused(join(dir, 'missing.csv'))).toMatch(/There is no file/);
    expect(await refused(bad('old.ppk', 'x'))).toMatch(/legacy \.ppk file/);
  });
});

describe('.ppk2 import', () => {
  const RATE = 100_000;
  const N = 60_000; // 0.6 s
  const fixture = () => {
    const currentUa = new Float32Array(N);
    const lines = new Uint8Array(N);
    for (let i = 0; i < N; i++) {
      currentUa[i] = 1000 + 500 * Math.sin(i / 50); // µA
      lines[i] = (i >> 10) & 1 ? 0b1000_0001 : 0; // D0 and D7 toggle every 1024 samples
    }
    for (let i = 30_000; i < 30_100; i++) currentUa[i] = NaN; // samples the app lost
    return { rate: RATE, currentUa, lines, startSystemTime: Date.UTC(2026, 0, 2, 3, 4, 5) };
  };

  it('the published format (ZIP of metadata.json and 6-byte frames) becomes an imported current-only session with D0–D7 and a gap for NaN', async () => {
    const f = fixture();
    const path = join(dir, 'ppk2-20260102T030405.ppk2');
    writePpk2(path, f);
    const r = await importFile(db, path, { name: 'from the PPK2 app' });
    expect(r).toMatchObject({ format: 'ppk2', samples: N - 100, gaps: 1 });
    const s = samplesOf(r.id);
    expect(Object.keys(s.planes)).toEqual(['current']);
    // µA → A, float32 as in the file; times at exactly 10 µs.
    expect(s.planes.current![0]).toBe(Math.fround(f.currentUa[0]! * 1e-6));
    expect(s.planes.current![29_999]).toBe(Math.fround(f.currentUa[29_999]! * 1e-6));
    expect(s.planes.current![30_000]).toBe(Math.fround(f.currentUa[30_100]! * 1e-6));
    expect(s.t[30_000]).toBeCloseTo(30_100 * 10_000, 3);
    expect(s.digital.slice(1020, 1030)).toEqual([0, 0, 0, 0, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81]);
    const gap = repo.gaps(r.id)[0]!;
    expect(gap).toMatchObject({ start_ns: 300_000_000, end_ns: 301_000_000, lost_samples: 100 });
    const row = repo.get(r.id);
    expect(row).toMatchObject({ kind: 'power', status: 'complete', started_at: '2026-01-02T03:04:05.000Z', meter_driver: 'import', sample_rate_hz: RATE });
    expect(row.meter_label).toMatch(/nRF Connect Power Profiler \.ppk2/);
    expect(row.duration_s).toBeCloseTo(0.6, 9);
    // 250 ms storage chunks (25 000 samples), cut short only at the gap.
    const chunkCounts = (db.prepare('SELECT count FROM sample_chunks WHERE session_id = ? ORDER BY t0_ns').all(r.id) as { count: number }[]).map(
      (c) => c.count,
    );
    expect(chunkCounts).toEqual([25_000, 5_000, 25_000, 4_900]);
    const caps = JSON.parse((db.prepare('SELECT capabilities FROM meters WHERE id = ?').get(row.meter_id) as { capabilities: string }).capabilities) as {
      digitalInputs: number;
    };
    expect(caps.digitalInputs).toBe(8);
  });

  it('reads the two-bit line states as the app writes them (big-endian pairs, D0 lowest)', () => {
    for (let lines = 0; lines < 256; lines++) expect(ppk2Lines(bitPairs(lines))).toBe(lines);
    expect(ppk2Lines(0xaaaa)).toBe(0xff); // the app's "all high" default for files without digital data
    expect(ppk2Lines(0x0003)).toBe(0x01); // 11: high at some time within the sample
    // Frame layout: current little-endian, bits big-endian.
    const raw = sessionRaw({ rate: 1, currentUa: Float32Array.of(1.5), lines: Uint8Array.of(1) });
    expect([...raw]).toEqual([...Buffer.from(Float32Array.of(1.5).buffer)].concat([0x55, 0x56]));
  });

  it('refuses a damaged or foreign .ppk2 with one sentence and writes nothing', async () => {
    const f = fixture();
    const p = (name: string): string => join(dir, name);
    writePpk2(p('v1.ppk2'), { ...f, formatVersion: 1 });
    expect(await refused(p('v1.ppk2'))).toMatch(/formatVersion is 1; only version 2 is read/);
    writePpk2(p('odd.ppk2'), f, (files) => files.set('session.raw', files.get('session.raw')!.subarray(0, 6 * 10 + 3)));
    expect(await refused(p('odd.ppk2'))).toMatch(/not a whole number of 6-byte samples/);
    writePpk2(p('nometa.ppk2'), f, (files) => files.delete('metadata.json'));
    expect(await refused(p('nometa.ppk2'))).toMatch(/lacks metadata\.json/);
    const files = new Map([
      ['metadata.json', Buffer.from(JSON.stringify({ metadata: { samplesPerSecond: RATE }, formatVersion: 2 }))],
      ['session.raw', sessionRaw(f)],
    ]);
    writeFileSync(p('crc.ppk2'), zip(files, 'session.raw'));
    expect(await refused(p('crc.ppk2'))).toMatch(/session\.raw fails its CRC-32 check/);
    writeFileSync(p('cut.ppk2'), readFileSync(p('v1.ppk2')).subarray(0, 5000));
    expect(await refused(p('cut.ppk2'))).toMatch(/not a readable \.ppk2 file \(it is not a ZIP archive/);
  });
});
