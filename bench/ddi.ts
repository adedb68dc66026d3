// DDI engine benchmark (`npm run bench:ddi`): per available backend, images/s at batch 1 and 64
// for static vs DDI, and the ratio (wall-clock saving) / (MAC saving) for block skipping and
// channel skipping with forced gate patterns (gates still run and are charged). Results go into
// docs/benchmarks.md between the bench:ddi markers, with machine and date.
// Options: node scripts/run-ts.mjs bench/ddi.ts [--backends ort,wasm,cpu] [--quick] [--no-write]
// With --backends, the rows of backends not measured in this run stay in the table (marked with the
// date of the run that measured them), so a slow backend need not be re-run to add another.
import { cpus, loadavg, totalmem } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DdiEngine } from '../main/ddi/engine';
import { buildModel, type GatePattern } from '../main/ddi/model';
import { resnetConfig, type ModelConfig } from '../main/ddi/config';
import { buildLayout } from '../main/ddi/layout';
import type { BackendName } from '../main/ddi/backend';
import type { InferenceRecord } from '../main/ddi/types';
import { images, pairedRatio, q25 } from './lib/stats';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const write = !args.includes('--no-write');
const backendsArg = args[args.indexOf('--backends') + 1];
const BACKENDS: BackendName[] = args.includes('--backends') && backendsArg ? (backendsArg.split(',') as BackendName[]) : ['ort', 'tensorflow', 'wasm', 'cpu'];

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
  gatedRatio: number | null;
}

interface Timing {
  /** Wall-clock ms per image. */
  ms: number;
  /** Process CPU ms per image (user + system): on a shared machine the wall clock includes waiting. */
  cpuMs: number;
  recs: InferenceRecord[];
}

/** One engine call over the images; wall and CPU ms per image. */
function once(engine: DdiEngine, imgs: Float32Array, n: number, batch: number, opts: Parameters<DdiEngine['infer']>[2]) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const recs = engine.infer(imgs, n, { ...opts, batchSize: batch });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6 / n;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e3 / n, recs };
}

function time(engine: DdiEngine, imgs: Float32Array, n: number, batch: number, opts: Parameters<DdiEngine['infer']>[2], rounds: number): Timing {
  once(engine, imgs, n, batch, opts); // warm-up (fills the gathered-kernel cache)
  const w: number[] = [];
  const c: number[] = [];
  let recs: InferenceRecord[] = [];
  for (let r = 0; r < rounds; r++) {
    const o = once(engine, imgs, n, batch, opts);
    w.push(o.wall);
    c.push(o.cpu);
    recs = o.recs;
  }
  return { ms: q25(w), cpuMs: q25(c), recs };
}

/**
 * The configuration, the static network and the gated network with all gates on, measured
 * interleaved call by call (ABCABC…); each gets the lower quartile of its calls. The machine is
 * shared, so interleaving spreads load bursts evenly over the three.
 */
