import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../main/ddi/backend';
import { buildModel, maskedMoments, type DdiModel, type GatePattern } from '../../../main/ddi/model';
import { densenetConfig, resnetConfig, PRESETS } from '../../../main/ddi/config';
import { buildLayout } from '../../../main/ddi/layout';
import { macTable, summarizeCost, unitCost, unitInfos } from '../../../main/ddi/cost';
import { hardGateFromLogit, hardGateFromLogitBounded, hardThresholdSTE, LOGIT_STE_BOUND, LOGIT_STE_SLOPE } from '../../../main/ddi/ste';
import { tinyDensenet, tinyResnet } from './fixtures';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('backbone shapes', () => {
  const cases = [
    ['resnet 28x28x1', resnetConfig({ blocksPerStage: [1, 1, 1], widths: [4, 8, 8], exits: { afterUnit: [0, 1] } }), 28, 1],
    ['resnet 32x32x3', resnetConfig({ blocksPerStage: [1, 2, 1], widths: [4, 8, 8], input: { height: 32, width: 32, channels: 3 } }), 32, 3],
    ['densenet 28x28x1', densenetConfig({ blockConfig: [2, 2, 2], growthRate: 4 }), 28, 1],
    ['densenet 32x32x3', densenetConfig({ blockConfig: [1, 2], growthRate: 4, input: { height: 32, width: 32, channels: 3 } }), 32, 3],
  ] as const;
  for (const [label, cfg, size, ch] of cases) {
    it(`${label}: logits and every exit are [B, classes]`, () => {
      const m = buildModel(cfg, 3);
      const out = tf.tidy(() => {
        const r = m.forwardTrain(tf.zeros([2, size, size, ch]) as tf.Tensor4D, { training: false });
        return { logits: r.logits.shape, exits: r.exitLogits.map((e) => e.shape), cost: r.cost.shape };
      });
      expect(out.logits).toEqual([2, 10]);
      expect(out.exits).toEqual(cfg.exits.afterUnit.map(() => [2, 10]));
      expect(out.cost).toEqual([2]);
      m.dispose();
    });
  }
  it('paper-scale ResNet-38/74/110 layouts have 18/36/54 blocks and 16/32/64 widths', () => {
    for (const [name, n] of [
      ['resnet38', 18],
      ['resnet74', 36],
      ['resnet110', 54],
    ] as const) {
      const lay = buildLayout(PRESETS[name]!());
      expect(lay.numLayers).toBe(n);
      expect(lay.finalC).toBe(64);
      expect(lay.finalH).toBe(7);
      expect(lay.exits.length).toBe(3);
    }
  });
});

