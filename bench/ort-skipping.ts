// What DDI's skipping saves on the engine's ONNX Runtime executor at batch 1
// (`npm run bench:ort-skipping`), and where the time of a gated unit goes:
// 1. the fixed cost of one session run (a one-node graph) and, per ResNet-20 stage (16/32/64
//    channels), one block's graph at full width and keeping 50 % / 25 % of its channels, plus the
//    padding the executor no longer does (kept filters padded to 8), and a unit boundary;
// 1b. inside those block graphs, by ONNX Runtime's own profiler: the convolution kernels' time alone
//    at full width, 50 % and 25 % kept, i.e. what any executor built on these kernels could save
//    at best (no session run, reorder, add, pool or gate counted);
// 2. the engine on the channel-gated and the layer-gated ResNet-20 (bench:ddi's networks and
//    forced patterns): static, every gate on, and skipping, interleaved call by call, with the
//    ratio wall saving ÷ MAC saving against both baselines (see docs/benchmarks.md).
// Results go into docs/benchmarks.md between the bench:ort-skipping markers.
// Options: node scripts/run-ts.mjs bench/ort-skipping.ts [--quick] [--no-write]
import { cpus, loadavg, tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DdiEngine } from '../main/ddi/engine';
import { buildModel, type DdiModel, type GatePattern } from '../main/ddi/model';
import { resnetConfig, type ModelConfig } from '../main/ddi/config';
import { buildLayout } from '../main/ddi/layout';
import { exportOnnxPart, ONNX_IR_VERSION, ONNX_OPSET } from '../main/ddi/onnx/export';
import { ProtoWriter } from '../main/ddi/onnx/protobuf';
import { loadOrtBinding, type OrtBinding, type OrtSyncSession, type OrtTensorLike } from '../main/ddi/runtime/ort-binding';
import { ORT_PATTERN_PROMOTE_AFTER, type OrtRuntime } from '../main/ddi/runtime/ort';
import { images, median, pairedRatio } from './lib/stats';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const write = !args.includes('--no-write');
/** Engine part: rounds per repeat, and independent repeats (each reports its own ratios). */
const ROUNDS = quick ? 40 : 150;
const REPEATS = quick ? 1 : 3;

function sh(cmd: string, cmdArgs: string[]): string {
  try {
    return execFileSync(cmd, cmdArgs, { encoding: 'utf8' });
  } catch {
    return '';
  }
}

/** Process CPU µs per call of f, over `n` calls. */
function cpuPerCall(f: () => void, n: number): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

/** Interleaves the calls (ABCABC…) in rounds of `n` calls each; the median µs per call of each. */
function interleaved(fs: (() => void)[], rounds: number, n: number): number[] {
  for (const f of fs) for (let i = 0; i < 30; i++) f();
  const per: number[][] = fs.map(() => []);
  for (let r = 0; r < rounds; r++) fs.forEach((f, i) => per[i]!.push(cpuPerCall(f, n)));
  return per.map(median);
}

/** A one-node ONNX graph (Relu) on an [1, c, h, w] input: what a session run costs with (almost) nothing to compute. */
function oneNodeGraph(c: number, h: number, w: number): Uint8Array {
  const valueInfo = (v: ProtoWriter, name: string) => {
    v.string(1, name);
    v.message(2, (t) =>
      t.message(1, (tt) => {
        tt.int(1, 1);
        tt.message(2, (s) => {
          for (const d of [1, c, h, w]) s.message(1, (dim) => dim.int(1, d));
        });
      }),
    );
  };
  const m = new ProtoWriter();
  m.int(1, ONNX_IR_VERSION);
  m.message(7, (g) => {
    g.message(1, (n) => n.string(1, 'x').string(2, 'y').string(3, 'relu').string(4, 'Relu'));
    g.string(2, 'one-node');
    g.message(11, (v) => valueInfo(v, 'x'));
    g.message(12, (v) => valueInfo(v, 'y'));
  });
  m.message(8, (op) => op.int(2, ONNX_OPSET));
  return m.finish();
}

