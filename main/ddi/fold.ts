/**
 * BatchNorm folding for inference, as plain arrays. The arithmetic is TfjsRuntime's (scale and
 * shift rounded to float32 first, then one float32 product per kernel value), so an exported
 * graph holds bit-identical weights to the ones the tfjs runtime uses.
 */
import { BN_EPSILON } from './model';

export type ValueOf = (name: string) => Float32Array;

/** Per-channel y = x·scale + shift of an inference-mode BN layer. */
export function bnScaleShift(get: ValueOf, bn: string): { scale: Float32Array; shift: Float32Array } {
  const g = get(`${bn}/gamma`);
  const b = get(`${bn}/beta`);
  const m = get(`${bn}/mean`);
  const v = get(`${bn}/variance`);
  const scale = new Float32Array(g.length);
  const shift = new Float32Array(g.length);
  for (let i = 0; i < g.length; i++) {
    scale[i] = g[i]! / Math.sqrt(v[i]! + BN_EPSILON);
    shift[i] = b[i]! - m[i]! * scale[i]!;
  }
  return { scale, shift };
}

/** An HWIO kernel (output channel last) with the BN that follows it folded in: the shift becomes the bias. */
export function foldConv(kernel: Float32Array, outChannels: number, get: ValueOf, bn: string): { kernel: Float32Array; bias: Float32Array } {
  const { scale, shift } = bnScaleShift(get, bn);
  const folded = new Float32Array(kernel.length);
  for (let i = 0; i < kernel.length; i++) folded[i] = kernel[i]! * scale[i % outChannels]!;
  return { kernel: folded, bias: shift };
}
