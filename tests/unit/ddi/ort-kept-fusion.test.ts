/**
 * What keeps channel skipping cheap on the ONNX Runtime executor: a kept-channel block runs in one
 * graph with what follows it up to the next read (the classifier after the last gated block), and a
 * block graph's identity shortcut reaches ONNX Runtime's NCHWc pass in blocked layout, so the
 * residual Add and ReLU are fused into the convolution instead of running as separate nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { buildModel, type DdiModel } from '../../../main/ddi/model';
import { resnetConfig } from '../../../main/ddi/config';
import { exportOnnxPart } from '../../../main/ddi/onnx/export';
import { loadOnnxRuntime } from '../../../main/ddi/onnx/ort';
import { OrtRuntime } from '../../../main/ddi/runtime/ort';
import { loadOrtBinding, type OrtBinding } from '../../../main/ddi/runtime/ort-binding';
import { initBackend } from '../../../main/ddi/backend';

const ort = loadOrtBinding();
if (!ort.ok) console.warn(`ort-kept-fusion: skipped, onnxruntime-node is not available (${ort.reason})`);
// The NCHWc layout pass exists on x86-64 only (MLAS blocked kernels); elsewhere nothing is fused either way.
const nchwc = ort.ok && process.arch === 'x64';
if (ort.ok && !nchwc) console.warn(`ort-kept-fusion: shortcut fusion test skipped, ONNX Runtime has no NCHWc pass on ${process.arch}`);

/** Op types of a serialized ModelProto's graph nodes (NodeProto.op_type, field 4), read from the bytes. */
function opTypes(bytes: Uint8Array): string[] {
  const ops: string[] = [];
  const walk = (buf: Uint8Array, path: number[]) => {
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
      const field = Math.floor(key / 8);
      const wire = key % 8;
      if (wire === 0) varint();
      else if (wire === 5) p += 4;
      else if (wire === 1) p += 8;
      else if (wire === 2) {
        const len = varint();
        const sub = buf.subarray(p, p + len);
        p += len;
        const at = [...path, field];
        // ModelProto.graph (7) → GraphProto.node (1) → NodeProto.op_type (4)
        if (at.join('.') === '7.1.4') ops.push(new TextDecoder().decode(sub));
        else if (at.join('.') === '7' || at.join('.') === '7.1') walk(sub, at);
      } else throw new Error(`unexpected wire type ${wire}`);
    }
  };
  walk(bytes, []);
  return ops;
}

describe.skipIf(!ort.ok)('channel skipping on the ONNX Runtime executor', () => {
  let model: DdiModel;
  let binding: OrtBinding;
  beforeAll(async () => {
    await initBackend('cpu'); // tfjs holds the model's weights
    model = buildModel(resnetConfig({ depth: 20, gates: { layer: false } }), 1);
    binding = (ort as { ok: true; binding: OrtBinding }).binding;
  });
  afterAll(() => model?.dispose());

  const img = new Float32Array(28 * 28).map((_, i) => ((i * 7919) % 255) / 255);

  /** Every block keeps its first half of channels, as the gates would decide; returns the logits. */
  function run(rt: OrtRuntime): Float32Array {
    let x = rt.input(img, 1);
    model.layout.trunk.forEach((u, ti) => {
      const channels = u.gatedChannels > 0 ? [Array.from({ length: u.gatedChannels / 2 }, (_, c) => c)] : null;
      x = rt.trunk(ti, x, { rows: [0], channels });
      // A gate reads the pooled input of every gated unit: what ends a fused run.
      if (ti + 1 < model.layout.trunk.length && model.layout.trunk[ti + 1]!.groups > 0) rt.pool(x);
    });
    return rt.head(-1, x, [0]);
  }

  it('runs the last kept-channel block and the classifier as one session run, with the same logits', () => {
    const fused = new OrtRuntime(model, binding);
    const alone = new OrtRuntime(model, binding, { fuse: false });
    const a = run(fused);
    const b = run(alone);
    const gated = model.layout.trunk.filter((u) => u.groups > 0).length;
    // Stem, then one run per gated block; the classifier rides along with the last block.
    expect(fused.stats.runs).toBe(1 + gated);
    expect(alone.stats.runs).toBe(1 + gated + 1);
    for (let k = 0; k < a.length; k++) expect(Math.abs(a[k]! - b[k]!)).toBeLessThan(1e-5);
    // The fused kept-pattern graph is cached: a second inference builds nothing.
    const built = fused.stats.builds;
    run(fused);
    expect(fused.stats.builds).toBe(built);
    fused.dispose();
    alone.dispose();
  });

  it.skipIf(!nchwc)('passes an identity shortcut to the NCHWc pass so the residual Add is fused into the convolution', async () => {
    const load = loadOnnxRuntime();
    if (!load.ok) throw new Error(load.reason);
    const ti = model.layout.trunk.findIndex((u) => u.kind === 'block' && !u.projection);
    const dir = mkdtempSync(join(tmpdir(), 'ort-fusion-'));
    try {
      const optimized = async (blockedShortcut: boolean) => {
        const file = join(dir, `${blockedShortcut}.onnx`);
        const bytes = exportOnnxPart(model, { kind: 'unit', unit: ti, pooled: true, blockedShortcut }).bytes;
        const create = load.ort.InferenceSession.create as (m: Uint8Array, o: Record<string, unknown>) => Promise<{ release(): Promise<void> }>;
        // logSeverityLevel 3: ONNX Runtime warns that an NCHWc-optimized model is machine-specific.
        const s = await create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, optimizedModelFilePath: file, logSeverityLevel: 3 });
        await s.release();
        return opTypes(readFileSync(file));
      };
      const plain = await optimized(false);
      const blocked = await optimized(true);
      // Without it the residual Add and the ReLU after it are nodes of their own; with it both live in conv2.
      expect(plain).toEqual(expect.arrayContaining(['Add', 'Relu']));
      expect(blocked).not.toContain('Add');
      expect(blocked).not.toContain('Relu');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('computes the same block output with and without the blocked shortcut', () => {
    const ti = model.layout.trunk.findIndex((u) => u.kind === 'block' && !u.projection);
    const u = model.layout.trunk[ti]!;
    const x = new binding.Tensor(
      'float32',
      new Float32Array(u.inC * u.inH * u.inW).map((_, i) => Math.sin(i)),
      [1, u.inC, u.inH, u.inW],
    );
    const out = (blockedShortcut: boolean) => {
      const s = binding.createSession(exportOnnxPart(model, { kind: 'unit', unit: ti, channels: [0, 1, 2, 3], blockedShortcut }).bytes, { intraOpThreads: 1 });
      const [y] = s.run({ [s.inputNames[0]!]: x });
      s.dispose();
      return y!.data as Float32Array;
    };
    const a = out(false);
    const b = out(true);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-5);
  });
});
