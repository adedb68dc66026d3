// DDI engine benchmark (`npm run bench:ddi`): per available backend, images/s at batch 1 and 64
// for static vs DDI, and the ratio (wall-clock saving) / (MAC saving) for block skipping and
// channel skipping with forced gate patterns (gates still run and are charged). Results go into
// docs/benchmarks.md between the bench:ddi markers, with machine and date.
// Options: node scripts/run-ts.mjs bench/ddi.ts [--backends wasm,cpu] [--quick] [--no-write]
import { cpus, loadavg, totalmem } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DdiEngine } from '../main/ddi/engine';
import { buildModel, type GatePattern } from '../main/ddi/model';
import { resnetConfig, type ModelConfig } from '../main/ddi/config';
import { buildLayout } from '../main/ddi/layout';
import type { BackendName } from '../main/ddi/backend';
import type { InferenceRecord } from '../main/ddi/types';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const write = !args.includes('--no-write');
const backendsArg = args[args.indexOf('--backends') + 1];
const BACKENDS: BackendName[] = args.includes('--backends') && backendsArg ? (backendsArg.split(',') as BackendName[]) : ['tensorflow', 'wasm', 'cpu'];

// Same random images for every configuration.
function images(n: number, per: number): Float32Array {
  let a = 12345;
  const out = new Float32Array(n * per);
  for (let i = 0; i < out.length; i++) {
    a = (a * 1664525 + 1013904223) >>> 0;
    out[i] = a / 4294967296;
  }
  return out;
}

interface Row {
  backend: string;
  batch: number;
  config: string;
  msPerImage: number;
  cpuMsPerImage: number;
  imagesPerS: number;
  macs: number;
  macSaving: number;
  wallSaving: number;
  ratio: number | null;
  cpuRatio: number | null;
}

interface Timing {
  /** Wall-clock ms per image. */
  ms: number;
  /** Process CPU ms per image (user + system): on a shared machine the wall clock includes waiting. */
  cpuMs: number;
  recs: InferenceRecord[];
}

/** Minimum over `rounds` of the per-image time of one engine.infer call over n images. */
function time(engine: DdiEngine, imgs: Float32Array, n: number, batch: number, opts: Parameters<DdiEngine['infer']>[2], rounds: number): Timing {
  let recs = engine.infer(imgs, n, { ...opts, batchSize: batch }); // warm-up (fills the gathered-kernel cache)
  let ms = Number.POSITIVE_INFINITY;
  let cpuMs = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    recs = engine.infer(imgs, n, { ...opts, batchSize: batch });
    const wall = Number(process.hrtime.bigint() - t0) / 1e6 / n;
    const c = process.cpuUsage(c0);
    ms = Math.min(ms, wall);
    cpuMs = Math.min(cpuMs, (c.user + c.system) / 1e3 / n);
  }
  return { ms, cpuMs, recs };
}

/**
 * The configuration and the static baseline measured alternately (ABAB…), minimum of each: the
 * machine is shared, and the minimum of interleaved runs is the least disturbed estimate.
 */
function paired(engine: DdiEngine, imgs: Float32Array, n: number, batch: number, opts: Parameters<DdiEngine['infer']>[2], rounds: number) {
  const a: Timing = { ms: Infinity, cpuMs: Infinity, recs: [] };
  const s: Timing = { ms: Infinity, cpuMs: Infinity, recs: [] };
  for (let r = 0; r < rounds; r++) {
    const ts = time(engine, imgs, n, batch, { mode: 'static' }, 1);
    const t = time(engine, imgs, n, batch, opts, 1);
    s.ms = Math.min(s.ms, ts.ms);
    s.cpuMs = Math.min(s.cpuMs, ts.cpuMs);
    a.ms = Math.min(a.ms, t.ms);
    a.cpuMs = Math.min(a.cpuMs, t.cpuMs);
    a.recs = t.recs;
  }
  return { t: a, s };
}

