/**
 * The ONNX Runtime executor: real skipping (a skipped block runs nothing, a channel-gated block
 * runs a graph holding only the kept filters), fused static runs, thread setting, latency
 * profiling per unit, the --backend option, and the engine worker on ort.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { build } from 'esbuild';
import { Command } from 'commander';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DdiEngine } from '../../../main/ddi/engine';
import { buildModel, type DdiModel, type GatePattern } from '../../../main/ddi/model';
import type { HostGates } from '../../../main/ddi/gates';
import { profileLatency } from '../../../main/ddi/profile';
import { resnetConfig } from '../../../main/ddi/config';
import { buildLayout } from '../../../main/ddi/layout';
import { exportOnnxPart } from '../../../main/ddi/onnx/export';
import { OrtRuntime, ORT_PATTERN_PROMOTE_AFTER } from '../../../main/ddi/runtime/ort';
import { loadOrtBinding, ortThreads, type OrtBinding } from '../../../main/ddi/runtime/ort-binding';
import { initBackend, parseBackendName } from '../../../main/ddi/backend';
import { EngineWorkerHost } from '../../../main/ddi/worker/host';
import { registerInferCommand } from '../../../main/cli/commands/infer';
import { isUserError } from '../../../main/util/errors';
// @ts-expect-error plain .mjs build helper without types
import { tfjsGradientsPlugin } from '../../../scripts/esbuild-tfjs-gradients.mjs';

const ort = loadOrtBinding();
if (!ort.ok) console.warn(`ort-runtime: skipped, onnxruntime-node is not available (${ort.reason})`);
const MODEL = resolve('tests/fixtures/models/tiny-random-test');

/** Initializer names and dims of an exported graph (ModelProto.graph.initializer), read back from the bytes. */
function initializerDims(bytes: Uint8Array): Map<string, number[]> {
  const read = (buf: Uint8Array) => {
    const out: { field: number; num: number; bytes: Uint8Array }[] = [];
    let p = 0;
    const varint = () => {
      let v = 0;
      let m = 1;
      for (;;) {
        const b = buf[p++]!;
        v += (b & 0x7f) * m;
        if (b < 0x80) return v;
        m *= 128;
      }
    };
    while (p < buf.length) {
      const key = varint();
      const wire = key & 7;
      if (wire === 0) out.push({ field: key >> 3, num: varint(), bytes: new Uint8Array() });
      else if (wire === 2) {
        const len = varint();
        out.push({ field: key >> 3, num: len, bytes: buf.subarray(p, p + len) });
        p += len;
      } else p += 4;
    }
    return out;
  };
  const graph = read(bytes).find((f) => f.field === 7)!.bytes;
  const dims = new Map<string, number[]>();
  for (const t of read(graph).filter((f) => f.field === 5)) {
    const fs = read(t.bytes);
    dims.set(
      new TextDecoder().decode(fs.find((f) => f.field === 8)!.bytes),
      fs.filter((f) => f.field === 1).map((f) => f.num),
    );
  }
  return dims;
}