function patterns(cfg: ModelConfig, n: number, skipBlocks: number, keepFrac: number): GatePattern[] {
  const lay = buildLayout(cfg);
  const gated = lay.trunk.filter((u) => u.layerGated).map((u) => u.layer);
  // As bench/ddi.ts: evenly spread skipped blocks; the first groups of each channel gate kept.
  const skip = new Set<number>();
  for (let k = 0; k < skipBlocks; k++) skip.add(gated[Math.floor(((k + 0.5) * gated.length) / skipBlocks)]!);
  return Array.from({ length: n }, () => ({
    layer: lay.trunk.filter((u) => u.layer >= 0).map((u) => !skip.has(u.layer)),
    channel: lay.trunk.filter((u) => u.layer >= 0).map((u) => Array.from({ length: u.groups }, (_, g) => g < Math.max(1, Math.round(keepFrac * u.groups)))),
  }));
}

interface UnitRow {
  label: string;
  us: number;
}

/** Part 1: one session run per graph, warm, interleaved. */
function unitCosts(model: DdiModel, ort: OrtBinding): { fixed: UnitRow[]; blocks: UnitRow[][]; boundaries: UnitRow[] } {
  const sessions: OrtSyncSession[] = [];
  const call = (bytes: Uint8Array, dims: number[]) => {
    const s = ort.createSession(bytes, { intraOpThreads: 1 });
    sessions.push(s);
    const x: OrtTensorLike = new ort.Tensor(
      'float32',
      new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i)),
      dims,
    );
    const feeds = { [s.inputNames[0]!]: x };
    return () => void s.run(feeds);
  };
  const fixedLabels: string[] = [];
  const fixedFs: (() => void)[] = [];
  for (const [c, h] of [
    [16, 28],
    [64, 7],
  ] as const) {
    fixedLabels.push(`one-node graph (Relu), [1, ${c}, ${h}, ${h}] in and out`);
    fixedFs.push(call(oneNodeGraph(c, h, h), [1, c, h, h]));
  }
  const fixedUs = interleaved(fixedFs, quick ? 10 : 30, 200);
  const trunk = model.layout.trunk;
  const blocks: UnitRow[][] = [];
  for (const stage of [0, 1, 2]) {
    // A block without projection (the second of its stage): what a gated unit of that width costs.
    const ti = trunk.findIndex((u) => u.kind === 'block' && u.stage === stage && !u.projection);
    const u = trunk[ti]!;
    const dims = [1, u.inC, u.inH, u.inW];
    const keep = (k: number) => Array.from({ length: k }, (_, c) => c);
    const rows: [string, Parameters<typeof exportOnnxPart>[1]][] = [
      [`${u.mid} channels, full width`, { kind: 'unit', unit: ti, pooled: true }],
      [`${u.mid / 2} of ${u.mid} kept (50 %)`, { kind: 'unit', unit: ti, pooled: true, channels: keep(u.mid / 2) }],
      [`${u.mid / 4} of ${u.mid} kept (25 %)`, { kind: 'unit', unit: ti, pooled: true, channels: keep(u.mid / 4) }],
    ];
    if (stage === 0) {
      rows.push([`${u.mid / 4} of ${u.mid} kept, padded to 8 filters`, { kind: 'unit', unit: ti, pooled: true, channels: keep(u.mid / 4), align: 8 }]);
    }
    const us = interleaved(
      rows.map(([, part]) => call(exportOnnxPart(model, part).bytes, dims)),
      quick ? 10 : 30,
      100,
    );
    blocks.push(rows.map(([label], i) => ({ label: `${u.id} (stage ${stage + 1}, ${u.inH}×${u.inW}): ${label}`, us: us[i]! })));
    console.log(
      blocks
        .at(-1)!
        .map((r) => `${r.label}: ${r.us.toFixed(1)} µs`)
        .join('\n'),
    );
  }
  // A unit boundary: a stage's three blocks as three graphs (each with the pool the next gate reads)
  // against one graph holding all three, (three runs − one run) ÷ 2 boundaries.
  const boundaries: UnitRow[] = [];
  for (const stage of [0, 1, 2]) {
    const tis = trunk.flatMap((u, ti) => (u.kind === 'block' && u.stage === stage ? [ti] : []));
    const unitRuns = tis.map((ti) => {
      const u = trunk[ti]!;
      return call(exportOnnxPart(model, { kind: 'unit', unit: ti, pooled: true }).bytes, [1, u.inC, u.inH, u.inW]);
    });
    const first = trunk[tis[0]!]!;
    const range = call(exportOnnxPart(model, { kind: 'range', from: tis[0]!, to: tis.at(-1)!, pooled: true }).bytes, [1, first.inC, first.inH, first.inW]);
    const [apart, together] = interleaved(
      [
        () => {
          for (const f of unitRuns) f();
        },
        range,
      ],
      quick ? 10 : 30,
      100,
    );
    boundaries.push({ label: `stage ${stage + 1} (${first.outH}×${first.outW}, ${first.outC} channels)`, us: (apart! - together!) / (tis.length - 1) });
    console.log(
      `boundary, stage ${stage + 1}: ${boundaries.at(-1)!.us.toFixed(1)} µs (${apart!.toFixed(0)} µs as ${tis.length} graphs, ${together!.toFixed(0)} µs as one)`,
    );
  }
  for (const s of sessions) s.dispose();
  return { fixed: fixedLabels.map((label, i) => ({ label, us: fixedUs[i]! })), blocks, boundaries };
}

