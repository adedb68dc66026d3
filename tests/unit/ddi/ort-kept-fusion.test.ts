/**
 * Channel skipping on the ONNX Runtime executor: a kept-channel block runs in one graph with what
 * follows it up to the next read (the classifier after the last gated block), one session run fewer;
 * kept patterns share one generic graph per unit (a graph build per pattern cost more than inferences).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, type DdiModel } from '../../../main/ddi/model';
import { resnetConfig } from '../../../main/ddi/config';
import { OrtAct, OrtRuntime, ORT_PATTERN_CACHE_PER_UNIT } from '../../../main/ddi/runtime/ort';
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

  const half = (ti: number) => Array.from({ length: model.layout.trunk[ti]!.gatedChannels / 2 }, (_, c) => c);

  /** Every block keeps the channels `keep` gives (by default its first half), as the gates would decide; returns the logits. */
  function run(rt: OrtRuntime, keep: (ti: number) => number[] = half): Float32Array {
    let x = rt.input(img, 1);
    model.layout.trunk.forEach((u, ti) => {
      const channels = u.gatedChannels > 0 ? [keep(ti)] : null;
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

  it('runs many distinct kept patterns with a bounded number of graph builds, computing what a graph built per pattern computes', () => {
    const shared = new OrtRuntime(model, binding);
    const perPattern = new OrtRuntime(model, binding, { promoteAfter: 1 });
    // Deterministic pseudo-random groups of 4 channels per gated block, at least one kept.
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const gated = model.layout.trunk.filter((u) => u.groups > 0).length;
    const N = 60;
    let worst = 0;
    let partial = 0; // (inference, block) pairs keeping fewer than all channels; all kept runs the full-width graph
    for (let i = 0; i < N; i++) {
      const pick = new Map<number, number[]>();
      const keep = (ti: number) => {
        if (!pick.has(ti)) {
          const u = model.layout.trunk[ti]!;
          const size = u.gatedChannels / u.groups;
          const groups = Array.from({ length: u.groups }, (_, g) => g).filter((g) => g === 0 || rand() < 0.5);
          pick.set(
            ti,
            groups.flatMap((g) => Array.from({ length: size }, (_, c) => g * size + c)),
          );
          if (groups.length < u.groups) partial++;
        }
        return pick.get(ti)!;
      };
      const a = run(shared, keep);
      const b = run(perPattern, keep);
      for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k]! - b[k]!));
    }
    expect(worst).toBeLessThan(1e-5);
    // Per pattern: a build per new pattern and gated block; shared: the stem, and per gated block its generic graph (alone, and fused with the classifier).
    expect(perPattern.stats.builds).toBeGreaterThan(N);
    expect(shared.stats.builds).toBeLessThanOrEqual(1 + 2 * gated);
    expect(partial).toBeGreaterThan(N * gated * 0.8);
    expect(shared.stats.generic).toBe(partial);
    shared.dispose();
    perPattern.dispose();
  });

  it('runs rows of one batch that keep different channels on the generic graph with a mask, as each row alone', () => {
    const rt = new OrtRuntime(model, binding);
    const ti = model.layout.trunk.findIndex((u) => u.kind === 'block' && u.groups > 0 && u.mid === 32);
    const u = model.layout.trunk[ti]!;
    const x = new Float32Array(2 * u.inH * u.inW * u.inC).map((_, i) => Math.sin(i * 0.37));
    const keeps = [
      [0, 1, 2, 3, 8, 9, 10, 11],
      [4, 5, 6, 7, 8, 9, 10, 11, 28, 29, 30, 31],
    ];
    const act = (data: Float32Array, n: number) => new OrtAct(new binding.Tensor('float32', data, [n, u.inC, u.inH, u.inW]), 0, -1);
    const both = rt.trunk(ti, act(x, 2), { rows: [0, 1], channels: keeps });
    expect(rt.stats.generic).toBe(1);
    const out = both.t.data as Float32Array;
    const per = u.inC * u.inH * u.inW;
    const outPer = out.length / 2;
    // Each row alone on a graph built for its own pattern.
    const single = new OrtRuntime(model, binding, { fuse: false, promoteAfter: 1 });
    keeps.forEach((keep, r) => {
      const ref = single.trunk(ti, act(x.slice(r * per, (r + 1) * per), 1), { rows: [0], channels: [keep] }).t.data as Float32Array;
      for (let k = 0; k < outPer; k++) expect(Math.abs(out[r * outPer + k]! - ref[k]!)).toBeLessThan(1e-5);
    });
    expect(single.stats.generic).toBe(0);
    single.dispose();
    rt.dispose();
  });

  it('gives at most ORT_PATTERN_CACHE_PER_UNIT patterns of a unit a graph of their own; a newcomer replaces the least-seen one only when seen twice as often', () => {
    const rt = new OrtRuntime(model, binding, { fuse: false, promoteAfter: 1 });
    const ti = model.layout.trunk.findIndex((u) => u.kind === 'block' && u.groups >= 8);
    const u = model.layout.trunk[ti]!;
    const size = u.gatedChannels / u.groups;
    const x = new Float32Array(u.inC * u.inH * u.inW).map((_, i) => Math.cos(i * 0.11));
    // Pattern i keeps the groups of the bits of i + 1 (distinct, never empty, never all).
    const keep = (i: number) =>
      Array.from({ length: u.groups }, (_, g) => g)
        .filter((g) => ((i + 1) >> g) & 1)
        .flatMap((g) => Array.from({ length: size }, (_, c) => g * size + c));
    const runPattern = (i: number) =>
      rt.trunk(ti, new OrtAct(new binding.Tensor('float32', x, [1, u.inC, u.inH, u.inW]), 0, -1), { rows: [0], channels: [keep(i)] });
    for (let i = 0; i < ORT_PATTERN_CACHE_PER_UNIT; i++) runPattern(i);
    const built = rt.stats.builds;
    const sessions = rt.sessionCount();
    expect(rt.stats.generic).toBe(0);
    runPattern(ORT_PATTERN_CACHE_PER_UNIT); // full: seen once, as often as the least-seen owner, so the generic graph (built now)
    expect(rt.stats.generic).toBe(1);
    expect(rt.stats.builds).toBe(built + 1);
    runPattern(ORT_PATTERN_CACHE_PER_UNIT); // seen twice: replaces a pattern seen once
    expect(rt.stats.generic).toBe(1);
    expect(rt.stats.builds).toBe(built + 2);
    expect(rt.sessionCount()).toBe(sessions + 1); // the generic graph; still ORT_PATTERN_CACHE_PER_UNIT owned
    runPattern(ORT_PATTERN_CACHE_PER_UNIT + 1);
    expect(rt.stats.generic).toBe(2);
    expect(rt.stats.builds).toBe(built + 2);
    rt.dispose();
  });
});
