/**
 * Channel skipping on the ONNX Runtime executor: a kept-channel block runs in one graph with what
 * follows it up to the next read (the classifier after the last gated block), one session run fewer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, type DdiModel } from '../../../main/ddi/model';
import { resnetConfig } from '../../../main/ddi/config';
import { OrtRuntime } from '../../../main/ddi/runtime/ort';
import { loadOrtBinding, type OrtBinding } from '../../../main/ddi/runtime/ort-binding';
import { initBackend } from '../../../main/ddi/backend';

const ort = loadOrtBinding();
if (!ort.ok) console.warn(`ort-kept-fusion: skipped, onnxruntime-node is not available (${ort.reason})`);

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
});
