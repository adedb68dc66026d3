/**
 * Session export. CSV: one row per sample, time in seconds from session start plus the channels
 * actually measured with their SI unit in the header, so pandas.read_csv / DuckDB read it with the
 * path alone. JSON: the session with its summary, meter, gaps and markers.
 * Files are written to a temporary name beside the target and renamed at the end: an interrupted
 * export never leaves a half-written file under the requested name.
 */
import { accessSync, constants, createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { Channel } from '../meters/types';
import { CHANNEL_UNITS } from '../meters/types';
import { UserError, errorMessage } from '../util/errors';
import { decodePlane } from '../store/chunk-codec';
import type { Db } from '../store/database';
import { sessionSummary } from '../store/session-summary';
import type { SessionsRepo } from '../store/sessions-repo';
import { toGapDto } from '../store/trace-query';

export type ExportFormat = 'csv' | 'json';

export function exportFileName(sessionId: number, format: ExportFormat): string {
  return `ddi-session-${sessionId}.${format}`;
}

/** Writes the export to `path` (atomically). Checks the session and the target before writing anything. */
export async function exportSessionToFile(db: Db, repo: SessionsRepo, id: number, format: ExportFormat, path: string): Promise<void> {
  repo.get(id); // a bad id fails here, before any file is touched
  checkWritableTarget(path);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  const out = createWriteStream(tmp);
  try {
    await once(out, 'open');
    await writeExport(db, repo, id, format, out);
    out.end();
    await once(out, 'finish');
    renameSync(tmp, path);
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw new UserError(`Could not write the export to ${path} (${errorMessage(e)}); check the disk and try again.`, 'export-failed');
  }
}

export function checkWritableTarget(path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`Cannot export to ${path}: the folder ${dir} does not exist; create it or choose another --out path.`, 'bad-export-path');
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new UserError(`Cannot export to ${path}: it is a folder; give a file name, e.g. ${join(path, 'session.csv')}.`, 'bad-export-path');
  }
  try {
    accessSync(dir, constants.W_OK);
    if (existsSync(path)) accessSync(path, constants.W_OK);
  } catch {
    throw new UserError(`Cannot export to ${path}: no permission to write there; choose another --out path.`, 'bad-export-path');
  }
}

export async function writeExport(db: Db, repo: SessionsRepo, id: number, format: ExportFormat, out: Writable): Promise<void> {
  if (format === 'json') await writeJson(db, repo, id, out);
  else await writeCsv(db, repo, id, out);
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

async function writeCsv(db: Db, repo: SessionsRepo, id: number, out: Writable): Promise<void> {
  const row = repo.get(id);
  const channels = JSON.parse(row.channels) as Channel[];
  const order: Channel[] = (['current', 'voltage', 'power'] as Channel[]).filter((c) => channels.includes(c));
  await write(out, ['time_s', ...order.map((c) => `${c}_${CHANNEL_UNITS[c]}`)].join(',') + '\n');
  const chunks = db
    .prepare('SELECT t0_ns, period_ns, count, channels, data FROM sample_chunks WHERE session_id = ? ORDER BY t0_ns')
    .iterate(id) as IterableIterator<{ t0_ns: number; period_ns: number; count: number; channels: string; data: Buffer }>;
  for (const chunk of chunks) {
    const chs = chunk.channels.split(',') as Channel[];
    const planes = order.map((c) => decodePlane(chunk.data, chunk.count, chs, c));
    const lines: string[] = [];
    for (let i = 0; i < chunk.count; i++) {
      const t = (chunk.t0_ns + i * chunk.period_ns) / 1e9;
      // A channel missing from this chunk is an empty field, which pandas reads as NaN.
      lines.push(`${t.toFixed(9)},${planes.map((p) => (p ? fmt(p[i]!) : '')).join(',')}`);
    }
    await write(out, lines.join('\n') + '\n');
  }
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(7) : '';
}

async function writeJson(db: Db, repo: SessionsRepo, id: number, out: Writable): Promise<void> {
  const row = repo.get(id);
  const summary = sessionSummary(repo, row);
  const markers = db
    .prepare('SELECT t_ns, end_ns, kind, label, data FROM markers WHERE session_id = ? ORDER BY t_ns')
    .all(id) as { t_ns: number; end_ns: number | null; kind: string; label: string; data: string | null }[];
  const doc = {
    format: 'ddi-profiler-session',
    formatVersion: 1,
    exportedAt: new Date().toISOString(),
    session: summary,
    units: { time: 's', current: 'A', voltage: 'V', power: 'W', energy: 'J' },
    simulated: summary.meter?.simulated ?? false,
    gaps: repo.gaps(id).map(toGapDto),
    markers: markers.map((m) => ({
      tS: m.t_ns / 1e9,
      endS: m.end_ns === null ? null : m.end_ns / 1e9,
      kind: m.kind,
      label: m.label,
      data: m.data ? JSON.parse(m.data) : null,
    })),
  };
  await write(out, JSON.stringify(doc, null, 2) + '\n');
}
