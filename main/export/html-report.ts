/**
 * A self-contained HTML report of a session or a profiling run: one file with inline CSS and plots
 * drawn here as inline SVG from decimated data (the same min/max/mean buckets as the app's trace),
 * so it opens offline in any browser and can be mailed or archived. It references nothing outside
 * itself (no scripts, fonts, images or links), and its Content-Security-Policy forbids loading
 * anything, so a report can never reach the network.
 *
 * Contents: the summary (duration, samples, gaps, mean power or current, energy, charge), the
 * meter record (imported and simulated sessions say so), the trace with gaps and markers, the gap
 * and marker tables; for a profiling run also the machine and model it ran on, the alignment, the
 * idle baseline, the budget verdicts, an energy histogram, energy against MACs and the
 * per-inference table.
 */
import type { SessionSummary } from '../api/contract';
import type { Channel } from '../meters/types';
import { CHANNEL_UNITS } from '../meters/types';
import type { Db } from '../store/database';
import { damagedGap } from '../store/chunk-reader';
import { sessionSummary } from '../store/session-summary';
import { SessionsRepo } from '../store/sessions-repo';
import { mergeGaps, queryTrace, type GapDto } from '../store/trace-query';
import { readAlignment, readBaseline, readBudgetResults, readInferences, type InferenceExport } from './profile-data';

/** Drawn buckets across the trace plot: about one per pixel column of its 960-pixel width. */
const TRACE_POINTS = 960;
/** Rows of the per-inference table written out; the rest are in the CSV/Parquet exports. */
const MAX_INFERENCE_ROWS = 500;
const W = 960;
const H = 260;
const PAD = { l: 64, r: 12, t: 12, b: 30 };

