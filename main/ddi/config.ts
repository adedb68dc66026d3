/**
 * Model configuration types for the DDI engine: backbones (CIFAR-style ResNet, DenseNet-BC), gates
 * (layer and channel), early exits. A config is plain JSON: it is stored verbatim in model.json and
 * fully determines the parameter list, the unit layout and the cost of every unit.
 */
import { UserError } from '../util/errors';

export interface InputShape {
  height: number;
  width: number;
  channels: number;
}

export interface GateConfig {
  /** SkipNet-style recurrent layer gate (one LSTM shared by all gated blocks). ResNet only. */
  layer: boolean;
  /** Feed-forward channel gate per block (ResNet) or per dense layer (DenseNet). */
  channel: boolean;
  /** Channels per channel-gate bit. 1 = one bit per channel. */
  groupSize: number;
  /** Hidden width of the channel gate's two-layer MLP on the pooled unit input. */
  channelHidden: number;
  /** Embedding / LSTM hidden size of the layer gate (SkipNet uses 10). */
  layerHidden: number;
  /**
   * The layer gate may also skip the first (downsampling) block of stages 2 and 3; a skipped one
   * still runs its 1×1 projection shortcut, as in SkipNet. Only the network's first block always
   * runs. Without it a ResNet-14 could skip at most half of its MACs, so a 50 % layer-only target
   * would be unreachable. Model files written before this option load with false.
   */
  skipDownsampling: boolean;
  /**
   * Initial bias of every gate's output logit. Positive values start the gates "on" (sigmoid(1) = 0.73),
   * which is what stage-2 gate training at a 100 % target wants; 0 gives mixed decisions.
   */
  initBias: number;
}

export interface ExitConfig {
  /**
   * Trunk positions after which an exit head reads the features, given as the 0-based index of the
   * residual block / dense layer after which it sits. Empty = no early exits.
   */
  afterUnit: number[];
  /** Width of the exit head's 3×3 stride-2 conv. */
  headWidth: number;
}

export interface ResNetConfig {
  kind: 'resnet';
  /** Free-text name, e.g. "resnet20". */
  name: string;
  input: InputShape;
  numClasses: number;
  /** Basic blocks per stage (3 stages). ResNet-20 = [3,3,3], -38 = [6,6,6], -74 = [12,12,12], -110 = [18,18,18]. */
  blocksPerStage: [number, number, number];
  /** Channel widths of the 3 stages (CIFAR: 16/32/64). The stem outputs widths[0]. */
  widths: [number, number, number];
  gates: GateConfig;
  exits: ExitConfig;
}

export interface DenseNetConfig {
  kind: 'densenet';
  name: string;
  input: InputShape;
  numClasses: number;
  growthRate: number;
  /** Dense layers per dense block. */
  blockConfig: number[];
  /** Bottleneck width = bottleneckFactor × growthRate (BC: 4). */
  bottleneckFactor: number;
  /** Transition compression θ (BC: 0.5). */
  compression: number;
  /** Stem output channels (CIFAR DenseNet-BC: 2 × growthRate). */
  stemChannels: number;
  gates: GateConfig;
  exits: ExitConfig;
}

export type ModelConfig = ResNetConfig | DenseNetConfig;

export const DEFAULT_GATES: GateConfig = {
  layer: true,
  channel: true,
  groupSize: 4,
  channelHidden: 16,
  layerHidden: 10,
  initBias: 1,
  skipDownsampling: true,
};

/** Default exit positions: after the units closest to ¼, ½ and ¾ of the trunk's gated units. */
export function defaultExitPositions(numUnits: number): number[] {
  const out = new Set<number>();
  for (const f of [0.25, 0.5, 0.75]) {
    const idx = Math.max(0, Math.round(f * numUnits) - 1);
    if (idx < numUnits - 1) out.add(idx);
  }
  return [...out].sort((a, b) => a - b);
}

export interface ResNetOptions {
  depth?: number;
  blocksPerStage?: [number, number, number];
  widths?: [number, number, number];
  input?: InputShape;
  numClasses?: number;
  gates?: Partial<GateConfig>;
  exits?: Partial<ExitConfig>;
  name?: string;
}

export const FASHION_MNIST_INPUT: InputShape = { height: 28, width: 28, channels: 1 };
export const CIFAR_INPUT: InputShape = { height: 32, width: 32, channels: 3 };

/** CIFAR-style ResNet: depth = 6n + 2 (ResNet-20/38/74/110 → n = 3/6/12/18). */
export function resnetConfig(opts: ResNetOptions = {}): ResNetConfig {
  let blocks = opts.blocksPerStage;
  if (!blocks) {
    const depth = opts.depth ?? 20;
    if ((depth - 2) % 6 !== 0 || depth < 8) {
      throw new UserError(`ResNet depth ${depth} is not of the form 6n+2 (8, 14, 20, 38, 74, 110, ...); pick one of those.`);
    }
    const n = (depth - 2) / 6;
    blocks = [n, n, n];
  }
  const total = blocks[0] + blocks[1] + blocks[2];
  const depth = 2 * total + 2;
  const config: ResNetConfig = {
    kind: 'resnet',
    name: opts.name ?? `resnet${depth}`,
    input: opts.input ?? FASHION_MNIST_INPUT,
    numClasses: opts.numClasses ?? 10,
    blocksPerStage: blocks,
    widths: opts.widths ?? [16, 32, 64],
    gates: { ...DEFAULT_GATES, ...opts.gates },
    exits: {
      afterUnit: opts.exits?.afterUnit ?? defaultExitPositions(total),
      headWidth: opts.exits?.headWidth ?? 32,
    },
  };
  validateConfig(config);
  return config;
}