function paired(
  engine: DdiEngine,
  imgs: Float32Array,
  n: number,
  batch: number,
  opts: Parameters<DdiEngine['infer']>[2],
  rounds: number,
  gatedBase: Parameters<DdiEngine['infer']>[2],
) {
  const all = [{ mode: 'static' as const }, gatedBase, opts];
  once(engine, imgs, n, batch, opts); // warm-up of the new configuration (static and gated are warm)
  const w: number[][] = [[], [], []];
  const c: number[][] = [[], [], []];
  const recs: InferenceRecord[][] = [[], [], []];
  for (let r = 0; r < rounds; r++) {
    all.forEach((o, i) => {
      const x = once(engine, imgs, n, batch, o);
      w[i]!.push(x.wall);
      c[i]!.push(x.cpu);
      recs[i] = x.recs;
    });
  }
  const t = (i: number): Timing => ({ ms: q25(w[i]!), cpuMs: q25(c[i]!), recs: recs[i]! });
  // Savings from the per-round paired ratios (see pairedRatio), not from the separate quartiles.
  const rel = { wall: pairedRatio(w[2]!, w[0]!), cpu: pairedRatio(c[2]!, c[0]!), wallVsGated: pairedRatio(w[2]!, w[1]!) };
  return { s: t(0), g: t(1), t: t(2), rel };
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

/** Measures one network (engine model replaced) at the given batch sizes; rows are appended. */
function benchNetwork(
  engine: DdiEngine,
  backend: BackendName,
  cfg: ModelConfig,
  label: string,
  batches: number[],
  which: 'all' | 'block' | 'channel',
  rows: Row[],
): void {
  engine.useModel(buildModel(cfg, 1));
  const per = 28 * 28;
  const slow = backend === 'cpu';
  for (const batch of batches) {
    const n = batch === 1 ? (slow ? 2 : 4) : 64;
    const rounds = batch === 1 ? (slow ? 5 : quick ? 40 : 120) : slow ? 1 : quick ? 6 : 12;
    const imgs = images(n, per);
    const base = time(engine, imgs, n, batch, { mode: 'static' }, rounds);
    const staticMacs = base.recs[0]!.macs;
    const add = (config: string, t: Timing, st: Timing, gt: Timing | null, rel?: { wall: number; cpu: number; wallVsGated: number }) => {
      const macs = t.recs.reduce((sum, r) => sum + r.macs, 0) / t.recs.length;
      const macSaving = 1 - macs / staticMacs;
      const wallSaving = 1 - (rel ? rel.wall : t.ms / st.ms);
      const cpuSaving = 1 - (rel ? rel.cpu : t.cpuMs / st.cpuMs);
      const useful = macSaving > 0.02;
      // Against the gated network with every gate forced on: same gate overhead, isolates what
      // skipping itself saves.
      const gMacs = gt ? gt.recs.reduce((sum, r) => sum + r.macs, 0) / gt.recs.length : 0;
      const gRatio = gt && useful ? (1 - (rel ? rel.wallVsGated : t.ms / gt.ms)) / (1 - macs / gMacs) : null;
      rows.push({
        backend,
        batch,
        config: label + config,
        msPerImage: t.ms,
        cpuMsPerImage: t.cpuMs,
        imagesPerS: 1000 / t.ms,
        macs,
        macSaving,
        wallSaving,
        ratio: useful ? wallSaving / macSaving : null,
        cpuRatio: useful ? cpuSaving / macSaving : null,
        gatedRatio: gRatio,
      });
      console.log(
        `${backend} b${batch} ${(label + config).padEnd(44)} ${t.ms.toFixed(3)} ms/img (static ${st.ms.toFixed(3)}${gt ? `, gated ${gt.ms.toFixed(3)}` : ''}) cpu ${t.cpuMs.toFixed(3)} (static ${st.cpuMs.toFixed(3)})  MACs ${(macs / 1e6).toFixed(2)}M  saving wall ${(wallSaving * 100).toFixed(1)}% cpu ${(cpuSaving * 100).toFixed(1)}% / MAC ${(macSaving * 100).toFixed(1)}%${gRatio === null ? '' : ` vs-gated ratio ${gRatio.toFixed(2)}`}`,
      );
    };
    const gatedBase = { mode: 'iadi' as const, forced: patterns(cfg, n, 0, 1) };
    // The pure-JS cpu backend needs ~9 s per batch of 64: only a few batch-64 rows there.
    const G = buildLayout(cfg).trunk.filter((u) => u.layerGated).length;
    const keepSlow = [`block skipping: ${G}/${G}`, '30% of samples'];
    const run = (config: string, opts: Parameters<DdiEngine['infer']>[2], vsGated = true) => {
      if (slow && batch > 1 && !keepSlow.some((k) => config.startsWith(k))) return { ms: NaN, cpuMs: NaN, recs: [] as InferenceRecord[] };
      const r = paired(engine, imgs, n, batch, opts, rounds, gatedBase);
      add(config, r.t, r.s, vsGated ? r.g : null, r.rel);
      return r.t;
    };
    add('static (all units, final classifier)', base, base, null);
    run('iadi, gates run, all forced on (overhead)', gatedBase, false);
    if (which === 'block' || which === 'all')
      for (const k of [2, 4, 6, G]) run(`block skipping: ${k}/${G} gated blocks skipped`, { mode: 'iadi', forced: patterns(cfg, n, k, 1) });
    if (which === 'channel' || which === 'all')
      for (const keep of [0.5, 0.25]) run(`channel skipping: ${keep * 100}% of groups kept`, { mode: 'iadi', forced: patterns(cfg, n, 0, keep) });
    if (which !== 'all') continue;
    run(`both: 4/${G} blocks skipped + 50% channels`, { mode: 'iadi', forced: patterns(cfg, n, 4, 0.5) });
    if (batch === 64) {
      run(`30% of samples skip all ${G} gated blocks`, { mode: 'iadi', forced: patterns(cfg, n, G, 1, 0.3) });
      run(`70% of samples skip all ${G} gated blocks`, { mode: 'iadi', forced: patterns(cfg, n, G, 1, 0.7) });
    }
    // Hard budgets with the (random-weight) learned gates: DDI mode as the app runs it.
    const min = engine.minimumBudget('macs', 'ddi');
    for (const f of [1, 1.5, 2.5]) {
      const budget = { kind: 'macs' as const, value: min * f };
      const r = run(`ddi, learned gates, budget ${(budget.value / 1e6).toFixed(1)} MMAC`, { mode: 'ddi', budget }, false);
      if (r.recs.length === 0) continue;
      const over = r.recs.filter((x) => (x.budgetSpent ?? 0) > budget.value).length;
      if (over > 0) throw new Error(`budget exceeded by ${over} samples`);
    }
  }
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
  const rows: Row[] = [];
  // The MGL2S network (layer + channel gates) for every row; then each mechanism alone on the
  // network that has only its gates (what a SkipNet-style or channel-gated model pays), batch 1.
  benchNetwork(engine, backend, resnetConfig({ depth: 20 }), '', [1, 64], 'all', rows);
  if (backend !== 'cpu') {
    benchNetwork(engine, backend, resnetConfig({ depth: 20, gates: { channel: false } }), 'layer-gated net: ', [1], 'block', rows);
    benchNetwork(engine, backend, resnetConfig({ depth: 20, gates: { layer: false } }), 'channel-gated net: ', [1], 'channel', rows);
  }
  engine.dispose();
  return { rows, version: info.version };
}

function table(rows: Row[]): string {
  const out = [
    '| Backend | Batch | Configuration | wall ms / image | images/s | CPU ms / image | MACs / image | MAC saving | wall saving | wall ÷ MAC saving | CPU ÷ MAC saving | wall ÷ MAC saving vs gated all-on |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.backend} | ${r.batch} | ${r.config} | ${r.msPerImage.toFixed(3)} | ${r.imagesPerS.toFixed(0)} | ${r.cpuMsPerImage.toFixed(3)} | ${(r.macs / 1e6).toFixed(2)} M | ${(r.macSaving * 100).toFixed(1)} % | ${(r.wallSaving * 100).toFixed(1)} % | ${r.ratio === null ? '—' : r.ratio.toFixed(2)} | ${r.cpuRatio === null ? '—' : r.cpuRatio.toFixed(2)} | ${r.gatedRatio === null ? '—' : r.gatedRatio.toFixed(2)} |`,
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
  const summary = (backend: string, prefix: string, key: 'ratio' | 'cpuRatio' | 'gatedRatio' = 'ratio') => {
    const rs = all.filter((r) => r.backend === backend && r.batch === 1 && r.config.startsWith(prefix) && r[key] !== null);
    return rs.length ? Math.min(...rs.map((r) => r[key]!)).toFixed(2) : '—';
  };
  const path = 'docs/benchmarks.md';
  const doc0 = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const old = doc0.match(/<!-- bench:ddi start -->[\s\S]*?<!-- bench:ddi end -->/)?.[0] ?? '';
  const measured = new Set(all.map((r) => r.backend));
  // Rows kept by an earlier partial run keep the date and versions of the run that measured them.
  const carried = old.match(/^Rows of (.+) \((.*)\) are from the run of (.+) UTC, kept as they were\.$/m);
  const oldDate = carried?.[3] ?? old.match(/^Measured (\d{4}-\d\d-\d\d \d\d:\d\d) UTC/m)?.[1] ?? 'an earlier run';
  const kept = old.split('\n').filter((l) => /^\| [a-z]+ \| \d+ \|/.test(l) && !measured.has(l.split('|')[1]!.trim()));
  const keptBackends = [...new Set(kept.map((l) => l.split('|')[1]!.trim()))];
  const keptVersions = (carried?.[2] ?? old.match(/; backends (.+)\.$/m)?.[1])?.split(', ').filter((v) => keptBackends.includes(v.split(' ')[0]!)) ?? [];
  const ortSummary = all.some((r) => r.backend === 'ort')
    ? [
        `On ort at batch 1, the same ratios: layer-gated net block skipping ${summary('ort', 'layer-gated net: block')}, channel-gated net channel skipping ${summary('ort', 'channel-gated net: channel')} (targets ≥ 0.8 and ≥ 0.7);`,
        `against the gated network with all gates on (skipping alone): block ${summary('ort', 'layer-gated net: block', 'gatedRatio')}, channel ${summary('ort', 'channel-gated net: channel', 'gatedRatio')}; by process CPU time vs static: block ${summary('ort', 'layer-gated net: block', 'cpuRatio')}, channel ${summary('ort', 'channel-gated net: channel', 'cpuRatio')}.`,
        "ort is the engine's ONNX Runtime executor (one intra-op thread): its static rows run the whole network as one session run, while every gated unit is its own",
        'session run (the host reads the pooled input before it), so the ort ratios against static include the cost of those unit boundaries (bench:onnx section).',
      ]
    : [];
  const section = [
    '<!-- bench:ddi start -->',
    '## DDI engine: real skipping (`npm run bench:ddi`)',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}; backends ${versions.join(', ')}.`,
    ...(kept.length ? [`Rows of ${keptBackends.join(', ')} (${keptVersions.join(', ')}) are from the run of ${oldDate} UTC, kept as they were.`] : []),
    'Model: ResNet-20 for 28×28×1 (16/32/64, 31.0 M backbone MACs), layer + channel gates (group 4; every block but the first is',
    'layer-gated, a skipped downsampling block still runs its projection), exits after blocks 1, 4, 6; rows prefixed "layer-gated net"',
    '/ "channel-gated net" use the same ResNet-20 with only layer gates (SkipNet-style) / only channel gates, at batch 1;',
    'random weights (wall-clock does not depend on the values). Gate decisions are **forced** to the listed patterns but the gates',
    'still run and are charged; "ddi" rows use the random learned gates with hard MAC budgets (no sample exceeded its budget).',
    'Savings are relative to the static row of the same backend and batch; MACs include gates and exit heads (FLOPs = 2 × MACs).',
    'Timing: each configuration is interleaved call by call with the static network and the gated network with all gates on (the machine',
    "is shared); the time columns are each one's lower quartile of its calls (batch 1: calls of 4 images run one by one; batch 64: calls",
    'of 64), and the savings are 1 − the median over rounds of (configuration time ÷ static time of the same round), so slow stretches',
    'of the shared machine cancel instead of landing on one side (until 2026-11-26 the savings compared the two quartiles, which',
    'swung the 2-of-8 block-skipping ratio between 0.6 and 1.0 from run to run).',
    '',
    [table(all), ...kept].join('\n'),
    '',
    ...(measured.has('wasm')
      ? [
          `Worst ratio (wall saving ÷ MAC saving) at batch 1 on wasm, each mechanism on the network with only its gates: block skipping ${summary('wasm', 'layer-gated net: block')} (target ≥ 0.8), channel skipping ${summary('wasm', 'channel-gated net: channel')} (target ≥ 0.6);`,
          `by process CPU time: block ${summary('wasm', 'layer-gated net: block', 'cpuRatio')}, channel ${summary('wasm', 'channel-gated net: channel', 'cpuRatio')}.`,
          `On the MGL2S network, which also pays for the other mechanism's gates: block skipping ${summary('wasm', 'block')}, channel skipping ${summary('wasm', 'channel')}; against that network with all gates on (skipping alone): block ${summary('wasm', 'block', 'gatedRatio')}, channel ${summary('wasm', 'channel', 'gatedRatio')}.`,
        ]
      : // The wasm rows were kept from the earlier run: so is what they say.
        old.split('\n').filter((l) => /^(Worst ratio .* on wasm|by process CPU time: block|On the MGL2S network)/.test(l))),
    ...ortSummary,
    `Load average at the end of the run: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' / ')} on ${cpus().length} cores.${process.env.BENCH_NOTE ? ` ${process.env.BENCH_NOTE}` : ''}`,
    'ONNX Runtime comparison: the bench:onnx section (`npm run bench:onnx`).',
    '<!-- bench:ddi end -->',
  ].join('\n');
  console.log(`\n${section}`);
  if (!write) return;
  let doc = doc0;
  const re = /<!-- bench:ddi start -->[\s\S]*?<!-- bench:ddi end -->/;
  doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, doc);
  console.log(`\nwritten to ${path}`);
}

void main();