describe('MAC counts', () => {
  it('matches a hand count for a 1-1-1 ResNet on 8×8×1', () => {
    const cfg = resnetConfig({
      blocksPerStage: [1, 1, 1],
      widths: [4, 8, 16],
      input: { height: 8, width: 8, channels: 1 },
      gates: { layer: false, channel: false },
      exits: { afterUnit: [] },
    });
    // stem 8·8·9·1·4; block0 2·(8·8·9·4·4); block1 4·4·9·4·8 + 4·4·9·8·8 + 4·4·4·8; block2 2·2·9·8·16 + 2·2·9·16·16 + 2·2·8·16; fc 16·10
    const expected = 2304 + 18432 + (4608 + 9216 + 512) + (4608 + 9216 + 512) + 160;
    expect(summarizeCost(buildLayout(cfg)).backboneMacs).toBe(expected);
  });
  it('ResNet-20 on 28×28×1 is 31.0 M backbone MACs (reference figure)', () => {
    expect(summarizeCost(buildLayout(PRESETS.resnet20!())).backboneMacs).toBe(31_021_952);
  });
  it('counts gates, exit heads and a DenseNet layer exactly', () => {
    const cfg = tinyDensenet();
    const infos = unitInfos(buildLayout(cfg));
    const d1 = infos.find((u) => u.id === 'dense1')!;
    // dense1: input 6+4=10 ch at 8×8, bottleneck 16, k=4: BN 64·10 + 1×1 64·10·16, 3×3 64·9·16 per kept channel
    expect(d1.macs).toEqual({ fixed: 0, anyChannel: 64 * 10 * 17, perChannel: 64 * 9 * 16 });
    const g1 = infos.find((u) => u.id === 'gate.channel1')!;
    expect(unitCost(g1.macs, 0)).toBe(10 * 4 + 4 * 2);
    const e0 = infos.find((u) => u.id === 'exit0')!;
    // exit after dense1: 14 ch at 8×8, conv 3×3 stride 2 → 4×4×4, fc 4·10
    expect(unitCost(e0.macs, 0)).toBe(16 * 9 * 14 * 4 + 40);
    const lay = buildLayout(tinyResnet());
    const lg = unitInfos(lay).find((u) => u.id === 'gate.layer1')!;
    expect(lg.macs.fixed).toBe(4 * 3 + 4 * 6 * 3 + 3);
    // block2 downsamples 4 ch at 8×8 to 8 ch at 4×4. Its layer gate reads the 4-ch pooled input
    // (stage 0's projection); skipped, it still runs the 1×1 projection: 16 · 4 · 8 MACs.
    const lg2 = unitInfos(lay).find((u) => u.id === 'gate.layer2')!;
    expect(lg2.macs.fixed).toBe(4 * 3 + 4 * 6 * 3 + 3);
    expect(lay.trunk.find((u) => u.id === 'block2')!.layerGateProj).toBe(0);
    const sc2 = unitInfos(lay).find((u) => u.id === 'block2.shortcut')!;
    expect(sc2.kind).toBe('shortcut');
    expect(sc2.macs).toEqual({ fixed: 16 * 4 * 8, anyChannel: 0, perChannel: 0 });
    expect(unitInfos(lay).find((u) => u.id === 'block2')!.macs.fixed).toBe(16 * 4 * 8);
  });
  it('per-unit params add up to the model parameter count', () => {
    for (const cfg of [tinyResnet(), tinyDensenet(), PRESETS.resnet20!()]) {
      const m = buildModel(cfg, 1);
      expect(summarizeCost(m.layout).params).toBe(m.numParams);
      m.dispose();
    }
  });
});

