// Calibrated cost table against an outside PPK2 (`npm run bench:calibrate`; needs `npm run build:main`).
//
// The device is bench/lib/ppk2-sched-emulator.mjs on the device end of a socat pty pair: its current
// follows the CPU time of the profiling process tree (I = 5 mA + 20 mA × CPU share, 100 kS/s), so
// the energy of an inference is, as on a board, what the processor spent on it. Each round runs
//   ddi-profiler --db TMP calibrate --model M --meter ppk2:HOST --runs R --limit N --json
// with the emulator following the CLI's process, then reads the stored runs and the stored table and
// reports per run: measured mean energy per inference with its 95 % interval, the same from the
// emulator's truth over the same windows (so a meter or attribution error would show), and the
// table's prediction. The acceptance is on the held-out run: predicted ÷ measured mean energy per
// inference − 1 within ±5 %. Results go into docs/benchmarks.md between the bench:calibrate
// results markers (--no-write: print only).
//
// Options: node scripts/run-ts.mjs bench/calibrate-emulator.ts [--rounds 2] [--runs 6] [--limit 1000]
//   [--dataset sample] [--model mgl2s-50] [--segments N] [--precision P%] [--max-time T] [--delay-ms 20]
//   [--latency-ms 10] [--cli dist/main/cli.cjs]
//   [--no-write] [--keep]
//
// As in bench/profile-accuracy.ts the emulator runs in its own session with autogroup nice −10 when
// allowed (it stands for a device with its own processor), and so does the CLI (its "raised"
// condition): the table describes the machine it was calibrated on, and on a shared build machine
// other jobs would otherwise take the profiler's core at random moments, stretching some runs and
// not others (at load 7 on 2 cores an inference took 10 ms instead of 1.2).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PtyPair } from '../tests/unit/meters/helpers/pty-pair';
import type { ModelConfig } from '../main/ddi/config';
import { readModelFile } from '../main/ddi/io';
import { buildLayout } from '../main/ddi/layout';
import { resolveModelDir } from '../main/ddi/model-resolver';
import { chargesOf, predictCost, UnitCatalog, type RecordView } from '../main/profile/calibrate/features';
import type { CalibratedTable } from '../main/profile/calibrate/store';
import type { CalibrationResult } from '../main/profile/calibrate/calibrate';
import { mean, sampleSd, t975 } from '../main/profile/stats';
import { exitOf, raiseAutogroup, readTruthFiles } from './lib/emulator-host';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1]! : def);
const ROUNDS = Number(opt('rounds', '2'));
const RUNS = opt('runs', '6');
const LIMIT = opt('limit', '1000');
const DATASET = opt('dataset', 'sample');
/** Sessions per run (calibrate --segments); empty: the CLI's default. */
const SEGMENTS = opt('segments', '');
const MODEL = opt('model', 'mgl2s-50');
/** calibrate --precision / --max-time; empty: the CLI's defaults. */
const PRECISION = opt('precision', '');
const MAX_TIME = opt('max-time', '');
const DELAY_MS = opt('delay-ms', '20');
const LATENCY_MS = opt('latency-ms', '10');
const WRITE = !args.includes('--no-write');
const KEEP = args.includes('--keep');

const ROOT = [join(__dirname, '../..'), process.cwd()].find((d) => existsSync(join(d, 'bench/lib/ppk2-sched-emulator.mjs')))!;
const CLI = join(ROOT, opt('cli', 'dist/main/cli.cjs'));
const EMULATOR = join(ROOT, 'bench/lib/ppk2-sched-emulator.mjs');

interface RunRow {
  sessionId: number;
  label: string;
  heldOut: boolean;
  attribution: string;
  inferences: number;
  macsMean: number;
  durationMs: number;
  measuredJ: number;
  /** Half-width of the 95 % interval of the measured mean, relative. */
  ci95: number;
  truthJ: number;
  predictedJ: number;
  /** Baseline power of the run, in cores of the emulator's CPU share. */
  baselineCores: number;
  powerDuringMw: number;
}

