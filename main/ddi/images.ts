/**
 * Input images for inference: a PNG file or dataset rows, as NHWC float pixels in [0,1] of the
 * model's input shape. Dataset loading itself is main/ddi/data (the IDX parser).
 */
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { UserError } from '../util/errors';
import type { InputShape } from './config';
import type { ImageDataset } from './data/dataset';

/** Reads a PNG as [0,1] pixels of the given input shape (grey → 1 channel, colour → mean for 1-channel models). */
export function loadPngImage(path: string, input: InputShape): Float32Array {
  let png: PNG;
  try {
    png = PNG.sync.read(readFileSync(path));
  } catch (e) {
    throw new UserError(`${path} is not a readable PNG image (${(e as Error).message}); pass a PNG file.`, 'bad-input');
  }
  if (png.height !== input.height || png.width !== input.width) {
    throw new UserError(`${path} is ${png.width}×${png.height} but the model expects ${input.width}×${input.height}; resize the image first.`, 'bad-input');
  }
  const px = input.height * input.width;
  const out = new Float32Array(px * input.channels);
  for (let p = 0; p < px; p++) {
    const r = png.data[p * 4]!;
    const g = png.data[p * 4 + 1]!;
    const b = png.data[p * 4 + 2]!;
    if (input.channels === 1) out[p] = (r + g + b) / 3 / 255;
    else {
      out[p * 3] = r / 255;
      out[p * 3 + 1] = g / 255;
      out[p * 3 + 2] = b / 255;
    }
  }
  return out;
}

/** Rows `indices` of a dataset as [0,1] float pixels; checks the shape against the model input. */
export function datasetImages(ds: ImageDataset, indices: number[], input: InputShape): Float32Array {
  if (ds.height !== input.height || ds.width !== input.width || ds.channels !== input.channels) {
    throw new UserError(
      `Dataset ${ds.name} has ${ds.width}×${ds.height}×${ds.channels} images but the model expects ${input.width}×${input.height}×${input.channels}; pick a matching model or dataset.`,
      'bad-input',
    );
  }
  const per = ds.height * ds.width * ds.channels;
  const out = new Float32Array(indices.length * per);
  indices.forEach((idx, i) => {
    if (!Number.isInteger(idx) || idx < 0 || idx >= ds.n) throw new UserError(`Sample index ${idx} is outside the dataset (0..${ds.n - 1}).`, 'bad-input');
    const src = ds.images.subarray(idx * per, (idx + 1) * per);
    for (let j = 0; j < per; j++) out[i * per + j] = src[j]! / 255;
  });
  return out;
}
