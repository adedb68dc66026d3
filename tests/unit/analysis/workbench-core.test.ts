// The workbench calls through AppCore.handle (contract-validated) on a real SQLite file: selection
// statistics with a recorded gap and a damaged chunk, range checks, the range export, markers,
// rename/notes and delete with the space given back.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallOutput } from '../../../main/api/contract';
import { AppCore } from '../../../main/core/app-core';
import { closeDatabase, openDatabase } from '../../../main/store/database';
import { SessionsRepo } from '../../../main/store/sessions-repo';

const MS = 1e6;
let dir: string;
let core: AppCore | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ddi-workbench-'));
});
afterEach(async () => {
  await core?.close();
  core = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Session 1: 1 kS/s, I = 0.1·(i+1) A, V = 2 V, P = V·I. Chunk 0 holds samples 0–9 (0–10 ms), a
 * recorded gap 10–20 ms, chunk 1 samples at 20–30 ms, chunk 2 (30–40 ms) damaged behind the
 * app's back. Returns the database path.
 */
function fixture(opts: { damage?: boolean; currentOnlyV?: number } = {}): string {
  const path = join(dir, 'db.sqlite');
  const db = openDatabase(path);
  const repo = new SessionsRepo(db);
  const channels = opts.currentOnlyV === undefined ? (['current', 'voltage', 'power'] as const) : (['current'] as const);
  const id = repo.createSession({
    name: 'fixture',
    kind: 'power',
    startMonoNs: 0,
    meterId: null,
    simulated: false,
    channels: [...channels],
    sampleRateHz: 1000,
    nominalVoltageV: opts.currentOnlyV ?? null,
  });
  const chunk = (first: number, t0: number) => {
    const cur = Float32Array.from({ length: 10 }, (_, i) => 0.1 * (first + i + 1));
    const data = opts.currentOnlyV === undefined ? [cur, new Float32Array(10).fill(2), cur.map((x) => 2 * x)] : [cur];
    return { periodNs: MS, count: 10, channels: [...channels], data };
  };
  repo.insertChunk(id, 0, 0, chunk(0, 0));
  repo.insertGap(id, { start_ns: 10 * MS, end_ns: 20 * MS, lost_samples: 10, reason: 'meter disconnected' });
  repo.insertChunk(id, 1, 20 * MS, chunk(10, 20 * MS));
  repo.insertChunk(id, 2, 30 * MS, chunk(20, 30 * MS));
  repo.finishSession(id, 'complete', 0.04);
  if (opts.damage) db.prepare('UPDATE sample_chunks SET data = zeroblob(length(data)) WHERE session_id = ? AND seq = 2').run(id);
  closeDatabase(db);
  return path;
}

type Stats = CallOutput<'sessions.stats'>;

/** ∫I dt by hand over samples [a, b) of the fixture (0.1·(k+1) A for 1 ms each). */
const charge = (a: number, b: number) => {
  let q = 0;
  for (let k = a; k < b; k++) q += 0.1 * (k + 1) * 1e-3;
  return q;
};

describe('sessions.stats', () => {
  it('is exact from the samples, leaves out the recorded gap and the damaged chunk, and lists both', async () => {
    core = AppCore.open({ dbPath: fixture({ damage: true }), transport: 'browser' });
    // [5.5 ms, 35 ms): sample 5 for 0.5 ms, 6–9 whole, gap, samples 10–19 whole, chunk 2 damaged.
    const s = (await core.handle('sessions.stats', { id: 1, fromS: 0.0055, toS: 0.035 })) as Stats;
    const q = 0.6 * 0.5e-3 + charge(6, 10) + charge(10, 20);
    expect(s.chargeC).toBeCloseTo(q, 9);
    expect(s.energyJ).toBeCloseTo(2 * q, 9);
    expect(s.coveredS).toBeCloseTo(0.0145, 9);
    expect(s.uncoveredS).toBeCloseTo(0.035 - 0.0055 - 0.0145, 9);
    expect(s.samples).toBe(15);
    expect(s.current!.min).toBeCloseTo(0.6, 6);
    expect(s.current!.max).toBeCloseTo(2.0, 6);
    expect(s.gaps.map((g) => g.reason)).toEqual(['meter disconnected', 'damaged']);
    expect(s.lostSamples).toBe(20);
  });

  it('over the whole session equals the summary energy (same samples, chunk means vs samples)', async () => {
    core = AppCore.open({ dbPath: fixture(), transport: 'browser' });
    const s = (await core.handle('sessions.stats', { id: 1 })) as Stats;
    const summary = await core.call('sessions.get', { id: 1 });
    expect(s.fromS).toBe(0);
    expect(s.toS).toBeCloseTo(0.04, 12);
    expect(s.energyJ).toBeCloseTo(summary.energyJ!, 12);
    expect(s.chargeC).toBeCloseTo(summary.chargeC!, 12);
    expect(summary.meanCurrentA).toBeCloseTo(s.current!.mean, 9);
  });

  it('current-only: power from the stored supply voltage, labelled as such, in the stats and the summary', async () => {
    core = AppCore.open({ dbPath: fixture({ currentOnlyV: 3 }), transport: 'browser' });
    const s = (await core.handle('sessions.stats', { id: 1, fromS: 0, toS: 0.01 })) as Stats;
    expect(s.chargeC).toBeCloseTo(charge(0, 10), 9);
    expect(s.energyJ).toBeCloseTo(3 * charge(0, 10), 9);
    expect(s.powerSource).toBe('nominal-voltage');
    expect(s.nominalVoltageV).toBe(3);
    const summary = await core.call('sessions.get', { id: 1 });
    expect(summary.powerSource).toBe('nominal-voltage');
    expect(summary.nominalVoltageV).toBe(3);
    expect(summary.chargeC).toBeCloseTo(charge(0, 30), 9);
  });

  it('names the range exactly as asked, which the app matches its selection by', async () => {
    core = AppCore.open({ dbPath: fixture(), transport: 'browser' });
    // A start that does not survive ×1e9 ÷1e9 (a pixel position's time often does not).
    const fromS = 0.013559701871552511;
    expect((fromS * 1e9) / 1e9).not.toBe(fromS);
    const s = (await core.handle('sessions.stats', { id: 1, fromS, toS: 0.030149252053811106 })) as Stats;
    expect(s.fromS).toBe(fromS);
    expect(s.toS).toBe(0.030149252053811106);
  });

  it('refuses a range outside the session or backwards with one sentence', async () => {
    core = AppCore.open({ dbPath: fixture(), transport: 'browser' });
    await expect(core.handle('sessions.stats', { id: 1, fromS: 0.05 })).rejects.toThrow(
      /^The range starts at 0\.05 s, at or after the end of session 1 \(0\.0400000 s\); give a start below 0\.0400000 s\.$/,
    );
    await expect(core.handle('sessions.stats', { id: 1, fromS: 0, toS: 9 })).rejects.toThrow(/after the end of session 1/);
    await expect(core.handle('sessions.stats', { id: 1, fromS: 0.02, toS: 0.01 })).rejects.toThrow(/not after its start/);
    await expect(core.handle('sessions.stats', { id: 9 })).rejects.toThrow(/There is no session 9/);
  });
});

describe('range export', () => {
  it('CSV holds the samples whose period overlaps the range (as many as the stats count); JSON the range, its stats and its markers', async () => {
    const dbPath = fixture();
    core = AppCore.open({ dbPath, transport: 'browser' });
    await core.call('markers.add', { sessionId: 1, tS: 0.002, label: 'inside' });
    await core.call('markers.add', { sessionId: 1, tS: 0.03, endS: 0.035, label: 'outside' });
    const csv = join(dir, 'r.csv');
    await core.exportSession(1, 'csv', csv, { range: { fromS: 0.0055, toS: 0.0225 } });
    const rows = readFileSync(csv, 'utf8').trim().split('\n').slice(1);
    const stats = await core.call('sessions.stats', { id: 1, fromS: 0.0055, toS: 0.0225 });
    expect(rows.length).toBe(stats.samples);
    expect(rows[0]!.startsWith('0.005000000,')).toBe(true); // the edge sample starts before the range
    expect(rows.at(-1)!.startsWith('0.022000000,')).toBe(true);
    const json = join(dir, 'r.json');
    await core.exportSession(1, 'json', json, { range: { fromS: 0.0055, toS: 0.0225 } });
    const doc = JSON.parse(readFileSync(json, 'utf8')) as { range: unknown; selection: { chargeC: number }; markers: { label: string }[]; gaps: unknown[] };
    expect(doc.range).toEqual({ fromS: 0.0055, toS: 0.0225 });
    expect(doc.selection.chargeC).toBeCloseTo(stats.chargeC!, 12);
    expect(doc.markers.map((m) => m.label)).toEqual([]);
    expect(doc.gaps).toHaveLength(1);
    // A bad range writes nothing.
    const bad = join(dir, 'bad.csv');
    await expect(core.exportSession(1, 'csv', bad, { range: { fromS: 1, toS: 2 } })).rejects.toThrow(/after the end of session 1|at or after the end/);
    expect(() => statSync(bad)).toThrow();
  });
});

describe('markers', () => {
  it('adds notes at a time or a range, lists them with the run phases, refuses bad ones, deletes only notes', async () => {
    const dbPath = fixture();
    const raw = new Database(dbPath);
    raw.prepare(`INSERT INTO markers (session_id, t_ns, end_ns, kind, label) VALUES (1, 0, 5000000, 'phase', 'baseline'), (1, 0, NULL, 'run', 'x')`).run();
    raw.close();
    core = AppCore.open({ dbPath, transport: 'browser' });
    const a = await core.call('markers.add', { sessionId: 1, tS: 0.012, label: '  radio on ' });
    const b = await core.call('markers.add', { sessionId: 1, tS: 0.02, endS: 0.03, label: 'burst' });
    expect(a).toEqual({ id: a.id, sessionId: 1, kind: 'note', tS: 0.012, endS: null, label: 'radio on' });
    expect(b.endS).toBe(0.03);
    const list = await core.call('markers.list', { id: 1 });
    expect(list.map((m) => [m.kind, m.label])).toEqual([
      ['phase', 'baseline'],
      ['note', 'radio on'],
      ['note', 'burst'],
    ]);
    await expect(core.handle('markers.add', { sessionId: 1, tS: 0.01, label: '   ' })).rejects.toThrow(/needs a label/);
    await expect(core.handle('markers.add', { sessionId: 1, tS: 0.02, endS: 0.01, label: 'x' })).rejects.toThrow(/must come after its start/);
    const phase = list[0]!;
    await expect(core.handle('markers.delete', { sessionId: 1, markerId: phase.id })).rejects.toThrow(/only your own notes can be deleted/);
    await core.call('markers.delete', { sessionId: 1, markerId: a.id });
    expect((await core.call('markers.list', { id: 1 })).map((m) => m.label)).toEqual(['baseline', 'burst']);
  });
});

describe('sessions.list', () => {
  it('gives every session the same figures as sessions.get (grouped queries, one formula)', async () => {
    const dbPath = fixture({ currentOnlyV: 3 });
    const db = openDatabase(dbPath);
    const repo = new SessionsRepo(db);
    const id = repo.createSession({
      name: 'second',
      kind: 'power',
      startMonoNs: 0,
      meterId: null,
      simulated: false,
      channels: ['current', 'voltage', 'power'],
      sampleRateHz: 10,
    });
    repo.insertChunk(id, 0, 0, {
      periodNs: 1e8,
      count: 3,
      channels: ['current', 'voltage', 'power'],
      data: [Float32Array.of(1, 2, 3), Float32Array.of(5, 5, 5), Float32Array.of(5, 10, 15)],
    });
    repo.insertGap(id, { start_ns: 3e8, end_ns: 4e8, lost_samples: 1, reason: 'x' });
    repo.createSession({ name: 'empty', kind: 'power', startMonoNs: 0, meterId: null, simulated: false, channels: ['current'], sampleRateHz: 10 });
    closeDatabase(db);
    core = AppCore.open({ dbPath, transport: 'browser' });
    const list = await core.call('sessions.list', {});
    expect(list.map((s) => s.name)).toEqual(['empty', 'second', 'fixture']);
    for (const s of list) {
      const one = await core.call('sessions.get', { id: s.id });
      const pick = (x: typeof s) => [
        x.samples,
        x.gaps,
        x.lostSamples,
        x.meanPowerW,
        x.energyJ,
        x.powerSource,
        x.meanCurrentA,
        x.chargeC,
        x.nominalVoltageV,
        x.lastSampleS,
      ];
      expect(pick(s)).toEqual(pick(one));
    }
    expect(list[1]!.energyJ).toBeCloseTo(3, 9);
    expect(list[0]!.samples).toBe(0);
  });
});

describe('session management', () => {
  it('renames (trimmed, never empty) and replaces notes', async () => {
    core = AppCore.open({ dbPath: fixture(), transport: 'browser' });
    const s = await core.call('sessions.update', { id: 1, name: '  board B, radio off ' });
    expect(s.name).toBe('board B, radio off');
    expect((await core.call('sessions.update', { id: 1, notes: 'USB powered' })).notes).toBe('USB powered');
    expect((await core.call('sessions.get', { id: 1 })).name).toBe('board B, radio off');
    await expect(core.handle('sessions.update', { id: 1, name: ' ' })).rejects.toThrow('A session name cannot be empty; type at least one character.');
  });

  it('deletes a session with its chunks, gaps and markers, and the file shrinks (incremental vacuum)', async () => {
    const dbPath = join(dir, 'big.sqlite');
    const db = openDatabase(dbPath);
    const repo = new SessionsRepo(db);
    const ids = [0, 1].map((n) => {
      const id = repo.createSession({
        name: `s${n}`,
        kind: 'power',
        startMonoNs: 0,
        meterId: null,
        simulated: false,
        channels: ['current'],
        sampleRateHz: 1e5,
        nominalVoltageV: null,
      });
      for (let k = 0; k < 100; k++)
        repo.insertChunk(id, k, k * 0.25e9, { periodNs: 1e4, count: 25_000, channels: ['current'], data: [new Float32Array(25_000).fill(k)] });
      repo.finishSession(id, 'complete', 25);
      return id;
    });
    closeDatabase(db);
    core = AppCore.open({ dbPath, transport: 'browser' });
    const before = statSync(dbPath).size + (statSync(dbPath + '-wal', { throwIfNoEntry: false })?.size ?? 0);
    const out = await core.call('sessions.delete', { id: ids[0]! });
    expect(out.reclaimed).toBe('incremental-vacuum');
    expect(out.freedBytes).toBeGreaterThan(9e6); // 100 chunks × 100 kB
    const after = statSync(dbPath).size;
    expect(after).toBeLessThan(before - 9e6);
    expect((await core.call('sessions.list', {})).map((s) => s.name)).toEqual(['s1']);
    expect(core.db.prepare('SELECT count(*) AS n FROM sample_chunks WHERE session_id = ?').get(ids[0]) as { n: number }).toEqual({ n: 0 });
    await expect(core.handle('sessions.get', { id: ids[0] })).rejects.toThrow(/There is no session/);
  });

  it('an older database (auto_vacuum NONE) is vacuumed once when idle and becomes incremental', async () => {
    const dbPath = join(dir, 'old.sqlite');
    // What databases created before incremental auto-vacuum look like: mode NONE.
    const created = openDatabase(dbPath);
    new SessionsRepo(created).addMeter({
      spec: 'x',
      driver: 'x',
      label: 'x',
      capabilities: { channels: ['current'], sampleRateHz: 1, digitalInputs: 0, deviceClock: false, simulated: false } as never,
    });
    created.pragma('auto_vacuum = NONE');
    created.exec('VACUUM');
    closeDatabase(created);
    const db = openDatabase(dbPath);
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(0);
    const repo = new SessionsRepo(db);
    for (const n of [0, 1]) {
      const id = repo.createSession({
        name: `s${n}`,
        kind: 'power',
        startMonoNs: 0,
        meterId: null,
        simulated: false,
        channels: ['current'],
        sampleRateHz: 1e5,
        nominalVoltageV: null,
      });
      for (let k = 0; k < 40; k++)
        repo.insertChunk(id, k, k * 0.25e9, { periodNs: 1e4, count: 25_000, channels: ['current'], data: [new Float32Array(25_000).fill(k)] });
      repo.finishSession(id, 'complete', 10);
    }
    closeDatabase(db);
    core = AppCore.open({ dbPath, transport: 'browser' });
    const out = await core.call('sessions.delete', { id: 1 });
    expect(out.reclaimed).toBe('vacuum');
    expect(out.freedBytes).toBeGreaterThan(3.5e6);
    expect(core.db.pragma('auto_vacuum', { simple: true })).toBe(2);
  });
});