describe('exported unit graphs for channel skipping', () => {
  beforeAll(async () => {
    await initBackend('cpu'); // tfjs holds the model's weights
  });
  it('hold only the kept filters: conv1 outputs and conv2 inputs of a block, conv2 outputs of a dense layer', () => {
    const model = buildModel(resnetConfig({ depth: 20 }), 1);
    const ti = model.layout.trunk.findIndex((u) => u.kind === 'block' && u.groups > 0 && u.mid === 32);
    const u = model.layout.trunk[ti]!;
    const kept = Array.from({ length: 8 }, (_, i) => i * 4);
    const d = initializerDims(exportOnnxPart(model, { kind: 'unit', unit: ti, channels: kept }).bytes);
    expect(d.get(`${u.id}/conv1/W`)).toEqual([8, u.inC, 3, 3]);
    expect(d.get(`${u.id}/conv1/B`)).toEqual([8]);
    expect(d.get(`${u.id}/conv2/W`)).toEqual([u.outC, 8, 3, 3]);
    const full = initializerDims(exportOnnxPart(model, { kind: 'unit', unit: ti }).bytes);
    expect(full.get(`${u.id}/conv1/W`)).toEqual([32, u.inC, 3, 3]);
    // Aligned for ONNX Runtime's NCHWc kernels: 4 kept filters padded with 4 zero ones, not the full 32.
    const aligned = initializerDims(exportOnnxPart(model, { kind: 'unit', unit: ti, channels: [0, 1, 2, 3], align: 8 }).bytes);
    expect(aligned.get(`${u.id}/conv1/W`)).toEqual([8, u.inC, 3, 3]);
    expect(aligned.get(`${u.id}/conv2/W`)).toEqual([u.outC, 8, 3, 3]);
    // Kept channels as an input: the full-width weights (plus a zero filter to pad with when aligned), gathered in the graph.
    const generic = initializerDims(exportOnnxPart(model, { kind: 'unit', unit: ti, channels: 'input' }).bytes);
    expect(generic.get(`${u.id}/conv1/W`)).toEqual([32, u.inC, 3, 3]);
    expect(generic.get(`${u.id}/conv2/W`)).toEqual([u.outC, 32, 3, 3]);
    const genericAligned = initializerDims(exportOnnxPart(model, { kind: 'unit', unit: ti, channels: 'input', align: 8 }).bytes);
    expect(genericAligned.get(`${u.id}/conv1/W`)).toEqual([33, u.inC, 3, 3]);
    expect(genericAligned.get(`${u.id}/conv2/W`)).toEqual([u.outC, 33, 3, 3]);
    expect(exportOnnxPart(model, { kind: 'unit', unit: ti, channels: 'input' }).inputs.map((v) => [v.name, v.type ?? 'float32'])).toEqual([
      [`${u.id}/in`, 'float32'],
      ['kept', 'int64'],
    ]);
    model.dispose();
  });
  it('refuses channels that are not ascending indices of the unit in one sentence', () => {
    const model = buildModel(resnetConfig({ depth: 20 }), 1);
    let err: unknown;
    try {
      exportOnnxPart(model, { kind: 'unit', unit: 1, channels: [3, 1] });
    } catch (e) {
      err = e;
    }
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toMatch(/^ONNX export: channels must be ascending indices below 16 for .+; pass the kept channels in order\.$/);
    model.dispose();
  });
});

