/**
 * The Parquet, HTML and JSON-with-samples exports, from the real SQLite file. Parquet files are read
 * back with hyparquet, a reader independent of the writer's code path (the same project, but the
 * reader shares no code with hyparquet-writer's encoder), and checked for the column types pandas and
 * DuckDB rely on.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSessionToFile } from '../../../main/export/session-export';
import { closeDatabase, openDatabase, type Db } from '../../../main/store/database';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import type { Channel } from '../../../main/meters/types';

let dir: string;
let db: Db;
let repo: SessionsRepo;
let power: number; // 3 channels + digital, 300 000 samples (two row groups), a gap, markers
let profile: number; // a profiling run with inferences

const RATE = 100_000;
const CH: Channel[] = ['current', 'voltage', 'power'];
const value = (c: number, k: number): number => Math.fround(c === 0 ? 0.01 + (k % 1000) * 1e-6 : c === 1 ? 3.3 : (0.01 + (k % 1000) * 1e-6) * 3.3);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ddi-formats-'));
  db = openDatabase(join(dir, 'db.sqlite'));
  repo = new SessionsRepo(db);
  power = repo.createSession({ name: 'board <A> & "B"', kind: 'power', startMonoNs: 1e12, meterId: null, simulated: false, channels: CH, sampleRateHz: RATE });
  const per = RATE / 4;
  repo.transaction(() => {
    for (let s = 0; s < 12; s++) {
      const t0 = s < 6 ? s * per : (s + 2) * per; // 0.5 s hole after 1.5 s
      const data = CH.map((_, c) => Float32Array.from({ length: per }, (_, i) => value(c, s * per + i)));
      const digital = Uint8Array.from({ length: per }, (_, i) => ((s * per + i) >> 12) & 0xff);
      repo.insertChunk(power, s, (t0 * 1e9) / RATE, { periodNs: 1e9 / RATE, count: per, channels: CH, data, digital });
    }
  });
  repo.insertGap(power, { start_ns: 1.5e9, end_ns: 2e9, lost_samples: 50_000, reason: 'meter unplugged' });
  const marker = db.prepare('INSERT INTO markers (session_id, t_ns, end_ns, kind, label, data) VALUES (?, ?, ?, ?, ?, ?)');
  marker.run(power, 0.5e9, null, 'note', 'radio on', null);
  marker.run(power, 2.2e9, 2.4e9, 'note', 'tx, burst', JSON.stringify({ channel: 11 }));
  repo.finishSession(power, 'complete', 3.5);

  profile = repo.createSession({
    name: 'run',
    kind: 'profile',
    startMonoNs: 1e12,
    meterId: null,
    simulated: false,
    channels: CH,
    sampleRateHz: 1000,
    model: 'mgl2s-50',
  });
  repo.insertChunk(profile, 0, 0, { periodNs: 1e6, count: 250, channels: CH, data: CH.map(() => new Float32Array(250).fill(0.5)) });
  const inf = db.prepare(
    `INSERT INTO inferences (session_id, seq, start_ns, end_ns, mode, budget_value, budget_unit, exit_index, macs, predicted_latency_s,
       predicted_energy_j, label, prediction, measured_energy_j, active_energy_j, record) VALUES (?, ?, ?, ?, 'ddi', 3e6, 'MAC', ?, ?, 0.004, 0.0008, 7, ?, ?, 0.0006, ?)`,
  );
  for (let i = 0; i < 20; i++)
    inf.run(
      profile,
      i,
      10e6 * i,
      10e6 * i + 4e6,
      i % 3,
      1e6 + i * 1e5,
      i % 2 ? 7 : 3,
      i === 5 ? null : 0.0005 + i * 1e-5,
      JSON.stringify({ withinBudget: i !== 7 }),
    );
  marker.run(profile, 0, null, 'run', 'mgl2s-50 ddi', JSON.stringify({ model: 'mgl2s-50', machine: { cpu: 'Test CPU 9000', cores: 2, os: 'linux' } }));
  marker.run(profile, 0, null, 'alignment', '', JSON.stringify({ offsetNs: 1234567, driftPpm: 2.5, uncertaintyNs: 20000, method: 'mls-xcorr' }));
  marker.run(profile, 0, null, 'profile', '', JSON.stringify({ budgets: [{ name: 'energy-1mJ', metric: 'energy_per_inference', value: 0.001, pass: true }] }));
  repo.finishSession(profile, 'complete', 0.25);
});
afterAll(() => closeDatabase(db));

async function exportTo(id: number, format: 'parquet' | 'html' | 'json', table?: 'samples' | 'inferences' | 'markers'): Promise<Buffer> {
  const path = join(dir, `${id}-${format}-${table ?? 'x'}.${format}`);
  await exportSessionToFile(db, repo, id, format, path, table ? { table } : {});
  return readFileSync(path);
}

const arrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

describe('Parquet export', () => {
  it('samples: time_s DOUBLE, channels FLOAT, digital UINT_8, every stored sample in row groups, none in the gap', async () => {
    const file = arrayBuffer(await exportTo(power, 'parquet'));
    const meta = parquetMetadata(file);
    const leaves = meta.schema.slice(1).map((s) => [s.name, s.type, s.converted_type ?? null]);
    expect(leaves).toEqual([
      ['time_s', 'DOUBLE', null],
      ['current_A', 'FLOAT', null],
      ['voltage_V', 'FLOAT', null],
      ['power_W', 'FLOAT', null],
      ['digital', 'INT32', 'UINT_8'],
    ]);
    // Only the converted type: DuckDB 1.5.6 refuses the metadata when the writer adds an INTEGER logical type.
    expect(meta.schema.find((s) => s.name === 'digital')!.logical_type).toBeUndefined();
    expect(Number(meta.num_rows)).toBe(300_000);
    expect(meta.row_groups.length).toBeGreaterThan(1); // written a row group at a time
    const rows = (await parquetReadObjects({ file })) as { time_s: number; current_A: number; voltage_V: number; power_W: number; digital: number }[];
    expect(rows).toHaveLength(300_000);
    const per = RATE / 4;
    for (const k of [0, 1, 12_345, 6 * per - 1, 6 * per, 299_999]) {
      const s = Math.floor(k / per);
      const t0 = s < 6 ? s * per : (s + 2) * per;
      const r = rows[k]!;
      expect(r.time_s).toBeCloseTo((t0 + (k % per)) / RATE, 12);
      expect(r.current_A).toBe(value(0, k));
      expect(r.voltage_V).toBe(value(1, k));
      expect(r.power_W).toBe(value(2, k));
      expect(r.digital).toBe((k >> 12) & 0xff);
    }
    expect(rows.some((r) => r.time_s >= 1.5 && r.time_s < 2)).toBe(false);
  });

  it('inferences and markers as tables with Parquet types', async () => {
    const inf = arrayBuffer(await exportTo(profile, 'parquet', 'inferences'));
    const rows = (await parquetReadObjects({ file: inf })) as Record<string, unknown>[];
    expect(rows).toHaveLength(20);
    expect(rows[3]).toMatchObject({
      seq: 3,
      start_ns: 30_000_000n,
      end_ns: 34_000_000n,
      mode: 'ddi',
      budget_unit: 'MAC',
      exit: 0,
      macs: 1.3e6,
      label: 7,
      prediction: 7,
      within_budget: true,
    });
    expect(rows[5]!.measured_energy_J).toBeNull();
    expect(rows[7]!.within_budget).toBe(false);
    const mk = (await parquetReadObjects({ file: arrayBuffer(await exportTo(power, 'parquet', 'markers')) })) as Record<string, unknown>[];
    expect(mk).toEqual([
      { t_s: 0.5, end_s: null, kind: 'note', label: 'radio on', data: null },
      { t_s: 2.2, end_s: 2.4, kind: 'note', label: 'tx, burst', data: '{"channel":11}' },
    ]);
  });

  it('a chunk without a channel or digital inputs gives nulls in those columns, not numbers', async () => {
    const id = repo.createSession({
      name: 'mixed',
      kind: 'power',
      startMonoNs: 1e12,
      meterId: null,
      simulated: false,
      channels: ['current', 'voltage'],
      sampleRateHz: 1000,
    });
    repo.insertChunk(id, 0, 0, {
      periodNs: 1e6,
      count: 3,
      channels: ['current', 'voltage'],
      data: [Float32Array.of(1, 2, 3), Float32Array.of(5, 5, 5)],
      digital: Uint8Array.of(1, 0, 1),
    });
    repo.insertChunk(id, 1, 3e6, { periodNs: 1e6, count: 2, channels: ['current'], data: [Float32Array.of(4, 5)] });
    repo.finishSession(id, 'complete', 0.005);
    const rows = await parquetReadObjects({ file: arrayBuffer(await exportTo(id, 'parquet')) });
    expect(rows.map((r) => [r.current_A, r.voltage_V, r.digital])).toEqual([
      [1, 5, 1],
      [2, 5, 0],
      [3, 5, 1],
      [4, null, null],
      [5, null, null],
    ]);
  });

  it('a power session has no inferences to export', async () => {
    await expect(exportSessionToFile(db, repo, power, 'parquet', join(dir, 'none.parquet'), { table: 'inferences' })).rejects.toThrow(/has no inferences/);
  });
});

describe('HTML report', () => {
  it('is one self-contained file: inline CSS and SVG, no URL in any src/href, balanced tags, the session escaped', async () => {
    const html = (await exportTo(power, 'html')).toString('utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/<(script|link|img|iframe|object)\b/i);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('Session ' + power + ': board &lt;A&gt; &amp; &quot;B&quot;');
    expect(html).toMatch(/<svg class="plot"[^>]*>.*<polygon class="env"/s);
    // The gap is drawn and listed, the markers listed.
    expect(html).toContain('<rect class="gap"');
    expect(html).toContain('meter unplugged');
    expect(html).toContain('tx, burst');
    expectBalanced(html);
  });

  it('a profiling run adds machine, alignment, budgets, charts and the per-inference table', async () => {
    const html = (await exportTo(profile, 'html')).toString('utf8');
    for (const text of ['Test CPU 9000', 'mls-xcorr', '2.50 ppm', 'energy-1mJ', 'Inferences (20)', 'class="dot over"', 'class="bar"'])
      expect(html).toContain(text);
    expect((html.match(/<tr><td>\d+<\/td>/g) ?? []).length).toBeGreaterThanOrEqual(20);
    expectBalanced(html);
  });
});

describe('JSON export with samples', () => {
  it('streams every sample into the document as {columns, rows}; without the flag there are none', async () => {
    const path = join(dir, 'with-samples.json');
    await exportSessionToFile(db, repo, power, 'json', path, {});
    expect(JSON.parse(readFileSync(path, 'utf8'))).not.toHaveProperty('samples');
    const { produceExport } = await import('../../../main/export/export-content');
    const pieces: string[] = [];
    await produceExport(db, { id: power, format: 'json', samples: true }, async (p) => void pieces.push(String(p)));
    const doc = JSON.parse(pieces.join('')) as { samples: { columns: string[]; rows: number[][] }; gaps: unknown[] };
    expect(doc.samples.columns).toEqual(['time_s', 'current_A', 'voltage_V', 'power_W', 'digital']);
    expect(doc.samples.rows).toHaveLength(300_000);
    expect(doc.samples.rows[12_345]).toEqual([0.12345, Number(value(0, 12_345).toPrecision(7)), 3.3, Number(value(2, 12_345).toPrecision(7)), 3]);
    expect(doc.gaps).toHaveLength(1);
  });
});

/** Every non-void element closed in order: the report parses as the HTML it claims to be. */
function expectBalanced(html: string): void {
  const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link']);
  const stack: string[] = [];
  const body = html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<!doctype[^>]*>/i, '');
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(\/?)>/g)) {
    const [, close, name, selfClose] = m;
    const tag = name!.toLowerCase();
    if (VOID.has(tag) || selfClose) continue;
    if (close) expect(stack.pop(), `closing </${tag}>`).toBe(tag);
    else stack.push(tag);
  }
  expect(stack).toEqual([]);
}
