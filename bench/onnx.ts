// ONNX Runtime comparison (`npm run bench:onnx`): the static ResNet-20 of bench/ddi.ts (same
// config, same seed-1 weights) exported with exportOnnx and run in onnxruntime-node with 1 and 2
// intra-op threads, against the engine's static mode on tfjs wasm and on the engine's own ONNX
// Runtime executor (fused, and with every unit its own session), at batch 1 and 64. Results go
// into docs/benchmarks.md between the bench:onnx markers, with machine, date and load average.
// Options: node scripts/run-ts.mjs bench/onnx.ts [--quick] [--no-write]
import { cpus, loadavg } from 'node:os';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DdiEngine } from '../main/ddi/engine';
import { buildModel } from '../main/ddi/model';
import { resnetConfig } from '../main/ddi/config';
import { exportOnnx, loadOnnxRuntime, nhwcToNchw, runFloat, ONNX_OPSET, type OrtModule, type OrtSession } from '../main/ddi/onnx';
import { images, median, pairedRatio, q25 } from './lib/stats';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const write = !args.includes('--no-write');
const THREADS = [1, 2];

function sh(cmd: string, cmdArgs: string[]): string {
  try {
    return execFileSync(cmd, cmdArgs, { encoding: 'utf8' });
  } catch {
    return '';
  }
}