export interface DenseNetOptions {
  growthRate?: number;
  blockConfig?: number[];
  bottleneckFactor?: number;
  compression?: number;
  stemChannels?: number;
  input?: InputShape;
  numClasses?: number;
  gates?: Partial<GateConfig>;
  exits?: Partial<ExitConfig>;
  name?: string;
}

/** DenseNet-BC for small images; default is a (6,6,6) k=12 variant suited to 28×28 inputs. */
export function densenetConfig(opts: DenseNetOptions = {}): DenseNetConfig {
  const growthRate = opts.growthRate ?? 12;
  const blockConfig = opts.blockConfig ?? [6, 6, 6];
  const total = blockConfig.reduce((a, b) => a + b, 0);
  const config: DenseNetConfig = {
    kind: 'densenet',
    name: opts.name ?? `densenet-bc-${blockConfig.join('-')}-k${growthRate}`,
    input: opts.input ?? FASHION_MNIST_INPUT,
    numClasses: opts.numClasses ?? 10,
    growthRate,
    blockConfig,
    bottleneckFactor: opts.bottleneckFactor ?? 4,
    compression: opts.compression ?? 0.5,
    stemChannels: opts.stemChannels ?? 2 * growthRate,
    // DenseNet has no layer gate in DDI: a dense layer whose channel bits are all 0 is skipped whole.
    gates: { ...DEFAULT_GATES, groupSize: Math.min(DEFAULT_GATES.groupSize, growthRate), ...opts.gates, layer: false },
    exits: {
      afterUnit: opts.exits?.afterUnit ?? defaultExitPositions(total),
      headWidth: opts.exits?.headWidth ?? 32,
    },
  };
  validateConfig(config);
  return config;
}

/** Named presets (CLI / tests / training scripts). */
export const PRESETS: Record<string, () => ModelConfig> = {
  resnet8: () => resnetConfig({ depth: 8 }),
  resnet14: () => resnetConfig({ depth: 14 }),
  resnet20: () => resnetConfig({ depth: 20 }),
  resnet38: () => resnetConfig({ depth: 38 }),
  resnet74: () => resnetConfig({ depth: 74 }),
  resnet110: () => resnetConfig({ depth: 110 }),
  'resnet38-cifar': () => resnetConfig({ depth: 38, input: CIFAR_INPUT }),
  'resnet74-cifar': () => resnetConfig({ depth: 74, input: CIFAR_INPUT }),
  'resnet110-cifar': () => resnetConfig({ depth: 110, input: CIFAR_INPUT }),
  'densenet-bc-small': () => densenetConfig(),
  'densenet-bc-40-cifar': () => densenetConfig({ blockConfig: [6, 6, 6], growthRate: 12, input: CIFAR_INPUT }),
};

function isPosInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n > 0;
}

/** Throws a UserError naming the first problem in a config. */
export function validateConfig(c: ModelConfig): void {
  const bad = (msg: string): never => {
    throw new UserError(`Invalid model config "${c.name}": ${msg}.`, 'bad-model-config');
  };
  if (!isPosInt(c.input.height) || !isPosInt(c.input.width) || !isPosInt(c.input.channels)) bad('input height, width and channels must be positive integers');
  if (!isPosInt(c.numClasses) || c.numClasses < 2) bad('numClasses must be an integer ≥ 2');
  const g = c.gates;
  if (!isPosInt(g.groupSize)) bad('gates.groupSize must be a positive integer');
  if (!isPosInt(g.channelHidden) || !isPosInt(g.layerHidden)) bad('gate hidden sizes must be positive integers');
  if (!Number.isFinite(g.initBias)) bad('gates.initBias must be a finite number');
  let numUnits: number;
  if (c.kind === 'resnet') {
    if (c.blocksPerStage.length !== 3 || !c.blocksPerStage.every(isPosInt)) bad('blocksPerStage must be 3 positive integers');
    if (c.widths.length !== 3 || !c.widths.every(isPosInt)) bad('widths must be 3 positive integers');
    numUnits = c.blocksPerStage[0] + c.blocksPerStage[1] + c.blocksPerStage[2];
  } else if (c.kind === 'densenet') {
    if (c.blockConfig.length < 1 || !c.blockConfig.every(isPosInt)) bad('blockConfig must be a list of positive integers');
    if (!isPosInt(c.growthRate) || !isPosInt(c.bottleneckFactor) || !isPosInt(c.stemChannels))
      bad('growthRate, bottleneckFactor and stemChannels must be positive integers');
    if (!(c.compression > 0 && c.compression <= 1)) bad('compression must be in (0, 1]');
    if (g.layer) bad('DenseNet has no layer gate; set gates.layer to false');
    numUnits = c.blockConfig.reduce((a, b) => a + b, 0);
  } else {
    throw new UserError(`Unknown model kind "${(c as { kind: string }).kind}"; expected "resnet" or "densenet".`, 'bad-model-config');
  }
  if (!isPosInt(c.exits.headWidth)) bad('exits.headWidth must be a positive integer');
  let prev = -1;
  for (const e of c.exits.afterUnit) {
    if (!Number.isInteger(e) || e < 0 || e >= numUnits - 1) bad(`exit position ${e} must be an integer in [0, ${numUnits - 2}] (before the last unit)`);
    if (e <= prev) bad('exit positions must be strictly increasing');
    prev = e;
  }
}
