/**
 * CSV files of samples: this app's own sample export (`time_s,current_A,voltage_V,power_W`) and
 * plain files with a header row naming a time column and at least one of current, voltage, power.
 *
 * Header names (case, spaces and quotes ignored; a unit may follow as `_unit`, `(unit)` or `[unit]`):
 *   time:    time | t | timestamp, in s (default), ms, us/µs or ns — e.g. `time_s`, `Timestamp(ms)`
 *   current: current | i, in A (default), mA, uA/µA or nA — e.g. `current_A`, `Current(uA)`
 *   voltage: voltage | v | u, in V (default) or mV
 *   power:   power | p, in W (default), mW or uW/µW
 * Other columns are ignored. Separator: comma, or semicolon/tab when the header has no comma.
 * Lines starting with `#` are comments. An empty field, NaN or inf is a missing value: that
 * sample becomes part of a recorded gap, never a number.
 *
 * Times: samples are taken to be evenly spaced at the file's sample period (the median spacing of
 * its first rows, rounded to a whole rate in Hz when that fits). A jump in time of more than 1.5
 * periods is a recorded gap; a smaller irregularity starts a new evenly spaced run (nothing is
 * lost or moved). Time 0 of the file is time 0 of the session, unless the first time is negative
 * or more than an hour: then every time is shifted so that the first sample is at 0 (said in the
 * session notes). A time that does not increase is refused.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import type { Channel, SampleChunk } from '../meters/types';
import { UserError } from '../util/errors';
import { FILE_GAP_REASON, type ImportPart, type ImportSource } from './import-source';

const QUANTITIES: Record<string, { kind: 'time' | Channel; units: Record<string, number> }> = {
  time: { kind: 'time', units: { '': 1e9, s: 1e9, ms: 1e6, us: 1e3, ns: 1 } },
  t: { kind: 'time', units: { '': 1e9, s: 1e9, ms: 1e6, us: 1e3, ns: 1 } },
  timestamp: { kind: 'time', units: { '': 1e9, s: 1e9, ms: 1e6, us: 1e3, ns: 1 } },
  current: { kind: 'current', units: { '': 1, a: 1, ma: 1e-3, ua: 1e-6, na: 1e-9 } },
  i: { kind: 'current', units: { '': 1, a: 1, ma: 1e-3, ua: 1e-6, na: 1e-9 } },
  voltage: { kind: 'voltage', units: { '': 1, v: 1, mv: 1e-3 } },
  v: { kind: 'voltage', units: { '': 1, v: 1, mv: 1e-3 } },
  u: { kind: 'voltage', units: { '': 1, v: 1, mv: 1e-3 } },
  power: { kind: 'power', units: { '': 1, w: 1, mw: 1e-3, uw: 1e-6 } },
  p: { kind: 'power', units: { '': 1, w: 1, mw: 1e-3, uw: 1e-6 } },
};

const ORDER: Channel[] = ['current', 'voltage', 'power'];
/** Rows probed for the header and the sample period. */
const PROBE_BYTES = 1 << 20;
const PROBE_ROWS = 2000;
const ROWS_PER_BATCH = 65_536;
/** An hour: a first time beyond it is taken as an absolute clock, not time from the start. */
const MAX_OFFSET_NS = 3600e9;
const NON_FINITE_WORDS = new Set(['nan', '-nan', 'inf', '-inf', '+inf', 'infinity', '-infinity', '+infinity']);

interface Layout {
  sep: string;
  /** Lines before the first data row (header and comments). */
  headerLine: number;
  timeCol: number;
  timeScale: number;
  timeHeader: string;
  /** Measured channels in storage order, with their column and scale to SI. */
  cols: { channel: Channel; index: number; scale: number; header: string }[];
  minFields: number;
}

/** "Current (mA)" → "current_ma"; "time_s" stays; µ → u. */
export function normaliseHeader(h: string): string {
  return h
    .trim()
    .replace(/^["']|["']$/g, '')
    .toLowerCase()
    .replace(/µ|μ/g, 'u')
    .replace(/\s*[([]\s*([^)\]]*?)\s*[)\]]\s*$/, '_$1')
    .replace(/\s+/g, '_');
}

