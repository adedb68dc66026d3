/**
 * Cost model. Every unit has an exact, per-sample cost that is affine in the number of channels it
 * keeps:   cost = fixed + (kept > 0 ? anyChannel : 0) + perChannel · kept
 * (ResNet block: kept conv1 output channels; dense layer: kept new channels; other units: kept = 0
 * and only `fixed` applies). A skipped unit costs 0. Gates and exit heads are units and are counted.
 *
 * MAC convention (documented in README): multiply-accumulates of convolutions, fully connected
 * layers, LSTM matmuls and the per-channel affine of a batch norm that cannot be folded into a conv
 * (DenseNet pre-activation BN). Folded BNs, biases, ReLUs, pooling and additions are not MACs.
 * FLOPs are only ever shown as 2 × MACs and labelled so.
 */
import type { Layout, TrunkUnit } from './layout';
import type { CostKind } from '../domain/budget';
export { COST_UNITS, type CostKind } from '../domain/budget';
export { flopsLabel, formatCost } from '../domain/cost-format';

/** Affine cost of one unit in the table's unit. */
export interface UnitCost {
  fixed: number;
  anyChannel: number;
  perChannel: number;
}

export interface CostTable {
  name: string;
  kind: CostKind;
  /** 'MAC', 's' or 'J'. */
  unit: string;
  /** Where the numbers come from (e.g. "exact MAC count", "Horowitz 45 nm preset", "profiled on wasm"). */
  source: string;
  /** For measured tables: the backend they were measured on. */
  backend?: { name: string; version: string };
  createdAt?: string;
  entries: Record<string, UnitCost>;
}

/** Full description of one unit for the cost report. */
export interface UnitInfo {
  id: string;
  /** 'shortcut': what a skipped downsampling block still runs (its projection); charged instead of the block. */
  kind: 'stem' | 'block' | 'shortcut' | 'dense' | 'transition' | 'layer-gate' | 'channel-gate' | 'exit' | 'classifier';
  /** Controllable channels (ResNet conv1 outputs / dense new channels); 0 if not applicable. */
  channels: number;
  params: number;
  macs: UnitCost;
  /** Per-sample activation bytes (float32) read and written, affine in kept channels like MACs. */
  activationBytes: UnitCost;
  /** Bytes of inference weights (BN folded), affine in kept channels. */
  weightBytes: UnitCost;
}

const F32 = 4;
const zero = (): UnitCost => ({ fixed: 0, anyChannel: 0, perChannel: 0 });

function trunkInfo(u: TrunkUnit, layout: Layout): UnitInfo {
  const cfg = layout.config;
  const hw = u.outH * u.outW;
  const inBytes = u.inH * u.inW * u.inC * F32;
  const outBytes = u.outH * u.outW * u.outC * F32;
  if (u.kind === 'stem') {
    const w = 9 * u.inC * u.outC;
    const bias = cfg.kind === 'resnet' ? u.outC : 0;
    const bnParams = cfg.kind === 'resnet' ? 2 * u.outC : 0;
    return {
      id: u.id,
      kind: 'stem',
      channels: 0,
      params: w + bnParams,
      macs: { ...zero(), fixed: hw * w },
      activationBytes: { ...zero(), fixed: inBytes + outBytes },
      weightBytes: { ...zero(), fixed: (w + bias) * F32 },
    };
  }
  if (u.kind === 'block') {
    const proj = u.projection ? u.inC * u.outC : 0;
    return {
      id: u.id,
      kind: 'block',
      channels: u.mid,
      params: 9 * u.inC * u.mid + 9 * u.mid * u.outC + proj + 2 * (u.mid + u.outC + (u.projection ? u.outC : 0)),
      macs: { fixed: hw * proj, anyChannel: 0, perChannel: hw * 9 * (u.inC + u.outC) },
      // input + output always; the conv1 activation scales with kept channels.
      activationBytes: { fixed: inBytes + outBytes, anyChannel: 0, perChannel: hw * F32 },
      weightBytes: {
        fixed: (proj + u.outC + (u.projection ? u.outC : 0)) * F32,
        anyChannel: 0,
        perChannel: (9 * u.inC + 1 + 9 * u.outC) * F32,
      },
    };
  }
  if (u.kind === 'dense') {
    const k = u.outC - u.inC;
    const hwIn = u.inH * u.inW;
    return {
      id: u.id,
      kind: 'dense',
      channels: k,
      params: 2 * u.inC + u.inC * u.mid + 2 * u.mid + 9 * u.mid * k,
      macs: { fixed: 0, anyChannel: hwIn * u.inC * (u.mid + 1), perChannel: hw * 9 * u.mid },
      activationBytes: { fixed: inBytes, anyChannel: hwIn * u.mid * F32, perChannel: hw * F32 },
      weightBytes: { fixed: 0, anyChannel: (2 * u.inC + u.inC * u.mid + u.mid) * F32, perChannel: 9 * u.mid * F32 },
    };
  }
  // transition: BN affine + 1×1 conv at input resolution, then 2×2 average pool.
  const hwIn = u.inH * u.inW;
  return {
    id: u.id,
    kind: 'transition',
    channels: 0,
    params: 2 * u.inC + u.inC * u.outC,
    macs: { ...zero(), fixed: hwIn * u.inC * (u.outC + 1) },
    activationBytes: { ...zero(), fixed: inBytes + hwIn * u.outC * F32 + outBytes },
    weightBytes: { ...zero(), fixed: (2 * u.inC + u.inC * u.outC) * F32 },
  };
}