interface Round {
  round: number;
  ok: boolean;
  error?: string;
  load: [number, number];
  wallS: number;
  result?: CalibrationResult;
  runs: RunRow[];
}

void main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});

async function main(): Promise<void> {
  if (!existsSync(CLI)) {
    console.error(`${CLI} is missing; run "npm run build:main" first.`);
    process.exit(2);
  }
  const rounds: Round[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const r = await runOnce(round);
    rounds.push(r);
    console.log(r.ok ? summaryLine(r) : `round ${round}: FAILED — ${r.error}`);
  }
  const table = renderTables(rounds);
  console.log(`\n${table}`);
  if (WRITE) writeDoc(table, rounds);
}

async function runOnce(round: number): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), 'ddi-bench-calibrate-'));
  const db = join(dir, 'bench.sqlite');
  const pty = await PtyPair.create();
  let emu: ChildProcess | undefined;
  let cli: ChildProcess | undefined;
  const load0 = loadavg()[0]!;
  const t0 = Date.now();
  const failed = (error: string): Round => ({ round, ok: false, error, load: [load0, loadavg()[0]!], wallS: (Date.now() - t0) / 1e3, runs: [] });
  try {
    emu = spawn(
      process.execPath,
      [EMULATOR, '--device', pty.devicePath, '--delay-ms', DELAY_MS, '--latency-ms', LATENCY_MS, '--poll-us', '0', '--truth', join(dir, 'truth')],
      { stdio: ['pipe', 'pipe', 'inherit'], detached: true },
    );
    const emuOut = collect(emu);
    await waitFor(() => emuOut().includes('"ready"'), emu, 10_000, 'the emulator to open the pty');
    raiseAutogroup(emu.pid!, '-10');
    cli = spawn(
      process.execPath,
      [
        CLI,
        '--db',
        db,
        'calibrate',
        '--model',
        MODEL,
        '--meter',
        `ppk2:${pty.hostPath}`,
        '--runs',
        RUNS,
        '--limit',
        LIMIT,
        '--dataset',
        DATASET,
        ...(SEGMENTS ? ['--segments', SEGMENTS] : []),
        ...(PRECISION ? ['--precision', PRECISION] : []),
        ...(MAX_TIME ? ['--max-time', MAX_TIME] : []),
        '--name',
        `bench-${round}`,
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, DDI_COST_TABLES_DIR: join(dir, 'tables') } },
    );
    emu.stdin!.write(`pid ${cli.pid}\n`);
    raiseAutogroup(cli.pid!, '-10');
    const out = collect(cli, 'stdout');
    const err = collect(cli, 'stderr');
    const code = await exitOf(cli, 900_000);
    emu.stdin!.write('quit\n');
    await waitFor(() => emuOut().includes('"stats"'), emu, 30_000, 'the emulator to write its truth');
    if (code !== 0) return failed(`the CLI exited with ${code}: ${err().trim().split('\n').slice(-3).join(' ')}`);
    const result = JSON.parse(out().slice(out().indexOf('{'))) as CalibrationResult;
    const runs = perRun(db, result, join(dir, 'truth'));
    return { round, ok: true, load: [load0, loadavg()[0]!], wallS: (Date.now() - t0) / 1e3, result, runs };
  } finally {
    cli?.kill();
    emu?.kill();
    await pty.dispose();
    if (KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Per stored run: measured, truth and predicted mean energy per inference. */
function perRun(dbPath: string, result: CalibrationResult, truthPrefix: string): RunRow[] {
  const table = JSON.parse(readFileSync(result.costTable.path, 'utf8')) as CalibratedTable;
  const cat = new UnitCatalog(buildLayout(readModelFile(resolveModelDir(MODEL)).architecture as ModelConfig));
  const truth = readTruth(truthPrefix);
  const db = new Database(dbPath, { readonly: true });
  try {
    return result.runs.map((run) => {
      // A run measured in segments is several sessions; each quantity is taken over all of them.
      const parts = run.sessionIds.map((id) => sessionPart(db, id, cat, table, truth));
      const rows = parts.flatMap((p) => p.rows);
      // Sessions of a run can differ in attribution (a window-mode one among per-inference ones):
      // each contributes its measured energy and the truth over the same inferences.
      // As the calibration does: energy from the per-inference sessions when there are any.
      const used = parts.some((p) => p.mode === 'per-inference') ? parts.filter((p) => p.mode === 'per-inference') : parts;
      const es = used.flatMap((p) => p.observations);
      const measuredJ = used.reduce((s, p) => s + p.measuredJ, 0) / used.reduce((s, p) => s + p.measuredN, 0);
      const truthJ = used.reduce((s, p) => s + p.truthJ, 0) / used.reduce((s, p) => s + p.measuredN, 0);
      const durS = parts.reduce((s, p) => s + p.phaseS, 0);
      const phaseTruthJ = parts.reduce((s, p) => s + p.phaseTruthJ, 0);
      return {
        sessionId: run.sessionId,
        label: `${run.mode}${run.budget ? ` ${run.budget}` : ''}`,
        heldOut: run.heldOut,
        attribution: run.energySetAside.length ? `${run.attribution} (+${run.energySetAside.length} window set aside)` : run.attribution,
        inferences: rows.length,
        macsMean: mean(rows.map((r) => r.macs)),
        durationMs: mean(rows.map((r) => (r.b - r.a) / 1e6)),
        measuredJ: es.length ? measuredJ : Number.NaN,
        ci95: es.length > 1 ? (t975(es.length - 1) * sampleSd(es)) / Math.sqrt(es.length) / mean(es) : Number.NaN,
        truthJ,
        predictedJ: mean(rows.map((r) => r.predictedJ).filter(Number.isFinite)),
        baselineCores: mean(parts.map((p) => p.baselineCores)),
        powerDuringMw: (phaseTruthJ / durS) * 1e3,
      };
    });
  } finally {
    db.close();
  }
}

/** One session of a run: its inferences with truth and prediction, its windows, phase and baseline. */
function sessionPart(db: Database.Database, id: number, cat: UnitCatalog, table: CalibratedTable, truth: Truth) {
  const s = db.prepare('SELECT start_mono_ns AS t0 FROM sessions WHERE id = ?').get(id) as { t0: number };
  const rows = (
    db.prepare('SELECT start_ns AS a, end_ns AS b, macs, measured_energy_j AS e, record FROM inferences WHERE session_id = ? ORDER BY seq').all(id) as {
      a: number;
      b: number;
      macs: number;
      e: number | null;
      record: string;
    }[]
  ).map((r) => {
    const c = chargesOf(cat, JSON.parse(r.record) as RecordView);
    return { ...r, predictedJ: c ? predictCost(table.energy, c) : Number.NaN, truthJ: truthEnergy(truth, s.t0 + r.a, s.t0 + r.b) };
  });
  const phaseOf = (label: string) =>
    db.prepare("SELECT t_ns AS a, end_ns AS b FROM markers WHERE session_id = ? AND kind = 'phase' AND label = ?").get(id, label) as { a: number; b: number };
  const base = phaseOf('baseline');
  const phase = phaseOf('inferences');
  // Per-inference attribution: each inference's energy; window mode: each window's energy per inference.
  const profile = JSON.parse((db.prepare("SELECT data FROM markers WHERE session_id = ? AND kind = 'profile'").get(id) as { data: string }).data) as {
    attribution?: { mode: string };
    windows?: { windows: { energyJ: number; inferences: number; energyPerInferenceJ: number | null }[] };
  };
  const phaseTruthJ = truthEnergy(truth, s.t0 + phase.a, s.t0 + phase.b);
  const windowed = profile.attribution?.mode === 'window';
  const windows = windowed ? (profile.windows?.windows ?? []).filter((w) => w.energyPerInferenceJ !== null) : [];
  const measured = rows.filter((r) => r.e !== null);
  const windowN = windows.reduce((n, w) => n + w.inferences, 0);
  return {
    rows,
    mode: profile.attribution?.mode ?? 'none',
    // What the run's mean is made of: Σ measured energy over the inferences it covers, and the truth over the same.
    measuredJ: windowed ? windows.reduce((e, w) => e + w.energyJ, 0) : measured.reduce((e, r) => e + r.e!, 0),
    measuredN: windowed ? windowN : measured.length,
    truthJ: windowed ? (phaseTruthJ * windowN) / Math.max(1, rows.length) : measured.reduce((e, r) => e + r.truthJ, 0),
    observations: windowed ? windows.map((w) => w.energyPerInferenceJ!) : measured.map((r) => r.e!),
    phaseS: (phase.b - phase.a) / 1e9,
    phaseTruthJ,
    baselineCores: (truthEnergy(truth, s.t0 + base.a, s.t0 + base.b) / ((base.b - base.a) / 1e9) / truth.vddV - truth.baseA) / truth.perCoreA,
  };
}

interface Truth {
  t0: number;
  periodNs: number;
  vddV: number;
  /** The emulator's current model: baseA + perCoreA × CPU share. */
  baseA: number;
  perCoreA: number;
  cum: Float64Array;
}

function readTruth(prefix: string): Truth {
  const { meta, current: cur } = readTruthFiles<{
    vddMv: number;
    baseA: number;
    perCoreA: number;
    streams: { t0MonoNs: string; periodNs: number; first: number }[];
  }>(prefix);
  if (meta.streams.length !== 1) throw new Error(`the emulator streamed ${meta.streams.length} times; expected one stream`);
  const cum = new Float64Array(cur.length + 1);
  for (let i = 0; i < cur.length; i++) cum[i + 1] = cum[i]! + cur[i]!;
  const s = meta.streams[0]!;
  return { t0: Number(BigInt(s.t0MonoNs)), periodNs: s.periodNs, vddV: meta.vddMv / 1000, baseA: meta.baseA, perCoreA: meta.perCoreA, cum };
}

/** ∫ V·I dt of the truth over [a, b) in host-monotonic ns (the emulator's clock), J; zero-order hold, edges weighted. */
function truthEnergy(t: Truth, a: number, b: number): number {
  const at = (x: number): number => {
    const u = (x - t.t0) / t.periodNs;
    const i = Math.max(0, Math.min(t.cum.length - 1, Math.floor(u)));
    const frac = i < t.cum.length - 1 ? Math.max(0, Math.min(1, u - i)) : 0;
    return t.cum[i]! + frac * (t.cum[i + 1]! - t.cum[i]!);
  };
  return (at(b) - at(a)) * t.periodNs * 1e-9 * t.vddV;
}

const pct = (x: number | null | undefined, digits = 1): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : `${x >= 0 ? '+' : '−'}${(100 * Math.abs(x)).toFixed(digits)} %`;
const uj = (j: number): string => (Number.isFinite(j) ? (j * 1e6).toFixed(1) : '—');

function summaryLine(r: Round): string {
  const h = r.result!.heldOut;
  return (
    `round ${r.round}: held-out ${h.mode} ${h.budget ?? ''}: mean energy error ${pct(h.energyMeanError)} (measured mean ± ${pct(h.energyMeanCi95).slice(1)} at 95 %), ` +
    `per-inference MAPE ${(100 * (h.energyMape ?? Number.NaN)).toFixed(0)} %, latency mean error ${pct(h.latencyMeanError)}; load ${r.load[0].toFixed(1)}→${r.load[1].toFixed(1)}, ${r.wallS.toFixed(0)} s`
  );
}

function renderTables(rounds: Round[]): string {
  const ok = rounds.filter((r) => r.ok);
  const held = ok.map((r) => r.result!.heldOut);
  const meanAbs = held.length ? mean(held.map((h) => Math.abs(h.energyMeanError ?? Number.NaN))) : Number.NaN;
  const lines = [
    '| Round | Held-out run | Mean energy per inference: predicted / measured µJ | Mean error (≤ ±5 %) | Measured mean ± (95 %) | Per-inference MAPE | Latency mean error / MAPE | Extra rounds (precision) | Load avg (1 min) | Wall |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rounds.map((r) => {
      if (!r.ok) return `| ${r.round} | failed: ${r.error} | | | | | | | | |`;
      const h = r.result!.heldOut;
      const p = r.result!.precision;
      return (
        `| ${r.round} | ${h.mode} ${h.budget ?? ''} (${h.attribution}) | ${uj(h.predictedEnergyPerInferenceJ ?? Number.NaN)} / ${uj(h.measuredEnergyPerInferenceJ ?? Number.NaN)} | ` +
        `${pct(h.energyMeanError)} ${Math.abs(h.energyMeanError ?? 1) <= 0.05 ? 'pass' : '**FAIL**'} | ± ${pct(h.energyMeanCi95).slice(1)} | ${(100 * (h.energyMape ?? Number.NaN)).toFixed(0)} % | ` +
        `${pct(h.latencyMeanError)} / ${(100 * (h.latencyMape ?? Number.NaN)).toFixed(0)} % | ` +
        `${p ? `${p.extraRounds} (worst run ± ${pct(p.worstCi95).slice(1)}, ${p.reached ? 'reached' : 'not reached'})` : '—'} | ${r.load[0].toFixed(1)} → ${r.load[1].toFixed(1)} | ${r.wallS.toFixed(0)} s |`
      );
    }),
    '',
    `Mean |error| of the held-out mean energy per inference over ${held.length} round(s): ${(100 * meanAbs).toFixed(1)} %.`,
    '',
    '| Round | Run | Inferences, attribution | MACs mean | Duration mean | Measured µJ ± (95 %) | Truth µJ (same windows; window mode: inference phase ÷ count) | Table µJ (error) | Baseline, cores | Power during inferences |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...ok.flatMap((r) =>
      r.runs.map(
        (x) =>
          `| ${r.round} | ${x.label}${x.heldOut ? ' **(held out)**' : ''} | ${x.inferences}, ${x.attribution} | ${(x.macsMean / 1e6).toFixed(2)} M | ${x.durationMs.toFixed(3)} ms | ` +
          `${uj(x.measuredJ)} ± ${pct(x.ci95).slice(1)} | ${uj(x.truthJ)} | ${uj(x.predictedJ)} (${pct(x.predictedJ / x.measuredJ - 1)}) | ${x.baselineCores.toFixed(2)} | ${x.powerDuringMw.toFixed(1)} mW |`,
      ),
    ),
  ];
  return lines.join('\n');
}