export function openCsv(path: string): ImportSource {
  const name = basename(path);
  const refuse = (line: number | null, why: string): UserError => new UserError(`${name}${line ? ` line ${line}` : ''}: ${why}.`, 'bad-import');
  const head = readHead(path);
  const lines = head.split('\n').map((l) => l.replace(/\r$/, ''));
  const layout = parseLayout(lines, refuse);
  // The period: median spacing of the first rows, snapped to a whole rate in Hz when that fits.
  const times: number[] = [];
  for (let i = layout.headerLine; i < lines.length - 1 && times.length < PROBE_ROWS; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) continue;
    const t = Number(line.split(layout.sep)[layout.timeCol]?.trim()) * layout.timeScale;
    if (Number.isFinite(t)) times.push(t);
  }
  if (times.length < 2) throw refuse(null, 'fewer than two samples with a time were found; a CSV import needs a header row and at least two rows of samples');
  const diffs = times
    .slice(1)
    .map((t, i) => t - times[i]!)
    .filter((d) => d > 0)
    .sort((a, b) => a - b);
  if (diffs.length === 0) throw refuse(null, 'the time column does not increase; check that it holds times');
  const periodNs = snapPeriod(diffs[Math.floor(diffs.length / 2)]!);
  const firstT = times[0]!;
  const shiftNs = firstT < 0 || firstT > MAX_OFFSET_NS ? firstT : 0;
  const notes = shiftNs !== 0 ? [`Times were shifted by ${(-shiftNs / 1e9).toFixed(6)} s so that the first sample is at 0.`] : [];
  const channels = layout.cols.map((c) => c.channel);
  return {
    format: 'csv',
    formatLabel: `CSV: ${[layout.timeHeader, ...layout.cols.map((c) => c.header)].join(', ')}`,
    channels,
    sampleRateHz: 1e9 / periodNs,
    digitalInputs: 0,
    notes,
    parts: () => csvParts(path, layout, periodNs, shiftNs, refuse),
  };
}

function readHead(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(PROBE_BYTES);
    const n = readSync(fd, buf, 0, PROBE_BYTES, 0);
    const text = buf.subarray(0, n).toString('utf8');
    // A file shorter than the probe ends with its last line: mark it complete with a newline.
    return n < PROBE_BYTES ? text + '\n' : text;
  } finally {
    closeSync(fd);
  }
}

function parseLayout(lines: string[], refuse: (line: number | null, why: string) => UserError): Layout {
  let i = 0;
  while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.startsWith('#'))) i++;
  const header = lines[i];
  if (header === undefined || header.trim() === '') throw refuse(null, 'the file is empty; a CSV import needs a header row such as time_s,current_A');
  if (header.includes('\u0000')) throw refuse(null, 'this is a binary file, not CSV text');
  const sep = header.includes(',') ? ',' : header.includes(';') ? ';' : header.includes('\t') ? '\t' : ',';
  const names = header.split(sep).map(normaliseHeader);
  let timeCol = -1;
  let timeScale = 1e9;
  const cols: Layout['cols'] = [];
  names.forEach((n, index) => {
    const m = /^([a-z]+)(?:_([a-z]+))?$/.exec(n);
    if (!m) return;
    const q = QUANTITIES[m[1]!];
    const scale = q?.units[m[2] ?? ''];
    if (!q || scale === undefined) return;
    if (q.kind === 'time') {
      if (timeCol < 0) {
        timeCol = index;
        timeScale = scale;
      }
    } else if (!cols.some((c) => c.channel === q.kind)) {
      cols.push({ channel: q.kind, index, scale, header: header.split(sep)[index]!.trim() });
    }
  });
  if (timeCol < 0 || cols.length === 0) {
    throw refuse(
      i + 1,
      `the header "${header.slice(0, 80)}" needs a time column (time_s, time_ms, time_us, timestamp(ms)…) and at least one of current_A/current_mA/current_uA, voltage_V/voltage_mV, power_W/power_mW`,
    );
  }
  cols.sort((a, b) => ORDER.indexOf(a.channel) - ORDER.indexOf(b.channel));
  return {
    sep,
    headerLine: i + 1,
    timeCol,
    timeScale,
    timeHeader: header.split(sep)[timeCol]!.trim(),
    cols,
    minFields: Math.max(timeCol, ...cols.map((c) => c.index)) + 1,
  };
}

