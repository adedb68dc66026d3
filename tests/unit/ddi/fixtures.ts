import { densenetConfig, resnetConfig, type ModelConfig } from '../../../main/ddi/config';

/** Tiny ResNet: 3 stages × 2 blocks, widths 4/8/8, 8×8×1 input, both gates, group size 2, exits after blocks 1 and 3. */
export function tinyResnet(overrides: Partial<Parameters<typeof resnetConfig>[0]> = {}): ModelConfig {
  return resnetConfig({
    blocksPerStage: [2, 2, 2],
    widths: [4, 8, 8],
    input: { height: 8, width: 8, channels: 1 },
    gates: { groupSize: 2, initBias: 0, channelHidden: 4, layerHidden: 3 },
    exits: { afterUnit: [1, 3], headWidth: 4 },
    name: 'tiny-resnet',
    ...overrides,
  });
}

export function tinyDensenet(overrides: Partial<Parameters<typeof densenetConfig>[0]> = {}): ModelConfig {
  return densenetConfig({
    blockConfig: [2, 2],
    growthRate: 4,
    stemChannels: 6,
    input: { height: 8, width: 8, channels: 1 },
    gates: { groupSize: 2, initBias: 0, channelHidden: 4 },
    exits: { afterUnit: [1], headWidth: 4 },
    name: 'tiny-densenet',
    ...overrides,
  });
}

/** Deterministic pseudo-random images in [0,1]. */
export function randomImages(n: number, h: number, w: number, c: number, seed = 7): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n * h * w * c);
  for (let i = 0; i < out.length; i++) {
    a = (a * 1664525 + 1013904223) >>> 0;
    out[i] = a / 4294967296;
  }
  return out;
}