function patterns(cfg: ModelConfig, n: number, skipBlocks: number, keepFrac: number, sampleFrac = 1): GatePattern[] {
  const lay = buildLayout(cfg);
  const gated = lay.trunk.filter((u) => u.layerGated).map((u) => u.layer);
  // Skip evenly spread gated blocks.
  const skip = new Set<number>();
  for (let k = 0; k < skipBlocks; k++) skip.add(gated[Math.floor(((k + 0.5) * gated.length) / skipBlocks)]!);
  return Array.from({ length: n }, (_, i) => {
    const active = (i * 7919) % 100 < sampleFrac * 100;
    return {
      layer: lay.trunk.filter((u) => u.layer >= 0).map((u) => !(active && skip.has(u.layer))),
      channel: lay.trunk
        .filter((u) => u.layer >= 0)
        .map((u) => Array.from({ length: u.groups }, (_, g) => !active || g < Math.max(1, Math.round(keepFrac * u.groups)))),
    };
  });
}

async function benchBackend(backend: BackendName): Promise<{ rows: Row[]; version: string } | null> {
  let engine: DdiEngine;
  try {
    engine = await DdiEngine.create({ backend, strict: true });
  } catch (e) {
    console.log(`${backend}: not available (${(e as Error).message})`);
    return null;
  }
  const info = engine.backendInfo();
  const cfg = resnetConfig({ depth: 20 }); // 28×28×1, gates layer+channel (group 4), exits ¼ ½ ¾
  engine.useModel(buildModel(cfg, 1));
  const per = 28 * 28;
  const slow = backend === 'cpu';
  const rows: Row[] = [];
  for (const batch of [1, 64]) {
    const n = batch === 1 ? (slow ? 10 : quick ? 30 : 60) : 64;
    const rounds = slow ? 2 : quick ? 3 : 5;
    const imgs = images(n, per);
    const base = time(engine, imgs, n, batch, { mode: 'static' }, rounds);
    const staticMacs = base.recs[0]!.macs;
    const add = (config: string, t: Timing, st: Timing) => {
      const macs = t.recs.reduce((sum, r) => sum + r.macs, 0) / t.recs.length;
      const macSaving = 1 - macs / staticMacs;
      const wallSaving = 1 - t.ms / st.ms;
      const cpuSaving = 1 - t.cpuMs / st.cpuMs;
      const useful = macSaving > 0.02;
      rows.push({ backend, batch, config, msPerImage: t.ms, cpuMsPerImage: t.cpuMs, imagesPerS: 1000 / t.ms, macs, macSaving, wallSaving, ratio: useful ? wallSaving / macSaving : null, cpuRatio: useful ? cpuSaving / macSaving : null });
      console.log(
        `${backend} b${batch} ${config.padEnd(44)} ${t.ms.toFixed(3)} ms/img (static ${st.ms.toFixed(3)}) cpu ${t.cpuMs.toFixed(3)} (static ${st.cpuMs.toFixed(3)})  MACs ${(macs / 1e6).toFixed(2)}M  saving wall ${(wallSaving * 100).toFixed(1)}% cpu ${(cpuSaving * 100).toFixed(1)}% / MAC ${(macSaving * 100).toFixed(1)}%`,
      );
    };
    const run = (config: string, opts: Parameters<DdiEngine['infer']>[2]) => {
      const r = paired(engine, imgs, n, batch, opts, rounds);
      add(config, r.t, r.s);
      return r.t;
    };
    add('static (all units, final classifier)', base, base);
    run('iadi, gates run, all forced on (overhead)', { mode: 'iadi', forced: patterns(cfg, n, 0, 1) });
    for (const k of [2, 4, 6]) run(`block skipping: ${k}/6 gated blocks skipped`, { mode: 'iadi', forced: patterns(cfg, n, k, 1) });
    for (const keep of [0.5, 0.25]) run(`channel skipping: ${keep * 100}% of groups kept`, { mode: 'iadi', forced: patterns(cfg, n, 0, keep) });
    run('both: 4/6 blocks skipped + 50% channels', { mode: 'iadi', forced: patterns(cfg, n, 4, 0.5) });
    if (batch === 64) {
      run('30% of samples skip all 6 gated blocks', { mode: 'iadi', forced: patterns(cfg, n, 6, 1, 0.3) });
      run('70% of samples skip all 6 gated blocks', { mode: 'iadi', forced: patterns(cfg, n, 6, 1, 0.7) });
    }
    // Hard budgets with the (random-weight) learned gates: DDI mode as the app runs it.
    const min = engine.minimumBudget('macs', 'ddi');
    for (const f of [1, 1.5, 2.5]) {
      const budget = { kind: 'macs' as const, value: min * f };
      const r = run(`ddi, learned gates, budget ${(budget.value / 1e6).toFixed(1)} MMAC`, { mode: 'ddi', budget });
      const over = r.recs.filter((x) => (x.budgetSpent ?? 0) > budget.value).length;
      if (over > 0) throw new Error(`budget exceeded by ${over} samples`);
    }
  }
  engine.dispose();
  return { rows, version: info.version };
}