describe.skipIf(!ort.ok)('ONNX Runtime executor', () => {
  let engine: DdiEngine;
  beforeAll(async () => {
    engine = await DdiEngine.create({ backend: 'ort', strict: true });
  });
  afterAll(() => engine?.dispose());

  const cfg = resnetConfig({ depth: 20 });
  const lay = buildLayout(cfg);
  const img = new Float32Array(28 * 28).map((_, i) => ((i * 7919) % 255) / 255);
  const pattern = (skip: number[], keep: number): GatePattern => ({
    layer: lay.trunk.filter((u) => u.layer >= 0).map((u) => !skip.includes(u.layer)),
    channel: lay.trunk.filter((u) => u.layer >= 0).map((u) => Array.from({ length: u.groups }, (_, g) => g < Math.max(1, Math.round(keep * u.groups)))),
  });

  it('runs the static network as one session run, and a skipped block not at all', () => {
    const model = buildModel(cfg, 1);
    const rt = new OrtRuntime(model, (ort as { ok: true; binding: never }).binding);
    const unfused = new OrtRuntime(model, (ort as { ok: true; binding: never }).binding, { fuse: false });
    const all = { rows: [0], channels: null };
    const run = (r: OrtRuntime, skip: Set<number>) => {
      let x = r.input(img, 1);
      lay.trunk.forEach((u, ti) => {
        x = r.trunk(ti, x, skip.has(ti) ? { rows: [], channels: null } : all);
      });
      return r.head(-1, x, [0]);
    };
    const a = run(rt, new Set());
    expect(rt.stats.runs).toBe(1);
    const b = run(unfused, new Set());
    expect(unfused.stats.runs).toBe(lay.trunk.length + 1);
    for (let k = 0; k < a.length; k++) expect(Math.abs(a[k]! - b[k]!)).toBeLessThan(1e-5);
    // Skip two blocks without projection: two fewer session runs.
    const skippable = lay.trunk
      .map((u, ti) => (u.kind === 'block' && !u.projection && ti > 1 ? ti : -1))
      .filter((t) => t >= 0)
      .slice(0, 2);
    unfused.stats.runs = 0;
    run(unfused, new Set(skippable));
    expect(unfused.stats.runs).toBe(lay.trunk.length + 1 - 2);
    rt.dispose();
    unfused.dispose();
    model.dispose();
  });

  it('channel skipping runs a new kept pattern on the generic graph and gives a recurring one a graph of its own, with the same logits', () => {
    engine.useModel(buildModel(cfg, 1));
    const half = pattern([], 0.5);
    const r1 = engine.infer(img, 1, { mode: 'iadi', forced: [half] });
    const rt = (engine as unknown as { loaded: { runtime: OrtRuntime } }).loaded.runtime;
    expect(rt.stats.generic).toBeGreaterThan(0);
    const built = rt.stats.builds;
    const r2 = engine.infer(img, 1, { mode: 'iadi', forced: [half] });
    expect(rt.stats.builds).toBe(built); // the generic graphs are cached
    expect(r2[0]!.logits).toEqual(r1[0]!.logits);
    expect(r1[0]!.channelsKept.length).toBeGreaterThan(0);
    expect(r1[0]!.channelsKept.every((c) => c.kept === c.total / 2)).toBe(true);
    // Another pattern runs on the same generic graphs: nothing to build.
    engine.infer(img, 1, { mode: 'iadi', forced: [pattern([], 0.25)] });
    expect(rt.stats.builds).toBe(built);
    // Seen ORT_PATTERN_PROMOTE_AFTER times, the pattern runs on graphs built for it: same logits.
    const loop: ReturnType<typeof engine.infer>[] = [];
    for (let i = 2; i < ORT_PATTERN_PROMOTE_AFTER; i++) loop.push(engine.infer(img, 1, { mode: 'iadi', forced: [half] }));
    expect(rt.stats.builds).toBeGreaterThan(built);
    const generic = rt.stats.generic;
    const r3 = engine.infer(img, 1, { mode: 'iadi', forced: [half] });
    expect(rt.stats.generic).toBe(generic);
    // Each record states its call's share of that work: the inference that promoted the pattern built
    // its graphs (one per gated block), the ones before ran shared graphs, the one after neither.
    const gated = lay.trunk.filter((u) => u.groups > 0).length;
    expect(r2[0]!.executorWork).toEqual({ runs: 1 + gated, builds: 0, sharedGraphRuns: gated });
    expect(loop.map((r) => r[0]!.executorWork!.builds)).toEqual([...Array<number>(loop.length - 1).fill(0), rt.stats.builds - built]);
    expect(r3[0]!.executorWork).toEqual({ runs: 1 + gated, builds: 0, sharedGraphRuns: 0 });
    for (let k = 0; k < r1[0]!.logits.length; k++) expect(Math.abs(r3[0]!.logits[k]! - r1[0]!.logits[k]!)).toBeLessThan(1e-5);
    expect(r1[0]!.backend).toBe(`ort ${engine.backendInfo().version}`);
  });

  it('profiles a latency table with every unit timed on its own (not fused away)', () => {
    engine.useModel(buildModel(cfg, 1));
    const t = engine.profileLatency({ reps: 3 });
    expect(t.backend?.name).toBe('ort');
    // A channel-gated unit's half pattern is timed on its own graph (a recurring pattern's steady state):
    // it runs on the generic graph only until promoted. Timed on the generic graph, which is slower than
    // the full-width one, every channel was priced at zero.
    const l = (engine as unknown as { loaded: { model: DdiModel; gates: HostGates } }).loaded;
    const rt = new OrtRuntime(l.model, (ort as { ok: true; binding: never }).binding, { fuse: false });
    profileLatency(l.model, rt, l.gates, engine.backendInfo(), 3);
    const gated = lay.trunk.filter((u) => u.groups > 0).length;
    expect(rt.stats.generic).toBe(gated * (ORT_PATTERN_PROMOTE_AFTER - 1));
    rt.dispose();
    for (const u of lay.trunk) {
      const e = t.entries[u.id]!;
      // A session run costs ≥ 10 µs; a pending (fused-away) unit would time as well under 5 µs.
      const full = e.fixed + e.anyChannel + e.perChannel * (u.gatedChannels || 1);
      expect(full, u.id).toBeGreaterThan(5e-6);
    }
  });

  it("a session created with profilePrefix writes ONNX Runtime's profile of every node's kernel time (bench:ort-skipping reads it)", () => {
    const model = buildModel(cfg, 1);
    const ti = lay.trunk.findIndex((u) => u.kind === 'block' && !u.projection);
    const u = lay.trunk[ti]!;
    const dir = mkdtempSync(join(process.env.TMPDIR ?? '/tmp', 'ort-profile-'));
    try {
      const binding = (ort as { ok: true; binding: OrtBinding }).binding;
      const s = binding.createSession(exportOnnxPart(model, { kind: 'unit', unit: ti, channels: [0, 1] }).bytes, {
        intraOpThreads: 1,
        profilePrefix: join(dir, 'p'),
      });
      const x = new binding.Tensor('float32', new Float32Array(u.inC * u.inH * u.inW).fill(0.5), [1, u.inC, u.inH, u.inW]);
      for (let i = 0; i < 3; i++) s.run({ [s.inputNames[0]!]: x });
      const file = s.endProfiling();
      s.dispose();
      expect(file.startsWith(join(dir, 'p'))).toBe(true);
      const events = JSON.parse(readFileSync(file, 'utf8')) as { cat?: string; name: string; args?: { op_name?: string } }[];
      const convs = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.args?.op_name === 'Conv');
      // Two convolutions per run, three runs.
      expect(convs.length).toBe(6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      model.dispose();
    }
  });

  it('takes its intra-op thread count from DDI_ORT_THREADS (default 1) and refuses a bad one in one sentence', () => {
    expect(ortThreads({})).toBe(1);
    expect(ortThreads({ DDI_ORT_THREADS: '2' })).toBe(2);
    for (const bad of ['0', 'two', '1.5']) {
      let err: unknown;
      try {
        ortThreads({ DDI_ORT_THREADS: bad });
      } catch (e) {
        err = e;
      }
      expect(isUserError(err)).toBe(true);
      expect((err as Error).message).toBe(`DDI_ORT_THREADS = "${bad}" is not a thread count; set it to an integer from 1 to 64 or unset it (default 1).`);
    }
  });
});