describe('forwardTrain', () => {
  it('is deterministic for a seed and returns gates for every gated unit', () => {
    const a = buildModel(tinyResnet(), 5);
    const b = buildModel(tinyResnet(), 5);
    const x = tf.randomUniform([3, 8, 8, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const [la, lb, ids] = tf.tidy(() => {
      const ra = a.forwardTrain(x, { training: false });
      const rb = b.forwardTrain(x, { training: false });
      return [ra.logits.arraySync(), rb.logits.arraySync(), ra.gates.map((g) => g.id)] as const;
    });
    expect(la).toEqual(lb);
    // Every block but the network's first (stages' downsampling blocks included) + 6 channel gates.
    expect(ids.filter((i) => i.startsWith('gate.layer')).length).toBe(5);
    expect(ids.filter((i) => i.startsWith('gate.channel')).length).toBe(6);
    // Files from before skipDownsampling load with false: only non-downsampling blocks are gated.
    const legacy = buildLayout({ ...tinyResnet(), gates: { ...tinyResnet().gates, skipDownsampling: false } });
    expect(legacy.trunk.filter((u) => u.layerGated).map((u) => u.layer)).toEqual([1, 3, 5]);
    x.dispose();
    a.dispose();
    b.dispose();
  });
  it('per-sample cost equals the MAC table for the decisions taken', () => {
    const m = buildModel(tinyResnet(), 2);
    const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const table = macTable(m.layout);
    tf.tidy(() => {
      const r = m.forwardTrain(x, { training: false });
      const cost = r.cost.arraySync();
      const dec = new Map(r.gates.map((g) => [g.id, g.decision.arraySync()]));
      for (let b = 0; b < 4; b++) {
        let expected = 0;
        for (const u of m.units) {
          const e = table.entries[u.id]!;
          if (u.kind === 'block') {
            const layer = Number(u.id.slice(5));
            const run = dec.get(`gate.layer${layer}`)?.[b]?.[0] ?? 1;
            const groups = dec.get(`gate.channel${layer}`)![b]!;
            const kept = groups.reduce((s, g) => s + g * 2, 0);
            expected += run * unitCost(e, kept);
          } else if (u.kind === 'channel-gate') {
            const layer = Number(u.id.slice('gate.channel'.length));
            expected += (dec.get(`gate.layer${layer}`)?.[b]?.[0] ?? 1) * e.fixed;
          } else if (u.kind === 'shortcut') {
            // Charged only when its downsampling block is skipped.
            const layer = Number(u.id.slice(5, u.id.indexOf('.')));
            expected += (1 - dec.get(`gate.layer${layer}`)![b]![0]!) * e.fixed;
          } else expected += e.fixed;
        }
        expect(cost[b]).toBeCloseTo(expected, 0);
      }
      // The shortcut is the skip alternative of its block, not extra work at full cost.
      const full = m.units.filter((u) => u.kind !== 'shortcut').reduce((s, u) => s + unitCost(u.macs, u.channels), 0);
      expect(r.fullCost).toBe(full);
    });
    x.dispose();
    m.dispose();
  });
  it('all-on gates give the full cost and training-mode BN updates the moving statistics', () => {
    const m = buildModel(tinyResnet(), 2);
    const before = m.variable('stem/bn/mean').arraySync() as number[];
    tf.tidy(() => {
      const r = m.forwardTrain(tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 4) as tf.Tensor4D, { gates: 'all-on' });
      expect(Array.from(r.cost.dataSync())).toEqual([r.fullCost, r.fullCost]);
    });
    expect(m.variable('stem/bn/mean').arraySync()).not.toEqual(before);
    m.dispose();
  });
  it('groups trainable variables into backbone / gates / exits without the BN statistics', () => {
    const m = buildModel(tinyResnet(), 2);
    const g = m.variableGroups();
    const total = g.backbone.length + g.gates.length + g.exits.length;
    expect(total).toBe(m.specs.filter((s) => s.group !== 'stats').length);
    expect(g.gates.length).toBeGreaterThan(0);
    // per exit: conv kernel, BN gamma/beta, fc kernel/bias
    expect(g.exits.length).toBe(2 * 5);
    expect([...g.backbone, ...g.gates, ...g.exits].every((v) => v.trainable)).toBe(true);
    m.dispose();
  });
  it("exitGradient 'heads' lets the exits' losses train the exit heads only, not the backbone or the gates", () => {
    const m = buildModel(tinyResnet(), 3);
    const g = m.variableGroups();
    const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    const norms = (exitGradient: 'backbone' | 'heads') =>
      tf.tidy(() => {
        const vars = [...g.backbone, ...g.gates, ...g.exits];
        const { grads } = tf.variableGrads(() => {
          const out = m.forwardTrain(x, { training: true, updateStats: false, gates: 'learned', gateGradient: 'logit', exitGradient });
          return tf.addN(out.exitLogits.map((l) => tf.sum(tf.square(l)))) as tf.Scalar;
        }, vars);
        const norm = (vs: tf.Variable[]) => vs.reduce((a, v) => a + (grads[v.name] ? tf.sum(tf.abs(grads[v.name]!)).dataSync()[0]! : 0), 0);
        return { backbone: norm(g.backbone), gates: norm(g.gates), exits: norm(g.exits) };
      });
    const ref = norms('backbone');
    const heads = norms('heads');
    expect(ref.backbone).toBeGreaterThan(0);
    expect(ref.gates).toBeGreaterThan(0);
    expect(heads.backbone).toBe(0);
    expect(heads.gates).toBe(0);
    expect(heads.exits).toBeCloseTo(ref.exits, 3);
    x.dispose();
    m.dispose();
  });
});

describe('DenseNet batch statistics with masked channels', () => {
  it('maskedMoments leaves out the samples a channel is masked for', () => {
    // B=2, H=1, W=2, C=2; channel 1 is present in sample 0 only.
    const t = tf.tensor4d([1, 10, 3, 20, /* sample 1 */ 5, 0, 7, 0], [2, 1, 2, 2]);
    const m = maskedMoments(
      t,
      tf.tensor2d([
        [1, 1],
        [1, 0],
      ]),
    );
    expect(Array.from(m.mean.dataSync())).toEqual([4, 15]);
    expect(Array.from(m.variance.dataSync())).toEqual([5, 25]);
    expect(Array.from(m.count.dataSync())).toEqual([4, 2]);
    // Absent everywhere: zeros, not NaN.
    const none = maskedMoments(tf.zeros([2, 1, 2, 2]) as tf.Tensor4D, tf.zeros([2, 2]) as tf.Tensor2D);
    expect(Array.from(none.variance.dataSync())).toEqual([0, 0]);
  });

  it('with every channel kept, the masked statistics give the plain forward', () => {
    const m = buildModel(tinyDensenet(), 4);
    const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const on: GatePattern = { layer: [], channel: m.layout.trunk.map((u) => (u.groups > 0 ? Array(u.groups).fill(true) : null)) };
    const run = (o: Parameters<DdiModel['forwardTrain']>[1]) =>
      tf.tidy(() => Array.from(m.forwardTrain(x, { training: true, updateStats: false, ...o }).logits.dataSync()));
    const plain = run({ gates: 'all-on' });
    const forcedOn = run({ forced: [on, on, on, on] });
    forcedOn.forEach((v, i) => expect(v).toBeCloseTo(plain[i]!, 4));
    x.dispose();
    m.dispose();
  });
});

describe('gate input', () => {
  it("gateInput 'detached' keeps the cost term's gradient in the gates; the reference lets it reach the backbone", () => {
    const m = buildModel(tinyResnet(), 3);
    const g = m.variableGroups();
    const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    const norms = (gateInput: 'backbone' | 'detached') =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const out = m.forwardTrain(x, { training: true, updateStats: false, gates: 'learned', gateGradient: 'logit', gateInput });
          return tf.mean(out.cost) as tf.Scalar;
        }, [...g.backbone, ...g.gates]);
        const norm = (vs: tf.Variable[]) => vs.reduce((a, v) => a + (grads[v.name] ? tf.sum(tf.abs(grads[v.name]!)).dataSync()[0]! : 0), 0);
        return { backbone: norm(g.backbone), gates: norm(g.gates) };
      });
    const ref = norms('backbone');
    const detached = norms('detached');
    expect(ref.backbone).toBeGreaterThan(0);
    expect(detached.backbone).toBe(0);
    // Still trained, though not identically: a later gate's input no longer carries an earlier decision's gradient.
    expect(detached.gates).toBeGreaterThan(0.5 * ref.gates);
    x.dispose();
    m.dispose();
  });
});