interface KernelRow {
  stage: number;
  label: string;
  kept: number;
  /** Mean µs per run inside the graph: the Conv kernels, and every other node (reorders, add, ReLU, pool). */
  convUs: number;
  otherUs: number;
}

/**
 * Part 1b: kernel times inside one block graph per stage at full width, 50 % and 25 % kept, from
 * ONNX Runtime's profiler (each node's `kernel_time` event). The nine graphs run interleaved, one
 * call each in turn, so a burst of other work on the machine hits them alike; per node, the mean of
 * the middle 80 % of its runs after the first fifth (warm-up).
 */
function kernelTimes(model: DdiModel, ort: OrtBinding): KernelRow[] {
  const runs = quick ? 500 : 2000;
  const dir = mkdtempSync(join(tmpdir(), 'ort-kernels-'));
  try {
    const trunk = model.layout.trunk;
    const graphs: { row: Omit<KernelRow, 'convUs' | 'otherUs'>; s: OrtSyncSession; feeds: Record<string, OrtTensorLike> }[] = [];
    for (const stage of [0, 1, 2]) {
      const ti = trunk.findIndex((u) => u.kind === 'block' && u.stage === stage && !u.projection);
      const u = trunk[ti]!;
      const x: OrtTensorLike = new ort.Tensor(
        'float32',
        new Float32Array(u.inC * u.inH * u.inW).map((_, i) => Math.sin(i)),
        [1, u.inC, u.inH, u.inW],
      );
      for (const kept of [1, 0.5, 0.25]) {
        const k = Math.round(kept * u.mid);
        const part = { kind: 'unit' as const, unit: ti, pooled: true, ...(kept < 1 ? { channels: Array.from({ length: k }, (_, c) => c) } : {}) };
        const s = ort.createSession(exportOnnxPart(model, part).bytes, { intraOpThreads: 1, profilePrefix: join(dir, `s${stage}-${k}`) });
        graphs.push({ row: { stage, label: `${u.id} (stage ${stage + 1}, ${u.inH}×${u.inW})`, kept }, s, feeds: { [s.inputNames[0]!]: x } });
      }
    }
    for (let i = 0; i < runs; i++) for (const g of graphs) g.s.run(g.feeds);
    return graphs.map(({ row, s }) => {
      const events = JSON.parse(readFileSync(s.endProfiling(), 'utf8')) as { cat?: string; name: string; dur: number; args?: { op_name?: string } }[];
      s.dispose();
      const perNode = new Map<string, { op: string; durs: number[] }>();
      for (const e of events) {
        if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
        const n = perNode.get(e.name) ?? { op: e.args?.op_name ?? '?', durs: [] };
        n.durs.push(e.dur);
        perNode.set(e.name, n);
      }
      let convUs = 0;
      let otherUs = 0;
      for (const { op, durs } of perNode.values()) {
        const sorted = durs.slice(Math.floor(durs.length / 5)).sort((a, b) => a - b);
        const mid = sorted.slice(Math.floor(sorted.length / 10), Math.ceil((sorted.length * 9) / 10));
        const mean = mid.reduce((a, b) => a + b, 0) / mid.length;
        if (op === 'Conv') convUs += mean;
        else otherUs += mean;
      }
      console.log(`kernels ${row.label} ${Math.round(row.kept * 100)} %: conv ${convUs.toFixed(1)} µs, other nodes ${otherUs.toFixed(1)} µs`);
      return { ...row, convUs, otherUs };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Conv-kernel saving ÷ MAC saving at `kept`, over the given rows (each stage's block counted once: ResNet-20's blocks hold equal MACs). */
function convRatio(rows: KernelRow[], kept: number): number {
  const full = rows.filter((r) => r.kept === 1).reduce((a, r) => a + r.convUs, 0);
  const part = rows.filter((r) => r.kept === kept).reduce((a, r) => a + r.convUs, 0);
  return (1 - part / full) / (1 - kept);
}

interface EngineRow {
  net: string;
  config: string;
  wallUs: number;
  cpuUs: number;
  runs: number;
  macs: number;
  /** Per repeat: wall saving ÷ MAC saving against all gates on, and against static (null for the baselines). */
  vsOn: number[];
  vsStatic: number[];
  cpuVsOn: number[];
}

/** Part 2: the engine, interleaved call by call; `REPEATS` independent repeats of `ROUNDS` rounds. */
async function engineRatios(): Promise<EngineRow[]> {
  const out: EngineRow[] = [];
  const nets: [string, ModelConfig, [string, number, number][]][] = [
    [
      'channel-gated',
      resnetConfig({ depth: 20, gates: { layer: false } }),
      [
        ['channel skipping, 50 % of groups kept', 0, 0.5],
        ['channel skipping, 25 % of groups kept', 0, 0.25],
      ],
    ],
    ['layer-gated', resnetConfig({ depth: 20, gates: { channel: false } }), [['block skipping, 2 of 8 gated blocks skipped', 2, 1]]],
  ];
  const n = 4;
  const imgs = images(n, 28 * 28);
  for (const [net, cfg, configs] of nets) {
    const engine = await DdiEngine.create({ backend: 'ort', strict: true, ort: { threads: 1 } });
    engine.useModel(buildModel(cfg, 1));
    const runtime = (engine as unknown as { loaded: { runtime: OrtRuntime } }).loaded.runtime;
    const all: [string, Parameters<DdiEngine['infer']>[2]][] = [
      ['static', { mode: 'static' }],
      ['every gate on (nothing skipped)', { mode: 'iadi', forced: patterns(cfg, n, 0, 1) }],
      ...configs.map(([label, skip, keep]): [string, Parameters<DdiEngine['infer']>[2]] => [label, { mode: 'iadi', forced: patterns(cfg, n, skip, keep) }]),
    ];
    const rows: EngineRow[] = all.map(([config, o]) => {
      // Warm-up: a kept pattern runs on its unit's generic graph until seen ORT_PATTERN_PROMOTE_AFTER
      // times, then gets its own graph; every timed call runs the promoted graphs.
      for (let i = 0; i <= Math.ceil(ORT_PATTERN_PROMOTE_AFTER / n); i++) engine.infer(imgs, n, { ...o, batchSize: 1 });
      const r0 = runtime.stats.runs;
      const g0 = runtime.stats.generic;
      const recs = engine.infer(imgs, n, { ...o, batchSize: 1 });
      if (runtime.stats.generic !== g0) throw new Error(`${config}: a kept pattern still ran on a generic graph after the warm-up`);
      const runs = (runtime.stats.runs - r0) / n;
      return { net, config, wallUs: 0, cpuUs: 0, runs, macs: recs.reduce((s, r) => s + r.macs, 0) / n, vsOn: [], vsStatic: [], cpuVsOn: [] };
    });
    const wallAll: number[][] = all.map(() => []);
    const cpuAll: number[][] = all.map(() => []);
    for (let rep = 0; rep < REPEATS; rep++) {
      const wall: number[][] = all.map(() => []);
      const cpu: number[][] = all.map(() => []);
      for (let r = 0; r < ROUNDS; r++) {
        all.forEach(([, o], i) => {
          const c0 = process.cpuUsage();
          const t0 = process.hrtime.bigint();
          engine.infer(imgs, n, { ...o, batchSize: 1 });
          wall[i]!.push(Number(process.hrtime.bigint() - t0) / 1e3 / n);
          const c = process.cpuUsage(c0);
          cpu[i]!.push((c.user + c.system) / n);
        });
      }
      rows.forEach((row, i) => {
        wallAll[i]!.push(...wall[i]!);
        cpuAll[i]!.push(...cpu[i]!);
        if (i < 2) return;
        // Savings from per-round paired ratios (the calls of one round run a few ms apart).
        const macOn = 1 - row.macs / rows[1]!.macs;
        const macStatic = 1 - row.macs / rows[0]!.macs;
        row.vsOn.push((1 - pairedRatio(wall[i]!, wall[1]!)) / macOn);
        row.cpuVsOn.push((1 - pairedRatio(cpu[i]!, cpu[1]!)) / macOn);
        row.vsStatic.push((1 - pairedRatio(wall[i]!, wall[0]!)) / macStatic);
      });
      console.log(`${net} repeat ${rep + 1}: ${rows.map((r) => `${r.config} ${r.vsOn.at(-1)?.toFixed(2) ?? ''}`).join('; ')}`);
    }
    rows.forEach((row, i) => {
      row.wallUs = median(wallAll[i]!);
      row.cpuUs = median(cpuAll[i]!);
    });
    out.push(...rows);
    engine.dispose();
  }
  return out;
}

async function main(): Promise<void> {
  const load = loadOrtBinding();
  if (!load.ok) {
    console.log(`bench:ort-skipping: onnxruntime-node is not available (${load.reason}); install it with ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install.`);
    process.exitCode = 1;
    return;
  }
  const load0 = loadavg();
  const probe = await DdiEngine.create({ backend: 'ort', strict: true }); // initialises tfjs, which holds the weights
  const model = buildModel(resnetConfig({ depth: 20, gates: { layer: false } }), 1);
  const units = unitCosts(model, load.binding);
  const kernels = kernelTimes(model, load.binding);
  model.dispose();
  probe.dispose();
  const rows = await engineRatios();
  const load1 = loadavg();

  const fmtLoad = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' / ');
  const cpu =
    sh('lscpu', [])
      .match(/^Model name:\s*(.+)$/m)?.[1]
      ?.trim() ??
    cpus()[0]?.model ??
    'unknown CPU';
  const r2 = (xs: number[]) => (xs.length ? xs.map((x) => x.toFixed(2)).join(' / ') : '—');
  const stageRatios = units.blocks.map((b) => {
    const [full, half, quarter] = b;
    const s = (r: UnitRow, kept: number) => ((1 - r.us / full!.us) / (1 - kept)).toFixed(2);
    return `${b[0]!.label.split(':')[0]}: 50 % ${s(half!, 0.5)}, 25 % ${s(quarter!, 0.25)}`;
  });
  const on = rows.find((r) => r.net === 'channel-gated' && r.config.startsWith('every gate on'))!;
  const half = rows.find((r) => r.net === 'channel-gated' && r.config.includes('50 %'))!;
  const gatedShare = (1 - half.macs / on.macs) / 0.5;
  const section = [
    '<!-- bench:ort-skipping start -->',
    "## DDI's skipping on the ONNX Runtime executor, batch 1 (`npm run bench:ort-skipping`)",
    '',
    `Measured ${sh('date', ['-u']).trim() || new Date().toUTCString()} on ${cpu} (${cpus().length} cores), Node ${process.version}, onnxruntime-node ${load.binding.version}, one intra-op thread.`,
    `Load average (1 / 5 / 15 min) at the start ${fmtLoad(load0)}, at the end ${fmtLoad(load1)} on ${cpus().length} cores${Math.max(load0[0]!, load1[0]!) > cpus().length ? ' (other processes shared the machine: absolute times are inflated; the paired ratios less so)' : ''}.`,
    '',
    '**Session runs** (ResNet-20 of bench:ddi with channel gates only, seed-1 random weights; process CPU µs per run, warm, the graphs of a table',
    "interleaved call by call, median of rounds). A block graph holds the block and its input's pool for the next gate, as the executor runs it.",
    '',
    '| Graph | CPU µs per run |',
    '|---|---|',
    ...units.fixed.map((r) => `| ${r.label} | ${r.us.toFixed(1)} |`),
    ...units.blocks.flat().map((r) => `| ${r.label} | ${r.us.toFixed(1)} |`),
    '',
    `Unit-level saving ÷ MAC saving of one block graph: ${stageRatios.join('; ')}.`,
    `Cost of one unit boundary (a stage's three blocks run as three graphs, each with its pool, against one graph; difference ÷ 2): ${units.boundaries
      .map((b) => `${b.label} ${b.us.toFixed(1)} µs`)
      .join(', ')} of CPU per boundary.`,
    '',
    "**Kernel time inside the block graphs** (ONNX Runtime's own profiler: each node's kernel time in µs per run, the nine graphs interleaved call by call,",
    `${quick ? 500 : 2000} runs each; per node the mean of the middle 80 % of the runs after the first fifth; the profiler's own cost is outside these times). A kept-channel graph gains a reorder, as ONNX Runtime runs a convolution`,
    'with fewer input channels than its NCHWc block (16 with AVX-512, 8 with AVX2) on the NCHW input.',
    '',
    '| Block | Kept | Conv kernels µs | Other nodes µs |',
    '|---|---|---|---|',
    ...kernels.map((r) => `| ${r.label} | ${Math.round(r.kept * 100)} % | ${r.convUs.toFixed(1)} | ${r.otherUs.toFixed(1)} |`),
    '',
    `The convolution kernels alone, one block per stage (equal MACs): saving ÷ MAC saving ${[0.5, 0.25].map((k) => `${Math.round(k * 100)} % kept ${convRatio(kernels, k).toFixed(2)}`).join(', ')};`,
    `per stage ${[0, 1, 2]
      .map(
        (st) =>
          `${st + 1}: ${[0.5, 0.25]
            .map((k) =>
              convRatio(
                kernels.filter((r) => r.stage === st),
                k,
              ).toFixed(2),
            )
            .join(' / ')}`,
      )
      .join(', ')}.`,
    'Every other cost of a gated network (the nodes around the convolutions, session runs, gates) does not shrink with the kept channels, so on these',
    `kernels no executor's ratio can exceed this one divided by the gated convolutions' share of the network's MACs (${gatedShare.toFixed(3)} here: the engine's`,
    `MAC saving at 50 % kept ÷ 0.5) — at most ${[0.5, 0.25].map((k) => (convRatio(kernels, k) / gatedShare).toFixed(2)).join(' and ')}, against the target of 0.7.`,
    '',
    `**The engine** (\`infer\`, batch 1, calls of ${4} images, gate decisions forced as in bench:ddi, gates still run; ${REPEATS} repeat${REPEATS > 1 ? 's' : ''} of ${ROUNDS} interleaved rounds).`,
    'Ratio = wall saving ÷ MAC saving, the saving being 1 − the median over rounds of the paired time ratio; one value per repeat.',
    '',
    '| Network | Configuration | session runs / image | wall µs / image | CPU µs / image | MACs / image | ratio vs every gate on (wall) | (CPU) | ratio vs static (wall) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.net} | ${r.config} | ${r.runs} | ${r.wallUs.toFixed(0)} | ${r.cpuUs.toFixed(0)} | ${(r.macs / 1e6).toFixed(2)} M | ${r2(r.vsOn)} | ${r2(r.cpuVsOn)} | ${r2(r.vsStatic)} |`,
    ),
    '<!-- bench:ort-skipping end -->',
  ].join('\n');
  console.log(`\n${section}`);
  if (!write) return;
  const path = 'docs/benchmarks.md';
  let doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const re = /<!-- bench:ort-skipping start -->[\s\S]*?<!-- bench:ort-skipping end -->/;
  if (re.test(doc)) doc = doc.replace(re, section);
  else if (doc.includes('<!-- bench:onnx end -->')) doc = doc.replace('<!-- bench:onnx end -->', `<!-- bench:onnx end -->\n\n${section}`);
  else doc = `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, doc);
  console.log(`\nwritten to ${path}`);
}

void main();