/** Id of the cost entry charged when a downsampling block is skipped (its projection shortcut runs). */
export const shortcutId = (blockId: string) => `${blockId}.shortcut`;

/** The projection shortcut of a layer-gated downsampling block; its params belong to the block. */
function shortcutInfo(u: TrunkUnit): UnitInfo {
  const hw = u.outH * u.outW;
  const proj = u.inC * u.outC;
  return {
    id: shortcutId(u.id),
    kind: 'shortcut',
    channels: 0,
    params: 0,
    macs: { ...zero(), fixed: hw * proj },
    activationBytes: { ...zero(), fixed: (u.inH * u.inW * u.inC + hw * u.outC) * F32 },
    weightBytes: { ...zero(), fixed: (proj + u.outC) * F32 },
  };
}

/** Every unit of the model with its exact MACs, params and bytes, in execution order. */
export function unitInfos(layout: Layout): UnitInfo[] {
  const cfg = layout.config;
  const out: UnitInfo[] = [];
  const g = cfg.gates;
  const h = g.layerHidden;
  const stagesSeen = new Set<number>();
  for (const u of layout.trunk) {
    if (u.layerGated) {
      // Per-stage 1×1 projection of the pooled input to h, one shared LSTM step, linear h→1.
      const macs = u.inC * h + 4 * (2 * h) * h + h;
      const first = !stagesSeen.has(u.layerGateProj);
      stagesSeen.add(u.layerGateProj);
      out.push({
        id: `gate.layer${u.layer}`,
        kind: 'layer-gate',
        channels: 0,
        // Per-stage projections are reported with the stage's first gate, the shared LSTM and head
        // with the first gate overall.
        params: (first ? u.inC * h + h : 0) + (u.layerGateStep === 0 ? 8 * h * h + 4 * h + h + 1 : 0),
        macs: { ...zero(), fixed: macs },
        activationBytes: { ...zero(), fixed: u.inH * u.inW * u.inC * F32 },
        weightBytes: { ...zero(), fixed: (u.inC * h + h + 8 * h * h + 4 * h + h + 1) * F32 },
      });
    }
    if (u.groups > 0) {
      const macs = u.inC * g.channelHidden + g.channelHidden * u.groups;
      out.push({
        id: `gate.channel${u.layer}`,
        kind: 'channel-gate',
        channels: 0,
        params: macs + g.channelHidden + u.groups,
        macs: { ...zero(), fixed: macs },
        activationBytes: { ...zero(), fixed: u.inH * u.inW * u.inC * F32 },
        weightBytes: { ...zero(), fixed: (macs + g.channelHidden + u.groups) * F32 },
      });
    }
    out.push(trunkInfo(u, layout));
    if (u.layerGated && u.projection) out.push(shortcutInfo(u));
    for (const e of layout.exits) {
      if (e.afterTrunk !== layout.trunk.indexOf(u)) continue;
      const conv = 9 * e.inC * e.headWidth;
      const fc = e.headWidth * cfg.numClasses;
      out.push({
        id: e.id,
        kind: 'exit',
        channels: 0,
        params: conv + 2 * e.headWidth + fc + cfg.numClasses,
        macs: { ...zero(), fixed: e.outH * e.outW * conv + fc },
        activationBytes: { ...zero(), fixed: (e.inH * e.inW * e.inC + e.outH * e.outW * e.headWidth) * F32 },
        weightBytes: { ...zero(), fixed: (conv + e.headWidth + fc + cfg.numClasses) * F32 },
      });
    }
  }
  const C = layout.finalC;
  const bn = cfg.kind === 'densenet' ? layout.finalH * layout.finalW * C : 0;
  const fc = C * cfg.numClasses;
  out.push({
    id: 'classifier',
    kind: 'classifier',
    channels: 0,
    params: fc + cfg.numClasses + (cfg.kind === 'densenet' ? 2 * C : 0),
    macs: { ...zero(), fixed: bn + fc },
    activationBytes: { ...zero(), fixed: layout.finalH * layout.finalW * C * F32 },
    weightBytes: { ...zero(), fixed: (fc + cfg.numClasses + (cfg.kind === 'densenet' ? 2 * C : 0)) * F32 },
  });
  return out;
}