/** Puts the tables into docs/benchmarks.md between the bench:calibrate results markers (the section's text around them is hand-written). */
function writeDoc(table: string, rounds: Round[]): void {
  const docPath = join(ROOT, 'docs/benchmarks.md');
  const loads = rounds.flatMap((r) => r.load);
  const block = [
    '<!-- bench:calibrate results start -->',
    `Results of ${new Date().toISOString().slice(0, 10)}: ${cpus().length}× ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ` +
      `1-minute load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}; ${MODEL}, --runs ${RUNS} --limit ${LIMIT} --dataset ${DATASET}${SEGMENTS ? ` --segments ${SEGMENTS}` : ''} --precision ${PRECISION || '3% (default)'} --max-time ${MAX_TIME || '5m (default)'}, D = ${DELAY_MS} ms, L = ${LATENCY_MS} ms.`,
    '',
    table,
    '<!-- bench:calibrate results end -->',
  ].join('\n');
  let doc = readFileSync(docPath, 'utf8');
  const re = /<!-- bench:calibrate results start -->[\s\S]*?<!-- bench:calibrate results end -->/;
  if (re.test(doc)) doc = doc.replace(re, block);
  else doc = `${doc.trimEnd()}\n\n## Calibrated cost table against an outside PPK2 emulator (\`npm run bench:calibrate\`)\n\n${block}\n`;
  writeFileSync(docPath, doc);
  console.log(`wrote ${docPath}`);
}

function collect(child: ChildProcess, stream: 'stdout' | 'stderr' = 'stdout'): () => string {
  let text = '';
  child[stream]!.on('data', (d: Buffer) => (text += d.toString()));
  return () => text;
}

async function waitFor(pred: () => boolean, child: ChildProcess, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (child.exitCode !== null) throw new Error(`the emulator exited (${child.exitCode}) while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
