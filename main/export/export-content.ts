/**
 * The bytes of an export, produced as text pieces for a sink that may make the producer wait
 * (backpressure). The same code runs in the export worker (its own read-only connection) and, for
 * an in-memory database, on the caller's connection.
 *
 * CSV samples: one row per sample, time in seconds from session start plus the channels actually
 * measured with their SI unit in the header, so pandas.read_csv / DuckDB read it with the path alone.
 * CSV inferences: one row per inference (columns in profile-data.ts).
 * JSON: the session with its summary, clock anchor, meter, gaps, markers and, for a profiling run,
 * its inferences, alignment, baseline and budget results.
 */
import type { Channel } from '../meters/types';
import { CHANNEL_UNITS } from '../meters/types';
import type { Db } from '../store/database';
import { sessionSummary } from '../store/session-summary';
import { SessionsRepo } from '../store/sessions-repo';
import { damagedGap } from '../store/chunk-reader';
import { mergeGaps } from '../store/trace-query';
import { UserError } from '../util/errors';
import { resolveRange, sessionStats } from '../analysis/session-stats';
import { chunkPages } from './chunk-pages';
import { produceHtmlReport } from './html-report';
import { produceJsonSamples } from './json-samples';
import { produceInferenceParquet, produceMarkerParquet, produceSampleParquet } from './parquet-export';
import { INFERENCE_CSV_HEADER, inferenceCsvLine, readAlignment, readBaseline, readBudgetResults, readInferences, readStartMonoNs } from './profile-data';

/** Formats the app's export call offers (the contract's sessions.export): all of them. */
export type ExportFormat = 'csv' | 'json' | 'parquet' | 'html';
/** Formats a file export can have (the CLI offers the same). */
export type FileExportFormat = ExportFormat;
/** Which table a CSV or Parquet export holds. */
export type ExportTable = 'samples' | 'inferences' | 'markers';

export interface ExportRequest {
  id: number;
  format: FileExportFormat;
  /** CSV and Parquet only; default 'samples'. */
  table?: ExportTable;
  /** JSON only: add the samples (json-samples.ts). */
  samples?: boolean;
  /**
   * Only this range, seconds from session start (default: all of it). Samples whose hold period
   * overlaps it (the first may start up to one period before fromS, as in the selection statistics),
   * inferences, gaps and markers overlapping it; the JSON adds the range's statistics.
   */
  fromS?: number;
  toS?: number;
}

/** The request's range in ns, checked against the session (one sentence when unusable), or null for all. */
function requestRange(db: Db, req: ExportRequest): { fromNs: number; toNs: number } | null {
  if (req.fromS === undefined && req.toS === undefined) return null;
  const r = resolveRange(db, req.id, { ...(req.fromS !== undefined ? { fromS: req.fromS } : {}), ...(req.toS !== undefined ? { toS: req.toS } : {}) });
  return { fromNs: r.fromS * 1e9, toNs: r.toS * 1e9 };
}

const overlapsRange = (range: { fromNs: number; toNs: number } | null, startNs: number, endNs: number): boolean =>
  range === null || (endNs > range.fromNs && startNs < range.toNs);

/** Takes the next piece of the file (text, or bytes for Parquet); resolves when the producer may go on. */
export type TextSink = (piece: string | Uint8Array) => Promise<void>;

/** CSV rows handed to the sink at once: large enough to be cheap, small enough to keep memory flat. */
const LINES_PER_PIECE = 16_384;

/** Refuses a request that cannot be exported (bad id, no inferences to write) before any byte is produced. */
export function checkExportRequest(db: Db, req: ExportRequest): void {
  const row = new SessionsRepo(db).get(req.id);
  if ((req.format === 'csv' || req.format === 'parquet') && req.table === 'inferences' && row.kind !== 'profile') {
    throw new UserError(`Session ${req.id} is a power session and has no inferences; export it with --what samples, or pick a profiling run.`, 'no-inferences');
  }
  requestRange(db, req);
}

export async function produceExport(db: Db, req: ExportRequest, sink: TextSink): Promise<void> {
  checkExportRequest(db, req);
  const range = requestRange(db, req);
  if (req.format === 'json') await produceJson(db, req.id, sink, range, req.samples === true);
  else if (req.format === 'html') await produceHtmlReport(db, req.id, sink);
  else if (req.format === 'parquet') {
    const produce = req.table === 'inferences' ? produceInferenceParquet : req.table === 'markers' ? produceMarkerParquet : produceSampleParquet;
    await produce(db, req.id, sink, range);
  } else if (req.table === 'markers') await produceMarkerCsv(db, req.id, sink, range);
  else if (req.table === 'inferences') await produceInferenceCsv(db, req.id, sink, range);
  else await produceSampleCsv(db, req.id, sink, range);
}