function table(rows: Row[]): string {
  const out = [
    '| Backend | Batch | Configuration | wall ms / image | images/s | CPU ms / image | MACs / image | MAC saving | wall saving | wall ÷ MAC saving | CPU ÷ MAC saving |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.backend} | ${r.batch} | ${r.config} | ${r.msPerImage.toFixed(3)} | ${r.imagesPerS.toFixed(0)} | ${r.cpuMsPerImage.toFixed(3)} | ${(r.macs / 1e6).toFixed(2)} M | ${(r.macSaving * 100).toFixed(1)} % | ${(r.wallSaving * 100).toFixed(1)} % | ${r.ratio === null ? '—' : r.ratio.toFixed(2)} | ${r.cpuRatio === null ? '—' : r.cpuRatio.toFixed(2)} |`,
    );
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const all: Row[] = [];
  const versions: string[] = [];
  for (const b of BACKENDS) {
    const res = await benchBackend(b);
    if (res) {
      all.push(...res.rows);
      versions.push(`${b} ${res.version}`);
    }
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const machine = `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform}-${process.arch}, Node ${process.version}`;
  const summary = (backend: string, prefix: string, key: 'ratio' | 'cpuRatio' = 'ratio') => {
    const rs = all.filter((r) => r.backend === backend && r.batch === 1 && r.config.startsWith(prefix) && r[key] !== null);
    return rs.length ? Math.min(...rs.map((r) => r[key]!)).toFixed(2) : '—';
  };
  const section = [
    '<!-- bench:ddi start -->',
    '## DDI engine: real skipping (`npm run bench:ddi`)',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}; backends ${versions.join(', ')}.`,
    'Model: ResNet-20 for 28×28×1 (16/32/64, 31.0 M backbone MACs), layer + channel gates (group 4), exits after blocks 1, 4, 6;',
    'random weights (wall-clock does not depend on the values). Gate decisions are **forced** to the listed patterns but the gates',
    'still run and are charged; "ddi" rows use the random learned gates with hard MAC budgets (no sample exceeded its budget).',
    'Savings are relative to the static row of the same backend and batch; MACs include gates and exit heads (FLOPs = 2 × MACs).',
    'Timing: each configuration alternates with the static network (ABAB…, the machine is shared); the minimum per-image time of each is',
    'used (batch 1: one engine call runs n images one by one; batch 64: one call of 64). Savings are against the paired static minimum.',
    '',
    table(all),
    '',
    `Worst ratio (wall saving ÷ MAC saving) at batch 1 on wasm: block skipping ${summary('wasm', 'block')} (target ≥ 0.8), channel skipping ${summary('wasm', 'channel')} (target ≥ 0.6);`,
    `by process CPU time: block ${summary('wasm', 'block', 'cpuRatio')}, channel ${summary('wasm', 'channel', 'cpuRatio')}. Load average during the run: ${loadavg().map((x) => x.toFixed(1)).join(' / ')} on ${cpus().length} cores.`,
    'ONNX Runtime comparison: not measured (onnxruntime-node not installed).',
    '<!-- bench:ddi end -->',
  ].join('\n');
  console.log(`\n${section}`);
  if (!write) return;
  const path = 'docs/benchmarks.md';
  let doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const re = /<!-- bench:ddi start -->[\s\S]*?<!-- bench:ddi end -->/;
  doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, doc);
  console.log(`\nwritten to ${path}`);
}

void main();