describe('--backend', () => {
  afterEach(() => vi.restoreAllMocks());
  it('accepts ort, tensorflow, wasm and cpu and refuses anything else in one sentence', () => {
    for (const b of ['ort', 'tensorflow', 'wasm', 'cpu']) expect(parseBackendName(b)).toBe(b);
    expect(parseBackendName(undefined)).toBeUndefined();
    expect(() => parseBackendName('onnx')).toThrow('Unknown backend "onnx"; choose ort, tensorflow, wasm or cpu.');
  });
  it.skipIf(!ort.ok)('infer --backend ort runs on ONNX Runtime and says so in every record', async () => {
    const program = new Command();
    program.exitOverride();
    registerInferCommand(program);
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    await program.parseAsync([
      'node',
      'ddi-profiler',
      'infer',
      '--model',
      MODEL,
      '--dataset',
      'sample',
      '--limit',
      '3',
      '--mode',
      'ddi',
      '--budget',
      '3MMAC',
      '--json',
      '--backend',
      'ort',
    ]);
    vi.restoreAllMocks();
    const recs = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(recs).toHaveLength(3);
    for (const r of recs) {
      expect(r.backend).toMatch(/^ort 1\.\d+\.\d+$/);
      expect(r.macs).toBeLessThanOrEqual(3e6);
    }
  });
});

describe.skipIf(!ort.ok)('engine worker on ONNX Runtime', () => {
  let dir: string;
  let host: EngineWorkerHost;
  beforeAll(async () => {
    mkdirSync(resolve('.cache'), { recursive: true });
    dir = mkdtempSync(join(resolve('.cache'), 'ddi-worker-ort-'));
    const workerPath = join(dir, 'ddi-worker.cjs');
    await build({
      entryPoints: ['main/ddi/worker/entry.ts'],
      outfile: workerPath,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      packages: 'external',
      logLevel: 'warning',
      plugins: [tfjsGradientsPlugin],
    });
    host = new EngineWorkerHost({ workerPath });
  });
  afterAll(async () => {
    await host?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  it('runs ort by default in the worker thread and names it in each record', async () => {
    const backend = await host.start();
    expect(backend.name).toBe('ort');
    await host.loadModel(MODEL);
    const recs = await host.inferDataset('sample', [0, 1], { mode: 'iadi' });
    expect(recs.map((r) => r.backend)).toEqual([`ort ${backend.version}`, `ort ${backend.version}`]);
  });
});