export async function produceHtmlReport(db: Db, id: number, sink: (text: string) => Promise<void>): Promise<void> {
  const repo = new SessionsRepo(db);
  const row = repo.get(id);
  const summary = sessionSummary(repo, row);
  const gaps = mergeGaps(repo.gaps(id), repo.damagedChunks(id).map(damagedGap));
  const markers = db.prepare('SELECT t_ns, end_ns, kind, label, data FROM markers WHERE session_id = ? ORDER BY t_ns, id').all(id) as {
    t_ns: number;
    end_ns: number | null;
    kind: string;
    label: string;
    data: string | null;
  }[];
  const meter = db
    .prepare('SELECT m.spec, m.driver, m.label, m.simulated, m.capabilities, m.settings FROM meters m JOIN sessions s ON s.meter_id = m.id WHERE s.id = ?')
    .get(id) as { spec: string; driver: string; label: string; simulated: number; capabilities: string; settings: string } | undefined;
  const settings = parse(meter?.settings) as Record<string, unknown> | null;
  const imported = settings?.imported === true;
  const run = parse((markers.find((m) => m.kind === 'run') ?? null)?.data) as Record<string, unknown> | null;

  const parts: string[] = [];
  const title = `Session ${id}: ${row.name}`;
  parts.push(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="DDI Profiler">
<title>${esc(title)}</title>
<style>${CSS}</style></head><body>
<h1>${esc(title)}</h1>
<p class="sub">${esc(summary.kind === 'profile' ? 'Profiling run' : 'Power session')} · ${esc(summary.status)}${summary.statusReason ? ` — ${esc(summary.statusReason)}` : ''} · report written ${esc(new Date().toISOString())}
${summary.meter?.simulated ? ' · <span class="badge sim">SIMULATED</span>' : ''}${imported ? ' · <span class="badge imp">IMPORTED</span>' : ''}</p>`);

  parts.push(section('Summary', kvTable(summaryRows(summary))));
  parts.push(
    section(
      'Meter',
      meter
        ? kvTable([
            ['Label', meter.label],
            ['Driver', meter.driver],
            ['Spec', meter.spec],
            ['Simulated', meter.simulated === 1 ? 'yes — not a measurement of real hardware' : 'no'],
            ...(imported
              ? ([['Imported', `yes — from ${String(settings?.file ?? '')} (${String(settings?.format ?? '')}) on ${String(settings?.importedAt ?? '')}`]] as [
                  string,
                  string,
                ][])
              : []),
            ['Capabilities', jsonText(parse(meter.capabilities))],
            ['Settings', jsonText(settings)],
          ])
        : '<p>No meter is recorded for this session.</p>',
    ),
  );
  parts.push(
    section(
      'Machine',
      run?.machine
        ? kvTable(Object.entries(run.machine as Record<string, unknown>).map(([k, v]) => [k, String(v)]))
        : `<p>${summary.kind === 'profile' ? 'The run did not record its machine.' : 'A power session records the meter only; the machine that ran the workload is not known to the app.'}</p>`,
    ),
  );

  // The trace: power when the session has it (measured or from the nominal voltage), else the first channel.
  const channels = summary.channels;
  const channel: Channel | undefined = channels.includes('power') ? 'power' : channels[0];
  const endS = Math.max(summary.durationS ?? 0, summary.lastSampleS ?? 0);
  if (channel && endS > 0 && summary.samples > 0) {
    const trace = queryTrace(db, { sessionId: id, channel, fromS: 0, toS: endS, points: TRACE_POINTS });
    const visible = markers.filter((m) => m.kind === 'note' || m.kind === 'phase');
    parts.push(
      section(
        `Trace (${channel}, ${CHANNEL_UNITS[channel]})`,
        traceSvg(trace, endS, channel, gaps, visible) +
          `<p class="note">Min/max envelope and mean of ${trace.tS.length} buckets of ${fmtS(trace.bucketS)}; shaded: gaps (no samples); lines: markers.</p>`,
      ),
    );
  } else {
    parts.push(section('Trace', '<p>No samples are stored for this session.</p>'));
  }
  await sink(parts.join('\n'));
  parts.length = 0;

  parts.push(
    section(
      `Gaps (${gaps.length})`,
      gaps.length === 0
        ? '<p>None: every sample between the first and the last is stored.</p>'
        : table(
            ['start', 'end', 'lost samples', 'reason'],
            gaps.map((g) => [fmtS(g.startS), fmtS(g.endS), String(g.lostSamples), g.reason]),
          ),
    ),
  );
  const shown = markers.filter((m) => m.kind !== 'run');
  parts.push(
    section(
      `Markers (${shown.length})`,
      shown.length === 0
        ? '<p>None.</p>'
        : table(
            ['time', 'end', 'kind', 'label'],
            shown.map((m) => [fmtS(m.t_ns / 1e9), m.end_ns === null ? '' : fmtS(m.end_ns / 1e9), m.kind, m.label]),
          ),
    ),
  );

  if (summary.kind === 'profile') {
    if (run)
      parts.push(
        section(
          'Run',
          kvTable(
            Object.entries(run)
              .filter(([k]) => k !== 'machine')
              .map(([k, v]) => [k, typeof v === 'string' ? v : jsonText(v)]),
          ),
        ),
      );
    const alignment = readAlignment(db, id);
    parts.push(
      section(
        'Alignment',
        alignment
          ? kvTable([
              ['Method', alignment.method ?? '—'],
              ['Offset', alignment.offsetNs === null ? '—' : fmtS(alignment.offsetNs / 1e9)],
              ['Drift', alignment.driftPpm === null ? '—' : `${alignment.driftPpm.toFixed(2)} ppm`],
              ['Uncertainty', alignment.uncertaintyNs === null ? '—' : fmtS(alignment.uncertaintyNs / 1e9)],
            ])
          : '<p>No alignment was stored.</p>',
      ),
    );
    const baseline = readBaseline(db, id);
    parts.push(
      section(
        'Idle baseline',
        baseline
          ? kvTable([
              ['Window', `${fmtS(baseline.startNs / 1e9)} – ${baseline.endNs === null ? '…' : fmtS(baseline.endNs / 1e9)}`],
              ['Mean power', baseline.meanPowerW === null ? '—' : si(baseline.meanPowerW, 'W')],
            ])
          : '<p>No baseline was stored.</p>',
      ),
    );
    const budgets = readBudgetResults(db, id);
    parts.push(
      section(
        'Budgets',
        budgets.length === 0
          ? '<p>No budgets were checked.</p>'
          : table(
              ['budget'],
              budgets.map((b) => [jsonText(b)]),
            ),
      ),
    );
    const inferences = readInferences(db, id);
    parts.push(section(`Inferences (${inferences.length})`, inferenceCharts(inferences) + inferenceTable(inferences)));
  }
  parts.push('<footer>Written by DDI Profiler. Self-contained: this file loads nothing from elsewhere.</footer></body></html>\n');
  await sink(parts.join('\n'));
}

function summaryRows(s: SessionSummary): [string, string][] {
  return [
    ['Name', s.name],
    ['Started', s.startedAt],
    ['Ended', s.endedAt ?? '—'],
    ['Duration', fmtS(s.durationS ?? NaN)],
    ['Channels', s.channels.join(', ')],
    ['Sample rate', s.sampleRateHz === null ? '—' : si(s.sampleRateHz, 'S/s')],
    ['Samples', String(s.samples)],
    ['Gaps', `${s.gaps} (${s.lostSamples} samples lost)`],
    [
      'Mean power',
      s.meanPowerW === null ? '—' : `${si(s.meanPowerW, 'W')}${s.powerSource === 'nominal-voltage' ? ' (current × the nominal supply voltage)' : ''}`,
    ],
    ['Energy', s.energyJ === null ? '—' : `${si(s.energyJ, 'J')} (${si(s.energyJ / 3600, 'Wh')})`],
    ['Model', s.model ?? '—'],
    ['Backend', s.backend ?? '—'],
    ['Notes', s.notes || '—'],
    [
      'Checksums',
      s.damagedChunks === null
        ? 'not checked'
        : s.damagedChunks === 0
          ? `every chunk verified${s.unverifiedChunks ? ` (${s.unverifiedChunks} stored before checksums)` : ''}`
          : `${s.damagedChunks} damaged chunks left out`,
    ],
  ];
}

function traceSvg(
  t: { tS: number[]; min: number[]; max: number[]; mean: number[]; bucketS: number },
  endS: number,
  channel: Channel,
  gaps: GapDto[],
  markers: { t_ns: number; end_ns: number | null; kind: string; label: string }[],
): string {
  const [lo, hi] = extent([...t.min, ...t.max]);
  const x = (s: number): number => PAD.l + (s / endS) * (W - PAD.l - PAD.r);
  const y = (v: number): number => PAD.t + (1 - (v - lo) / (hi - lo)) * (H - PAD.t - PAD.b);
  const out: string[] = [`<svg class="plot" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(channel)} against time">`];
  out.push(axes(0, endS, lo, hi, x, y, 's', CHANNEL_UNITS[channel]));
  for (const g of gaps)
    out.push(
      `<rect class="gap" x="${f(x(g.startS))}" y="${PAD.t}" width="${f(Math.max(1, x(g.endS) - x(g.startS)))}" height="${H - PAD.t - PAD.b}"><title>${esc(`${g.reason}: ${fmtS(g.startS)} – ${fmtS(g.endS)}`)}</title></rect>`,
    );
  // Envelope: max along the top, min back along the bottom; the line breaks where buckets are missing.
  for (const run of runs(t.tS, t.bucketS)) {
    const top = run.map((i) => `${f(x(t.tS[i]!))},${f(y(t.max[i]!))}`);
    const bottom = run.map((i) => `${f(x(t.tS[i]!))},${f(y(t.min[i]!))}`).reverse();
    out.push(`<polygon class="env" points="${[...top, ...bottom].join(' ')}"/>`);
    out.push(`<polyline class="mean" points="${run.map((i) => `${f(x(t.tS[i]!))},${f(y(t.mean[i]!))}`).join(' ')}"/>`);
  }
  for (const m of markers) {
    const mx = x(m.t_ns / 1e9);
    if (m.end_ns !== null)
      out.push(`<rect class="range" x="${f(mx)}" y="${PAD.t}" width="${f(Math.max(1, x(m.end_ns / 1e9) - mx))}" height="${H - PAD.t - PAD.b}"/>`);
    out.push(`<line class="marker" x1="${f(mx)}" x2="${f(mx)}" y1="${PAD.t}" y2="${H - PAD.b}"><title>${esc(`${m.kind}: ${m.label}`)}</title></line>`);
    if (m.kind === 'note') out.push(`<text class="mlabel" x="${f(mx + 3)}" y="${PAD.t + 10}">${esc(m.label.slice(0, 40))}</text>`);
  }
  out.push('</svg>');
  return out.join('');
}