/** Cost of one unit given how many of its channels are kept (skipped unit → call with executed=false). */
export function unitCost(c: UnitCost, kept: number): number {
  return c.fixed + (kept > 0 ? c.anyChannel : 0) + c.perChannel * kept;
}

/** The exact MAC table. */
export function macTable(layout: Layout): CostTable {
  const entries: Record<string, UnitCost> = {};
  for (const u of unitInfos(layout)) entries[u.id] = { ...u.macs };
  return { name: 'macs', kind: 'macs', unit: 'MAC', source: 'exact MAC count from the layout', entries };
}

/** Energy preset: per-MAC energy plus per-byte energies for weights and activations. */
export interface EnergyPreset {
  name: string;
  source: string;
  /** Joules per MAC. */
  perMac: number;
  /** Joules per weight byte (read once per inference at batch 1: DRAM rate). */
  perWeightByte: number;
  /** Joules per activation byte when the unit's activations fit the on-chip buffer. */
  perActivationByteOnChip: number;
  /** Joules per activation byte otherwise. */
  perActivationByteOffChip: number;
  /** On-chip buffer size in bytes. */
  bufferBytes: number;
}

export const ENERGY_PRESETS: Record<string, EnergyPreset> = {
  // Horowitz, ISSCC 2014, 45 nm 0.9 V: fp32 mult 3.7 pJ + add 0.9 pJ = 4.6 pJ per MAC; 32-bit read
  // from an 8 KB SRAM ≈ 5 pJ (1.25 pJ/byte); 32-bit DRAM read ≈ 640 pJ (160 pJ/byte).
  'horowitz-45nm': {
    name: 'horowitz-45nm',
    source: 'Horowitz, ISSCC 2014 (45 nm): 4.6 pJ/fp32 MAC, 1.25 pJ/B SRAM, 160 pJ/B DRAM; 64 KiB buffer assumed',
    perMac: 4.6e-12,
    perWeightByte: 160e-12,
    perActivationByteOnChip: 1.25e-12,
    perActivationByteOffChip: 160e-12,
    bufferBytes: 64 * 1024,
  },
};

/** Predicted-energy table from a preset. Activation bytes are charged on- or off-chip per unit at full width. */
export function energyTable(layout: Layout, preset: EnergyPreset): CostTable {
  const entries: Record<string, UnitCost> = {};
  for (const u of unitInfos(layout)) {
    const full = unitCost(u.activationBytes, u.channels);
    const perAct = full <= preset.bufferBytes ? preset.perActivationByteOnChip : preset.perActivationByteOffChip;
    const f = (k: keyof UnitCost) => u.macs[k] * preset.perMac + u.weightBytes[k] * preset.perWeightByte + u.activationBytes[k] * perAct;
    entries[u.id] = { fixed: f('fixed'), anyChannel: f('anyChannel'), perChannel: f('perChannel') };
  }
  return { name: `energy:${preset.name}`, kind: 'energy', unit: 'J', source: preset.source, entries };
}

/** Total MACs of the full (static) network, without gates: what a plain backbone + exits costs. */
export function summarizeCost(layout: Layout) {
  const infos = unitInfos(layout);
  const full = (kinds: UnitInfo['kind'][]) => infos.filter((u) => kinds.includes(u.kind)).reduce((s, u) => s + unitCost(u.macs, u.channels), 0);
  return {
    backboneMacs: full(['stem', 'block', 'dense', 'transition', 'classifier']),
    gateMacs: full(['layer-gate', 'channel-gate']),
    exitMacs: full(['exit']),
    params: infos.reduce((s, u) => s + u.params, 0),
  };
}
