// DDI engine benchmark (`npm run bench:ddi`): per available backend, images/s at batch 1 and 64
// for static vs DDI, and the ratio (wall-clock saving) / (MAC saving) for block skipping and
// channel skipping with forced gate patterns (gates still run and are charged). Results go into
// docs/benchmarks.md between the bench:ddi markers, with machine and date.
// Options: node scripts/run-ts.mjs bench/ddi.ts [--backends wasm,cpu] [--quick] [--no-write]
import { cpus, totalmem } from 'node:os';
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
  imagesPerS: number;
  macs: number;
  macSaving: number;
  wallSaving: number;
  ratio: number | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median over `rounds` of the mean time per image of one engine.infer call over n images. */
function time(engine: DdiEngine, imgs: Float32Array, n: number, batch: number, opts: Parameters<DdiEngine['infer']>[2], rounds: number): { ms: number; recs: InferenceRecord[] } {
  let recs = engine.infer(imgs, n, { ...opts, batchSize: batch }); // warm-up (fills the gathered-kernel cache)
  const ts: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    recs = engine.infer(imgs, n, { ...opts, batchSize: batch });
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6 / n);
  }
  return { ms: median(ts), recs };
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
    const n = batch === 1 ? (slow ? 20 : quick ? 50 : 200) : 64;
    const rounds = batch === 1 ? 3 : slow || quick ? 2 : 4;
    const imgs = images(n, per);
    const base = time(engine, imgs, n, batch, { mode: 'static' }, rounds);
    const staticMacs = base.recs[0]!.macs;
    const add = (config: string, ms: number, recs: InferenceRecord[]) => {
      const macs = recs.reduce((s, r) => s + r.macs, 0) / recs.length;
      const macSaving = 1 - macs / staticMacs;
      const wallSaving = 1 - ms / base.ms;
      rows.push({ backend, batch, config, msPerImage: ms, imagesPerS: 1000 / ms, macs, macSaving, wallSaving, ratio: macSaving > 0.02 ? wallSaving / macSaving : null });
      console.log(`${backend} b${batch} ${config.padEnd(44)} ${ms.toFixed(3)} ms/img  MACs ${(macs / 1e6).toFixed(2)}M  saving wall ${(wallSaving * 100).toFixed(1)}% / MAC ${(macSaving * 100).toFixed(1)}%`);
    };
    add('static (all units, final classifier)', base.ms, base.recs);
    const allOn = patterns(cfg, n, 0, 1);
    const r0 = time(engine, imgs, n, batch, { mode: 'iadi', forced: allOn }, rounds);
    add('iadi, gates run, all forced on (overhead)', r0.ms, r0.recs);
    for (const k of [2, 4, 6]) {
      const r = time(engine, imgs, n, batch, { mode: 'iadi', forced: patterns(cfg, n, k, 1) }, rounds);
      add(`block skipping: ${k}/6 gated blocks skipped`, r.ms, r.recs);
    }
    for (const keep of [0.5, 0.25]) {
      const r = time(engine, imgs, n, batch, { mode: 'iadi', forced: patterns(cfg, n, 0, keep) }, rounds);
      add(`channel skipping: ${keep * 100}% of groups kept`, r.ms, r.recs);
    }
    const rb = time(engine, imgs, n, batch, { mode: 'iadi', forced: patterns(cfg, n, 4, 0.5) }, rounds);
    add('both: 4/6 blocks skipped + 50% channels', rb.ms, rb.recs);
    if (batch === 64) {
      const rs = time(engine, imgs, n, batch, { mode: 'iadi', forced: patterns(cfg, n, 6, 1, 0.3) }, rounds);
      add('30% of samples skip all 6 gated blocks', rs.ms, rs.recs);
      const rs2 = time(engine, imgs, n, batch, { mode: 'iadi', forced: patterns(cfg, n, 6, 1, 0.7) }, rounds);
      add('70% of samples skip all 6 gated blocks', rs2.ms, rs2.recs);
    }
    // Hard budgets with the (random-weight) learned gates: DDI mode as the app runs it.
    const min = engine.minimumBudget('macs', 'ddi');
    for (const f of [1, 1.5, 2.5]) {
      const budget = { kind: 'macs' as const, value: min * f };
      const r = time(engine, imgs, n, batch, { mode: 'ddi', budget }, rounds);
      const over = r.recs.filter((x) => (x.budgetSpent ?? 0) > budget.value).length;
      if (over > 0) throw new Error(`budget exceeded by ${over} samples`);
      add(`ddi, learned gates, budget ${(budget.value / 1e6).toFixed(1)} MMAC`, r.ms, r.recs);
    }
  }
  engine.dispose();
  return { rows, version: info.version };
}

function table(rows: Row[]): string {
  const out = ['| Backend | Batch | Configuration | ms / image | images/s | MACs / image | MAC saving | wall saving | wall ÷ MAC saving |', '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    out.push(
      `| ${r.backend} | ${r.batch} | ${r.config} | ${r.msPerImage.toFixed(3)} | ${r.imagesPerS.toFixed(0)} | ${(r.macs / 1e6).toFixed(2)} M | ${(r.macSaving * 100).toFixed(1)} % | ${(r.wallSaving * 100).toFixed(1)} % | ${r.ratio === null ? '—' : r.ratio.toFixed(2)} |`,
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
  const summary = (backend: string, prefix: string) => {
    const rs = all.filter((r) => r.backend === backend && r.batch === 1 && r.config.startsWith(prefix) && r.ratio !== null);
    return rs.length ? Math.min(...rs.map((r) => r.ratio!)).toFixed(2) : '—';
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
    'Timing: median over rounds of the mean per-image time of one engine call (batch 1: images one by one; batch 64: one call).',
    '',
    table(all),
    '',
    `Worst ratio (wall saving ÷ MAC saving) at batch 1 on wasm: block skipping ${summary('wasm', 'block')} (target ≥ 0.8), channel skipping ${summary('wasm', 'channel')} (target ≥ 0.6).`,
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