/** Index runs of consecutive buckets (a missing bucket breaks the line, as a gap should). */
function runs(tS: number[], bucketS: number): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  for (let i = 0; i < tS.length; i++) {
    if (cur.length > 0 && Number.isFinite(bucketS) && tS[i]! - tS[i - 1]! > bucketS * 1.5) {
      out.push(cur);
      cur = [];
    }
    cur.push(i);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function inferenceCharts(rows: InferenceExport[]): string {
  const energies = rows.map((r) => r.measuredEnergyJ).filter((v): v is number => v !== null && Number.isFinite(v));
  if (energies.length === 0) return '<p>No inference has a measured energy.</p>';
  // Histogram of measured energy per inference.
  const [lo, hi] = extent(energies);
  const bins = Math.min(40, Math.max(5, Math.ceil(Math.sqrt(energies.length))));
  const counts = new Array<number>(bins).fill(0);
  for (const e of energies) counts[Math.min(bins - 1, Math.floor(((e - lo) / (hi - lo)) * bins))]!++;
  const maxCount = Math.max(...counts);
  const hx = (v: number): number => PAD.l + ((v - lo) / (hi - lo)) * (W / 2 - PAD.l - PAD.r);
  const hy = (c: number): number => PAD.t + (1 - c / maxCount) * (H - PAD.t - PAD.b);
  const hist = [
    `<svg class="plot half" viewBox="0 0 ${W / 2} ${H}" role="img" aria-label="histogram of measured energy per inference">`,
    axes(lo, hi, 0, maxCount, hx, hy, 'J', 'count'),
  ];
  counts.forEach((c, i) => {
    const x0 = hx(lo + ((hi - lo) * i) / bins);
    const x1 = hx(lo + ((hi - lo) * (i + 1)) / bins);
    hist.push(`<rect class="bar" x="${f(x0)}" y="${f(hy(c))}" width="${f(Math.max(0.5, x1 - x0 - 1))}" height="${f(hy(0) - hy(c))}"/>`);
  });
  hist.push('</svg>');
  // Energy against MACs, one dot per inference.
  const pts = rows.filter((r) => r.measuredEnergyJ !== null && Number.isFinite(r.measuredEnergyJ));
  const [mlo, mhi] = extent(pts.map((r) => r.macs));
  const sx = (v: number): number => PAD.l + ((v - mlo) / (mhi - mlo)) * (W / 2 - PAD.l - PAD.r);
  const sy = (v: number): number => PAD.t + (1 - (v - lo) / (hi - lo)) * (H - PAD.t - PAD.b);
  const scatter = [
    `<svg class="plot half" viewBox="0 0 ${W / 2} ${H}" role="img" aria-label="measured energy against MACs">`,
    axes(mlo, mhi, lo, hi, sx, sy, 'MAC', 'J'),
  ];
  for (const r of pts)
    scatter.push(`<circle class="dot${r.withinBudget === false ? ' over' : ''}" cx="${f(sx(r.macs))}" cy="${f(sy(r.measuredEnergyJ!))}" r="2.5"/>`);
  scatter.push('</svg>');
  return `<div class="row">${hist.join('')}${scatter.join('')}</div><p class="note">Left: measured energy per inference (${energies.length} inferences). Right: measured energy against MACs; red = over its budget.</p>`;
}

function inferenceTable(rows: InferenceExport[]): string {
  if (rows.length === 0) return '<p>No inferences were stored.</p>';
  const body = rows
    .slice(0, MAX_INFERENCE_ROWS)
    .map((r) => [
      String(r.seq),
      fmtS(r.startNs / 1e9),
      fmtS((r.endNs - r.startNs) / 1e9),
      r.mode,
      r.budget ? `${r.budget.value} ${r.budget.unit ?? ''}` : '—',
      r.exit === null ? '—' : String(r.exit),
      si(r.macs, 'MAC'),
      r.measuredEnergyJ === null ? '—' : si(r.measuredEnergyJ, 'J'),
      r.predictedEnergyJ === null ? '—' : si(r.predictedEnergyJ, 'J'),
      r.label === null ? '—' : String(r.label),
      r.prediction === null ? '—' : String(r.prediction),
      r.withinBudget === null ? '—' : r.withinBudget ? 'yes' : 'NO',
    ]);
  const more =
    rows.length > MAX_INFERENCE_ROWS
      ? `<p class="note">The first ${MAX_INFERENCE_ROWS} of ${rows.length} inferences; every row is in the CSV and Parquet exports (--what inferences).</p>`
      : '';
  return (
    table(['seq', 'start', 'duration', 'mode', 'budget', 'exit', 'MACs', 'measured energy', 'predicted energy', 'label', 'prediction', 'within budget'], body) +
    more
  );
}

function axes(x0: number, x1: number, y0: number, y1: number, x: (v: number) => number, y: (v: number) => number, xUnit: string, yUnit: string): string {
  const out: string[] = [];
  const right = x(x1);
  for (const v of ticks(y0, y1, 5)) {
    out.push(
      `<line class="grid" x1="${PAD.l}" x2="${f(right)}" y1="${f(y(v))}" y2="${f(y(v))}"/><text class="tick" x="${PAD.l - 4}" y="${f(y(v) + 3)}" text-anchor="end">${esc(si(v, yUnit))}</text>`,
    );
  }
  for (const v of ticks(x0, x1, 8)) {
    out.push(`<text class="tick" x="${f(x(v))}" y="${H - PAD.b + 14}" text-anchor="middle">${esc(si(v, xUnit))}</text>`);
  }
  out.push(`<rect class="frame" x="${PAD.l}" y="${PAD.t}" width="${f(right - PAD.l)}" height="${H - PAD.t - PAD.b}"/>`);
  return out.join('');
}

function ticks(lo: number, hi: number, n: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** [min, max] of finite values, widened when flat so a constant signal still has a scale. */
function extent(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (hi === lo) return [lo - (Math.abs(lo) || 1) * 0.05, hi + (Math.abs(hi) || 1) * 0.05];
  const pad = (hi - lo) * 0.04;
  return [lo - pad, hi + pad];
}

function section(title: string, body: string): string {
  return `<section><h2>${esc(title)}</h2>${body}</section>`;
}

function kvTable(rows: [string, string][]): string {
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function parse(text: string | null | undefined): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function jsonText(v: unknown): string {
  return v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v);
}

const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '0');

/** 0.0123 J → "12.3 mJ"; SI prefixes from n to G. */
export function si(v: number, unit: string): string {
  if (!Number.isFinite(v)) return '—';
  if (v === 0) return `0 ${unit}`;
  const prefixes: [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
    [1, ''],
    [1e-3, 'm'],
    [1e-6, 'µ'],
    [1e-9, 'n'],
  ];
  const a = Math.abs(v);
  const [scale, p] = prefixes.find(([s]) => a >= s * 0.9995) ?? [1e-9, 'n'];
  return `${Number((v / scale).toPrecision(4))} ${p}${unit}`;
}

function fmtS(s: number): string {
  return Number.isFinite(s) ? si(s, 's') : '—';
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1000px;padding:0 16px;color:#1b1f24;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.sub{color:#57606a;margin:0 0 8px}.note{color:#57606a;font-size:12px}
.badge{font-weight:700;padding:1px 6px;border-radius:4px;font-size:12px}.sim{background:#fff8c5;color:#7d4e00}.imp{background:#ddf4ff;color:#0550ae}
table{border-collapse:collapse;font-size:13px;margin:4px 0}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
thead th{background:#f6f8fa}table.kv th{background:#f6f8fa;width:180px}td{font-variant-numeric:tabular-nums;word-break:break-word}
svg.plot{width:100%;height:auto;background:#fff;display:block}svg.half{width:49%;display:inline-block}.row{display:flex;gap:2%}
.frame{fill:none;stroke:#8c959f}.grid{stroke:#eaeef2}.tick,.mlabel{font-size:10px;fill:#57606a}
.env{fill:#54aeff55;stroke:none}.mean{fill:none;stroke:#0969da;stroke-width:1}.gap{fill:#cf222e22}
.marker{stroke:#8250df;stroke-width:1}.range{fill:#8250df14}.bar{fill:#0969da}.dot{fill:#0969da99}.dot.over{fill:#cf222e}
footer{margin:32px 0;color:#57606a;font-size:12px}
`;