describe('straight-through estimator', () => {
  it('gradient of the mean cost w.r.t. a channel-gate bias equals the analytic STE value', () => {
    const m = buildModel(tinyResnet(), 9);
    const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    // The last block: no gate downstream, so the only path is cost = mL·(fixed + perChannel·Σ_g m_g·|g|).
    const bias = m.variable('gate/channel5/fc2/bias');
    const { grads, value } = tf.variableGrads(() => tf.mean(m.forwardTrain(x, { training: false }).cost) as tf.Scalar, [bias]);
    const g = Array.from(grads[bias.name]!.dataSync());
    const out = tf.tidy(() => {
      const r = m.forwardTrain(x, { training: false });
      return { p: r.gates.find((q) => q.id === 'gate.channel5')!.prob.arraySync(), mL: r.gates.find((q) => q.id === 'gate.layer5')!.decision.arraySync() };
    });
    const perChannel = macTable(m.layout).entries['block5']!.perChannel;
    // d mean(cost)/d b_g = mean_b mL_b · perChannel · |group g| · p(1−p)   (STE: d decision/d p = 1)
    const expected = [0, 1, 2, 3].map((gi) => out.p.reduce((s, row, b) => s + out.mL[b]![0]! * perChannel * 2 * row[gi]! * (1 - row[gi]!), 0) / out.p.length);
    for (let i = 0; i < 4; i++) expect(g[i]!).toBeCloseTo(expected[i]!, 2);
    expect(g.some((v) => Math.abs(v) > 0)).toBe(true);
    tf.dispose([value, ...Object.values(grads)]);
    x.dispose();
    m.dispose();
  });
  it('forwards the hard 0.5 threshold and passes the gradient to p unchanged', () => {
    const p = tf.tensor1d([0.2, 0.5, 0.51, 0.9]);
    const w = tf.tensor1d([1, 2, 3, 4]);
    const f = (q: tf.Tensor) => tf.sum(tf.mul(hardThresholdSTE(q), w));
    expect(Array.from(hardThresholdSTE(p).dataSync())).toEqual([0, 0, 1, 1]);
    expect(Array.from(tf.grad(f)(p).dataSync())).toEqual([1, 2, 3, 4]);
  });
  it('the logit STE decides like the reference and keeps a gradient where the sigmoid saturates', () => {
    const z = tf.tensor1d([-12, -0.1, 0, 0.1, 12]);
    const w = tf.tensor1d([1, 2, 3, 4, 5]);
    expect(Array.from(hardGateFromLogit(z).dataSync())).toEqual(Array.from(hardThresholdSTE(tf.sigmoid(z)).dataSync()));
    const viaLogit = tf
      .grad((q: tf.Tensor) => tf.sum(tf.mul(hardGateFromLogit(q), w)))(z)
      .dataSync();
    const viaSigmoid = tf
      .grad((q: tf.Tensor) => tf.sum(tf.mul(hardThresholdSTE(tf.sigmoid(q)), w)))(z)
      .dataSync();
    expect(Array.from(viaLogit)).toEqual([1, 2, 3, 4, 5].map((v) => v * LOGIT_STE_SLOPE));
    // At the threshold both forms agree; a confident gate (|z| = 12) gets ~6e-6 of it from the sigmoid form.
    expect(viaSigmoid[2]).toBeCloseTo(viaLogit[2]!, 6);
    expect(viaSigmoid[4]! / viaLogit[4]!).toBeLessThan(1e-4);
    tf.dispose([z, w]);
  });
  it('the bounded logit STE stops pushing a saturated gate outwards and still pulls it back', () => {
    const z = tf.tensor1d([-12, -LOGIT_STE_BOUND + 1, 0, LOGIT_STE_BOUND - 1, 12]);
    expect(Array.from(hardGateFromLogitBounded(z).dataSync())).toEqual(Array.from(hardGateFromLogit(z).dataSync()));
    // + 0 turns -0 into 0.
    const grad = (w: number[]) =>
      Array.from(
        tf
          .grad((q: tf.Tensor) => tf.sum(tf.mul(hardGateFromLogitBounded(q), tf.tensor1d(w))))(z)
          .dataSync(),
        (v) => v + 0,
      );
    const s = LOGIT_STE_SLOPE;
    // dy > 0: descent lowers z. Outward only for z = -12.
    expect(grad([1, 1, 1, 1, 1])).toEqual([0, s, s, s, s]);
    // dy < 0: descent raises z. Outward only for z = +12.
    expect(grad([-1, -1, -1, -1, -1])).toEqual([-s, -s, -s, -s, 0]);
    z.dispose();
  });
  it('gives gate parameters a non-zero gradient through the cost term', () => {
    const m = buildModel(tinyResnet(), 9);
    const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const gateVars = m.variableGroups().gates;
    const { grads, value } = tf.variableGrads(() => tf.mean(m.forwardTrain(x, { training: false }).cost) as tf.Scalar, gateVars);
    const fc2 = m.variable('gate/channel2/fc2/bias');
    const gsum = tf.tidy(() => tf.sum(tf.abs(grads[fc2.name]!)).dataSync()[0]!);
    expect(gsum).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads)]);
    x.dispose();
    m.dispose();
  });
});