async function produceSampleCsv(db: Db, id: number, sink: TextSink, range: { fromNs: number; toNs: number } | null): Promise<void> {
  const row = new SessionsRepo(db).get(id);
  const channels = JSON.parse(row.channels) as Channel[];
  const order: Channel[] = (['current', 'voltage', 'power'] as Channel[]).filter((c) => channels.includes(c));
  await sink(['time_s', ...order.map((c) => `${c}_${CHANNEL_UNITS[c]}`)].join(',') + '\n');
  let lines: string[] = [];
  for (const page of chunkPages(db, id, order, range ?? undefined)) {
    for (const chunk of page) {
      for (let i = 0; i < chunk.count; i++) {
        const tNs = chunk.t0Ns + i * chunk.periodNs;
        if (!overlapsRange(range, tNs, tNs + chunk.periodNs)) continue;
        const t = tNs / 1e9;
        // A channel missing from this chunk is an empty field, which pandas reads as NaN.
        lines.push(`${t.toFixed(9)},${chunk.planes.map((p) => (p ? fmt(p[i]!) : '')).join(',')}`);
        if (lines.length >= LINES_PER_PIECE) {
          await sink(lines.join('\n') + '\n');
          lines = [];
        }
      }
    }
  }
  if (lines.length > 0) await sink(lines.join('\n') + '\n');
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(7) : '';
}

async function produceInferenceCsv(db: Db, id: number, sink: TextSink, range: { fromNs: number; toNs: number } | null): Promise<void> {
  const rows = readInferences(db, id).filter((r) => overlapsRange(range, r.startNs, r.endNs));
  await sink(INFERENCE_CSV_HEADER + '\n');
  for (let i = 0; i < rows.length; i += LINES_PER_PIECE) {
    await sink(
      rows
        .slice(i, i + LINES_PER_PIECE)
        .map(inferenceCsvLine)
        .join('\n') + '\n',
    );
  }
}

/** Markers as CSV: t_s, end_s (empty for a point), kind, label, data (the stored JSON text). */
async function produceMarkerCsv(db: Db, id: number, sink: TextSink, range: { fromNs: number; toNs: number } | null): Promise<void> {
  const rows = db.prepare('SELECT t_ns, end_ns, kind, label, data FROM markers WHERE session_id = ? ORDER BY t_ns, id').all(id) as {
    t_ns: number;
    end_ns: number | null;
    kind: string;
    label: string;
    data: string | null;
  }[];
  const text = (v: string | null): string => (v === null ? '' : /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = rows
    .filter((m) => overlapsRange(range, m.t_ns, Math.max(m.end_ns ?? m.t_ns, m.t_ns + 1)))
    .map((m) => [(m.t_ns / 1e9).toFixed(9), m.end_ns === null ? '' : (m.end_ns / 1e9).toFixed(9), text(m.kind), text(m.label), text(m.data)].join(','));
  await sink(['t_s,end_s,kind,label,data', ...lines].join('\n') + '\n');
}

async function produceJson(db: Db, id: number, sink: TextSink, range: { fromNs: number; toNs: number } | null, withSamples = false): Promise<void> {
  const repo = new SessionsRepo(db);
  const summary = sessionSummary(repo, repo.get(id));
  const markers = db.prepare('SELECT t_ns, end_ns, kind, label, data FROM markers WHERE session_id = ? ORDER BY t_ns').all(id) as {
    t_ns: number;
    end_ns: number | null;
    kind: string;
    label: string;
    data: string | null;
  }[];
  const inRange = (startNs: number, endNs: number | null) => overlapsRange(range, startNs, Math.max(endNs ?? startNs, startNs + 1));
  const doc = {
    format: 'ddi-profiler-session',
    formatVersion: 1,
    exportedAt: new Date().toISOString(),
    session: { ...summary, startMonoNs: readStartMonoNs(db, id) },
    units: { time: 's', current: 'A', voltage: 'V', power: 'W', energy: 'J' },
    simulated: summary.meter?.simulated ?? false,
    // A range export: the range and its statistics, computed exactly as sessions.stats does.
    ...(range
      ? { range: { fromS: range.fromNs / 1e9, toS: range.toNs / 1e9 }, selection: sessionStats(db, id, { fromS: range.fromNs / 1e9, toS: range.toNs / 1e9 }) }
      : {}),
    // Recorded losses and chunks whose checksum failed (no samples were exported for those).
    gaps: mergeGaps(repo.gaps(id), repo.damagedChunks(id).map(damagedGap)).filter((g) => inRange(g.startS * 1e9, g.endS * 1e9)),
    markers: markers
      .filter((m) => inRange(m.t_ns, m.end_ns))
      .map((m) => ({
        tS: m.t_ns / 1e9,
        endS: m.end_ns === null ? null : m.end_ns / 1e9,
        kind: m.kind,
        label: m.label,
        data: m.data ? parseJson(m.data) : null,
      })),
    inferences: readInferences(db, id).filter((r) => overlapsRange(range, r.startNs, r.endNs)),
    alignment: readAlignment(db, id),
    baseline: readBaseline(db, id),
    budgets: readBudgetResults(db, id),
  };
  const text = JSON.stringify(doc, null, 2);
  if (!withSamples) {
    await sink(text + '\n');
    return;
  }
  // The samples go last, streamed into the document: text ends with "\n}", which closes it after them.
  await sink(text.slice(0, -2) + ',\n  "samples": ');
  await produceJsonSamples(db, id, sink, range, '  ');
  await sink('\n}\n');
}

/** A marker whose stored JSON is damaged keeps its text rather than failing the whole export. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
