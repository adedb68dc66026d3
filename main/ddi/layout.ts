/**
 * The unit layout of a model: every unit the engine executes (stem, residual blocks / dense layers,
 * transitions, gates, exit heads, classifier) with its tensor shapes. Parameters, cost and both
 * forward paths are derived from this one description, so they cannot disagree.
 */
import type { ModelConfig } from './config';

/** A trunk unit: executed in order; blocks / dense layers ("layers") may be gated. */
export interface TrunkUnit {
  id: string;
  kind: 'stem' | 'block' | 'dense' | 'transition';
  /** Index among blocks / dense layers (the numbering used by exits.afterUnit); -1 for stem/transition. */
  layer: number;
  /** Stage (ResNet) or dense block (DenseNet) index; -1 for the stem. */
  stage: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  stride: number;
  /** ResNet: conv1 output width; DenseNet: bottleneck width. 0 for stem/transition. */
  mid: number;
  /** ResNet block has a 1×1 projection shortcut (stride or width change). */
  projection: boolean;
  /** A layer gate may skip this block (ResNet, not the first block of a stage). */
  layerGated: boolean;
  /**
   * Channels controlled by the channel gate (ResNet: conv1 outputs; DenseNet: the layer's k new channels);
   * 0 when the unit has no channel gate.
   */
  gatedChannels: number;
  /** Number of channel-gate bits (ceil(gatedChannels / groupSize)); 0 without a channel gate. */
  groups: number;
  /** Trunk index of this unit's layer gate step, i.e. the count of layer-gated blocks before it; -1 if none. */
  layerGateStep: number;
  /**
   * Which of the layer gate's per-width input projections reads this block's pooled input: the
   * stage whose width the input has (the previous stage for a downsampling block); -1 if not gated.
   */
  layerGateProj: number;
}

export interface ExitUnit {
  id: string;
  index: number;
  /** Layer index (block / dense layer) after which the exit reads the features. */
  afterLayer: number;
  /** Trunk index of that layer. */
  afterTrunk: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  headWidth: number;
}

export interface Layout {
  config: ModelConfig;
  trunk: TrunkUnit[];
  exits: ExitUnit[];
  /** Features entering the classifier. */
  finalH: number;
  finalW: number;
  finalC: number;
  numLayers: number;
  /** Number of layer-gated blocks (= LSTM steps). */
  layerGateSteps: number;
  /** Per-stage channel width seen by the layer gate's input projection (ResNet); empty for DenseNet. */
  stageWidths: number[];
}

/** Group g of a gated unit covers channels [g*groupSize, min((g+1)*groupSize, C)). */
export function groupSizes(channels: number, groupSize: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < channels; s += groupSize) out.push(Math.min(groupSize, channels - s));
  return out;
}

/** Kept channel indices for a list of kept-group flags. */
export function keptChannelIndices(channels: number, groupSize: number, keep: ArrayLike<number | boolean>): number[] {
  const out: number[] = [];
  for (let c = 0; c < channels; c++) if (keep[Math.floor(c / groupSize)]) out.push(c);
  return out;
}

const half = (n: number) => Math.ceil(n / 2);

export function buildLayout(config: ModelConfig): Layout {
  const trunk: TrunkUnit[] = [];
  const g = config.gates;
  const { height: H0, width: W0, channels: C0 } = config.input;
  let h = H0;
  let w = W0;
  let c: number;
  let layer = 0;
  let gateStep = 0;
  const stageWidths: number[] = [];
  const base = { mid: 0, projection: false, layerGated: false, gatedChannels: 0, groups: 0, layerGateStep: -1, layerGateProj: -1 };
  if (config.kind === 'resnet') {
    c = config.widths[0];
    trunk.push({ ...base, id: 'stem', kind: 'stem', layer: -1, stage: -1, inH: h, inW: w, inC: C0, outH: h, outW: w, outC: c, stride: 1 });
    for (let s = 0; s < 3; s++) {
      const width = config.widths[s]!;
      stageWidths.push(width);
      for (let b = 0; b < config.blocksPerStage[s]!; b++) {
        const stride = s > 0 && b === 0 ? 2 : 1;
        const oh = stride === 2 ? half(h) : h;
        const ow = stride === 2 ? half(w) : w;
        // Block 0 of the net always runs; a stage's downsampling block only with skipDownsampling.
        const layerGated = g.layer && (b > 0 || (s > 0 && g.skipDownsampling));
        trunk.push({
          ...base,
          id: `block${layer}`,
          kind: 'block',
          layer,
          stage: s,
          inH: h,
          inW: w,
          inC: c,
          outH: oh,
          outW: ow,
          outC: width,
          stride,
          mid: width,
          projection: stride !== 1 || c !== width,
          layerGated,
          gatedChannels: g.channel ? width : 0,
          groups: g.channel ? Math.ceil(width / g.groupSize) : 0,
          layerGateStep: layerGated ? gateStep++ : -1,
          layerGateProj: layerGated ? (b === 0 ? s - 1 : s) : -1,
        });
        h = oh;
        w = ow;
        c = width;
        layer++;
      }
    }
  } else {
    c = config.stemChannels;
    const k = config.growthRate;
    trunk.push({ ...base, id: 'stem', kind: 'stem', layer: -1, stage: -1, inH: h, inW: w, inC: C0, outH: h, outW: w, outC: c, stride: 1 });
    config.blockConfig.forEach((n, s) => {
      for (let j = 0; j < n; j++) {
        // The very first dense layer of the network always runs in full (as in the released DDI code).
        const gated = g.channel && layer > 0;
        trunk.push({
          ...base,
          id: `dense${layer}`,
          kind: 'dense',
          layer,
          stage: s,
          inH: h,
          inW: w,
          inC: c,
          outH: h,
          outW: w,
          outC: c + k,
          stride: 1,
          mid: config.bottleneckFactor * k,
          gatedChannels: gated ? k : 0,
          groups: gated ? Math.ceil(k / g.groupSize) : 0,
        });
        c += k;
        layer++;
      }
      if (s < config.blockConfig.length - 1) {
        const oc = Math.max(1, Math.floor(c * config.compression));
        // 2×2 average pool, stride 2, valid padding.
        const oh = Math.floor(h / 2);
        const ow = Math.floor(w / 2);
        trunk.push({ ...base, id: `transition${s}`, kind: 'transition', layer: -1, stage: s, inH: h, inW: w, inC: c, outH: oh, outW: ow, outC: oc, stride: 2 });
        h = oh;
        w = ow;
        c = oc;
      }
    });
  }
  const exits: ExitUnit[] = config.exits.afterUnit.map((afterLayer, index) => {
    const t = trunk.findIndex((u) => u.layer === afterLayer);
    const u = trunk[t]!;
    return {
      id: `exit${index}`,
      index,
      afterLayer,
      afterTrunk: t,
      inH: u.outH,
      inW: u.outW,
      inC: u.outC,
      outH: half(u.outH),
      outW: half(u.outW),
      headWidth: config.exits.headWidth,
    };
  });
  return { config, trunk, exits, finalH: h, finalW: w, finalC: c, numLayers: layer, layerGateSteps: gateStep, stageWidths };
}