/**
 * The median spacing, or 1e9/rate for a round rate (4 significant digits, else whole Hz) that
 * explains it to within the times' printing precision (1 ns, or 1e-4 of the period).
 */
export function snapPeriod(medianNs: number): number {
  const rate = 1e9 / medianNs;
  for (const candidate of [Number(rate.toPrecision(4)), Math.round(rate)]) {
    if (!(candidate >= 1)) continue;
    const snapped = 1e9 / candidate;
    if (Math.abs(snapped - medianNs) <= Math.max(1.5, medianNs * 1e-4)) return snapped;
  }
  return medianNs;
}

async function* csvParts(
  path: string,
  layout: Layout,
  periodNs: number,
  shiftNs: number,
  refuse: (line: number | null, why: string) => UserError,
): AsyncGenerator<ImportPart> {
  const nCh = layout.cols.length;
  let planes = layout.cols.map(() => new Float32Array(ROWS_PER_BATCH));
  let n = 0; // rows in the batch
  let runT0 = NaN; // time of the run's first sample
  let runN = 0; // samples in the run so far
  let lastT = NaN;
  const take = (): SampleChunk => {
    const chunk: SampleChunk = {
      t0Ns: runT0 + (runN - n) * periodNs,
      periodNs,
      count: n,
      channels: layout.cols.map((c) => c.channel),
      data: planes.map((p) => p.subarray(0, n)),
    };
    planes = layout.cols.map(() => new Float32Array(ROWS_PER_BATCH));
    n = 0;
    return chunk;
  };

  let lineNo = 0;
  let rest = '';
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const parts: ImportPart[] = [];
  const onLine = (raw: string): void => {
    lineNo++;
    if (lineNo <= layout.headerLine) return;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || line.startsWith('#')) return;
    const f = line.split(layout.sep);
    if (f.length < layout.minFields) throw refuse(lineNo, `it has ${f.length} fields, the header has at least ${layout.minFields}; fix or remove that line`);
    const tField = f[layout.timeCol]!.trim();
    const t = (tField === '' ? NaN : Number(tField)) * layout.timeScale - shiftNs;
    if (!Number.isFinite(t)) throw refuse(lineNo, `"${tField}" is not a time; every row needs a number in the time column`);
    if (runN > 0) {
      const expected = runT0 + runN * periodNs;
      if (Math.abs(t - expected) > periodNs / 4) {
        if (!(t > lastT)) throw refuse(lineNo, `the time ${tField} does not increase; sort the rows by time`);
        if (n > 0) parts.push({ chunk: take() });
        const lost = Math.round((t - lastT) / periodNs) - 1;
        if (t - lastT >= 1.5 * periodNs && lost >= 1) {
          parts.push({ gap: { startNs: lastT + periodNs, endNs: t, lostSamples: lost, reason: FILE_GAP_REASON } });
        }
        runN = 0;
      }
    }
    if (runN === 0) runT0 = t;
    for (let c = 0; c < nCh; c++) {
      const col = layout.cols[c]!;
      const s = f[col.index]!.trim();
      const v = s === '' ? NaN : Number(s);
      if (Number.isNaN(v) && s !== '' && !NON_FINITE_WORDS.has(s.toLowerCase())) {
        throw refuse(lineNo, `"${s.slice(0, 30)}" in column ${col.header} is not a number; leave the field empty for a missing value`);
      }
      planes[c]![n] = v * col.scale;
    }
    n++;
    runN++;
    lastT = t;
    if (n === ROWS_PER_BATCH) parts.push({ chunk: take() });
  };
  for await (const piece of stream as AsyncIterable<string>) {
    const text = rest + piece;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      onLine(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
    while (parts.length > 0) yield parts.shift()!;
  }
  if (rest !== '') onLine(rest);
  if (n > 0) parts.push({ chunk: take() });
  while (parts.length > 0) yield parts.shift()!;
}