function machine(): string {
  const lscpu = sh('lscpu', []);
  const field = (k: string) => lscpu.match(new RegExp(`^${k.replace(/[()]/g, '\\$&')}:\\s*(.+)$`, 'm'))?.[1]?.trim();
  const flags = field('Flags') ?? '';
  const isa = ['avx2', 'avx512f', 'fma'].filter((f) => flags.split(/\s+/).includes(f)).join(', ');
  const mem = sh('free', ['-g']).match(/^Mem:\s+(\d+)\s+\d+\s+\d+\s+\d+\s+\d+\s+(\d+)/m);
  const nproc = sh('nproc', []).trim() || String(cpus().length);
  return [
    `${field('Model name') ?? cpus()[0]?.model ?? 'unknown CPU'} (${field('Hypervisor vendor') ? `${field('Hypervisor vendor')} guest, ` : ''}${isa || 'no AVX2'})`,
    `nproc ${nproc}, ${field('Thread(s) per core') ?? '?'} thread(s) per core, L2 ${field('L2 cache') ?? '?'}, L3 ${field('L3 cache') ?? '?'}`,
    mem ? `${mem[1]} GiB RAM (${mem[2]} GiB available, free -g)` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

interface Runner {
  label: string;
  /** Runs `n` images (NHWC, raw pixels) in calls of `batch`. */
  run(imgs: Float32Array, n: number, batch: number): Promise<void>;
}

interface Result {
  label: string;
  batch: number;
  ms: number;
  cpuMs: number;
}

async function main(): Promise<void> {
  const load = loadOnnxRuntime();
  if (!load.ok) {
    console.log(`bench:onnx: ${load.reason}; install it with ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install.`);
    process.exitCode = 1;
    return;
  }
  const ort: OrtModule = load.ort;
  const engine = await DdiEngine.create({ backend: 'wasm', strict: true });
  const wasmVersion = engine.backendInfo().version;
  const cfg = resnetConfig({ depth: 20 }); // bench/ddi.ts's model: 28×28×1, gates and exits (ignored by static mode and by the export)
  engine.useModel(buildModel(cfg, 1));
  // The engine on its ONNX Runtime executor: as it runs (consecutive ungated units fused into one
  // graph: the static network is one session run) and with every unit its own session run.
  const ortEngine = await DdiEngine.create({ backend: 'ort', strict: true, ort: { threads: 1 } });
  ortEngine.useModel(buildModel(cfg, 1));
  const ortUnfused = await DdiEngine.create({ backend: 'ort', strict: true, ort: { threads: 1, fuse: false } });
  ortUnfused.useModel(buildModel(cfg, 1));
  const units = cfg.kind === 'resnet' ? ortEngine.model.layout.trunk.length : 0;
  const { height: H, width: W, channels: C } = cfg.input;
  const per = H * W * C;
  const exported = exportOnnx(engine.model);
  const sessions = new Map<number, OrtSession>();
  for (const t of THREADS) {
    sessions.set(
      t,
      await ort.InferenceSession.create(exported.bytes, {
        intraOpNumThreads: t,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      }),
    );
  }

  // The two runtimes must compute the same network before their speed means anything.
  const check = images(8, per);
  const ref = engine.infer(check, 8, { mode: 'static', batchSize: 8 }).flatMap((r) => r.logits);
  const got = await runFloat(ort, sessions.get(1)!, nhwcToNchw(check, 8, H, W, C), [8, C, H, W]);
  const scale = Math.max(1, ...ref.map(Math.abs));
  const maxDiff = Math.max(...ref.map((v, i) => Math.abs(v - got[i]!)));
  if (maxDiff > 1e-4 * scale) throw new Error(`ONNX and tfjs logits differ by ${maxDiff} (scale ${scale})`);
  console.log(`logits agree: max |diff| ${maxDiff.toExponential(2)} (max |logit| ${scale.toFixed(2)})`);
  for (const e of [ortEngine, ortUnfused]) {
    const o = e.infer(check, 8, { mode: 'static', batchSize: 8 }).flatMap((r) => r.logits);
    const d = Math.max(...ref.map((v, i) => Math.abs(v - o[i]!)));
    if (d > 1e-4 * scale) throw new Error(`engine on ONNX Runtime and tfjs logits differ by ${d}`);
  }

  const runners: Runner[] = [
    {
      label: 'tfjs wasm (engine, static mode)',
      run: async (imgs, n, batch) => {
        engine.infer(imgs, n, { mode: 'static', batchSize: batch });
      },
    },
    {
      label: 'engine on ONNX Runtime (static mode, fused)',
      run: async (imgs, n, batch) => {
        ortEngine.infer(imgs, n, { mode: 'static', batchSize: batch });
      },
    },
    {
      label: 'engine on ONNX Runtime, one session run per unit',
      run: async (imgs, n, batch) => {
        ortUnfused.infer(imgs, n, { mode: 'static', batchSize: batch });
      },
    },
    ...THREADS.map((t): Runner => ({
      label: `onnxruntime-node, ${t} intra-op thread${t > 1 ? 's' : ''}`,
      run: async (imgs, n, batch) => {
        for (let s = 0; s < n; s += batch) {
          const m = Math.min(batch, n - s);
          // Transpose included: the engine's images are NHWC, the exported graph takes NCHW.
          await runFloat(ort, sessions.get(t)!, nhwcToNchw(imgs.subarray(s * per, (s + m) * per), m, H, W, C), [m, C, H, W]);
        }
      },
    })),
  ];

  const results: Result[] = [];
  /** Per batch, each runner's per-call series (for paired, per-round comparisons). */
  const series = new Map<number, { wall: number[][]; cpu: number[][] }>();
  const loads: number[] = [];
  const load0 = loadavg();
  for (const batch of [1, 64]) {
    const n = batch === 1 ? 4 : 64;
    const rounds = batch === 1 ? (quick ? 30 : 200) : quick ? 5 : 30;
    const imgs = images(n, per);
    for (const r of runners) await r.run(imgs, n, batch); // warm-up
    const wall: number[][] = runners.map(() => []);
    const cpu: number[][] = runners.map(() => []);
    // Interleaved call by call (ABCABC…): load bursts from other processes hit all runners alike.
    for (let k = 0; k < rounds; k++) {
      for (const [i, r] of runners.entries()) {
        const c0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        await r.run(imgs, n, batch);
        wall[i]!.push(Number(process.hrtime.bigint() - t0) / 1e6 / n);
        const c = process.cpuUsage(c0);
        cpu[i]!.push((c.user + c.system) / 1e3 / n);
      }
      loads.push(loadavg()[0]!);
    }
    series.set(batch, { wall, cpu });
    runners.forEach((r, i) => {
      const res = { label: r.label, batch, ms: q25(wall[i]!), cpuMs: q25(cpu[i]!) };
      results.push(res);
      console.log(`b${batch} ${r.label.padEnd(36)} ${res.ms.toFixed(3)} ms/img wall, ${res.cpuMs.toFixed(3)} ms/img CPU`);
    });
  }
  const load1 = loadavg();
  for (const s of sessions.values()) await s.release();
  engine.dispose();
  ortEngine.dispose();
  ortUnfused.dispose();

  const base = (batch: number) => results.find((r) => r.batch === batch && r.label.startsWith('tfjs'))!;
  const rows = results.map((r) => {
    const b = base(r.batch);
    const ratio = r === b ? '—' : `${(b.ms / r.ms).toFixed(2)}×`;
    const cpuRatio = r === b ? '—' : `${(b.cpuMs / r.cpuMs).toFixed(2)}×`;
    return `| ${r.label} | ${r.batch} | ${r.ms.toFixed(3)} | ${(1000 / r.ms).toFixed(0)} | ${r.cpuMs.toFixed(3)} | ${ratio} | ${cpuRatio} |`;
  });
  const ratioOf = (batch: number, t: number) => {
    const o = results.find((r) => r.batch === batch && r.label.includes(`${t} intra-op`))!;
    return (base(batch).ms / o.ms).toFixed(2);
  };
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' / ');
  const idx = (prefix: string) => runners.findIndex((r) => r.label.startsWith(prefix));
  // Paired per round (the calls of one round run milliseconds apart), median over rounds: the load
  // of the shared machine scales both sides of a pair and cancels.
  const engineVsSession = (batch: number, prefix: string, key: 'wall' | 'cpu' = 'wall') => {
    const s = series.get(batch)![key];
    return pairedRatio(s[idx(prefix)]!, s[idx('onnxruntime-node, 1 intra-op')]!).toFixed(2);
  };
  // Unfused static = units + classifier session runs, fused = one: the difference is the cost of `units` extra boundaries.
  const perUnit = (batch: number, key: 'wall' | 'cpu') => {
    const s = series.get(batch)![key];
    const a = s[idx('engine on ONNX Runtime, one')]!;
    const b = s[idx('engine on ONNX Runtime (static')]!;
    return ((median(a.map((x, i) => x - b[i]!)) * 1000) / units).toFixed(0);
  };
  const date = sh('date', ['-u']).trim() || new Date().toUTCString();
  const section = [
    '<!-- bench:onnx start -->',
    '## Static network: ONNX Runtime vs the engine on tfjs wasm (`npm run bench:onnx`)',
    '',
    `Measured ${date} on ${machine()}; Node ${process.version}, onnxruntime-node ${load.version} (CPU execution provider), tfjs-backend-wasm ${wasmVersion} (SIMD, one thread).`,
    `Load average (1 / 5 / 15 min) at the start: ${fmt(load0)}, at the end: ${fmt(load1)}; 1-min load during the timed rounds ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${cpus().length} cores` +
      (Math.max(...loads) > cpus().length
        ? ' (more runnable work than cores: other processes shared the machine, so absolute times are inflated, the 2-thread rows most).'
        : '.'),
    '',
    `Model: the static ResNet-20 of bench:ddi (28×28×1, 16/32/64, seed-1 random weights), exported by \`exportOnnx\` (main/ddi/onnx: opset ${ONNX_OPSET}, float32, NCHW,`,
    'symbolic batch, BatchNorm folded into the convs exactly as the tfjs runtime folds it); gates and exit heads are not part of the static network.',
    `Both compute the same logits: max |difference| ${maxDiff.toExponential(1)} on 8 images (max |logit| ${scale.toFixed(1)}).`,
    'Timing: the engine\'s `infer(..., {mode: "static", batchSize})` (host normalisation, runtime, read-back, records) against `InferenceSession.run`',
    '(NHWC→NCHW copy, tensor creation, read-back; `interOpNumThreads` 1, sequential, all graph optimisations), interleaved call by call; each gets the',
    `lower quartile of ${quick ? 30 : 200} calls of 4 single images (batch 1) and ${quick ? 5 : 30} calls of 64 (batch 64). CPU is the whole process (ONNX Runtime's worker threads included).`,
    'The "engine on ONNX Runtime" rows are the same `infer` call on the engine\'s ONNX Runtime executor (main/ddi/runtime/ort.ts, 1 intra-op thread): "fused" as it runs',
    '(consecutive units that no gate reads between run as one cached graph, so the static network is one session run), and with every unit and the classifier its own session run.',
    '',
    '| Runtime | Batch | wall ms / image | images/s | CPU ms / image | speed-up vs tfjs (wall) | speed-up vs tfjs (CPU) |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Ratio (tfjs wasm wall time ÷ ONNX Runtime wall time): batch 1 ${ratioOf(1, 1)}× with 1 thread, ${ratioOf(1, 2)}× with 2; batch 64 ${ratioOf(64, 1)}× with 1 thread, ${ratioOf(64, 2)}× with 2.`,
    `The engine on its ONNX Runtime executor ÷ one whole-graph session (1 thread), median of the per-round ratios, wall time: batch 1 ${engineVsSession(1, 'engine on ONNX Runtime (static')}× fused (target ≤ 1.3×; CPU ${engineVsSession(1, 'engine on ONNX Runtime (static', 'cpu')}×), ${engineVsSession(1, 'engine on ONNX Runtime, one')}× with one session run per unit; batch 64 ${engineVsSession(64, 'engine on ONNX Runtime (static')}× / ${engineVsSession(64, 'engine on ONNX Runtime, one')}×.`,
    `Cost of one unit boundary (a unit run as its own session instead of inside a fused graph), per image, median over rounds of (unfused − fused) ÷ ${units} extra session runs: ${perUnit(1, 'wall')} µs wall / ${perUnit(1, 'cpu')} µs CPU at batch 1, ${perUnit(64, 'wall')} / ${perUnit(64, 'cpu')} µs at batch 64.`,
    '<!-- bench:onnx end -->',
  ].join('\n');
  console.log(`\n${section}`);
  if (!write) return;
  const path = 'docs/benchmarks.md';
  let doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const re = /<!-- bench:onnx start -->[\s\S]*?<!-- bench:onnx end -->/;
  doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`;
  // A bench:ddi section written before this benchmark existed says it was not measured.
  doc = doc.replace(
    'ONNX Runtime comparison: not measured (onnxruntime-node not installed).',
    'ONNX Runtime comparison: the bench:onnx section (`npm run bench:onnx`).',
  );
  writeFileSync(path, doc);
  console.log(`\nwritten to ${path}`);
}

void main();
