/**
 * Image classification data sets held in memory as uint8 HWC pixels (Fashion-MNIST's 60k train
 * images are 47 MB this way; float32 would be 188 MB). Batches are converted to float tensors
 * on demand by the training loop and the evaluator.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { UserError } from '../../util/errors';
import { parseIdxImages, parseIdxLabels } from './idx';
import { DEBIAN_FASHION_MNIST_DIR, sampleDir } from './paths';

export type Split = 'train' | 'test';

export interface ImageDataset {
  /** Human-readable origin, e.g. "fashion-mnist test (10000)". */
  name: string;
  n: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  classNames: string[];
  /** n × height × width × channels bytes, row-major HWC per image. */
  images: Uint8Array;
  labels: Uint8Array;
}

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

const IDX_PREFIX: Record<Split, string[]> = { train: ['train'], test: ['t10k', 'test'] };

function findIdxPair(dir: string, split: Split): { images: string; labels: string } | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const prefix of IDX_PREFIX[split]) {
    const images = names.find((f) => f.startsWith(`${prefix}-images-idx3-ubyte`));
    const labels = names.find((f) => f.startsWith(`${prefix}-labels-idx1-ubyte`));
    if (images && labels) return { images: join(dir, images), labels: join(dir, labels) };
  }
  return undefined;
}

function hasIdxFiles(dir: string): boolean {
  try {
    return readdirSync(dir).some((f) => /-idx[13]-ubyte/.test(f));
  } catch {
    return false;
  }
}

/** Loads one split of an IDX folder (train-/t10k- prefixed files, gzipped or not). */
export function loadIdxFolder(dir: string, split: Split, classNames?: string[]): ImageDataset {
  const pair = findIdxPair(dir, split);
  if (!pair) {
    const want = split === 'train' ? 'train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]' : 't10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]';
    throw new UserError(`${dir} has no ${split} split; it needs ${want}.`, 'bad-dataset');
  }
  const img = parseIdxImages(readFileSync(pair.images), pair.images);
  const labels = parseIdxLabels(readFileSync(pair.labels), pair.labels);
  if (labels.length !== img.n) {
    throw new UserError(`${pair.images} holds ${img.n} images but ${pair.labels} holds ${labels.length} labels; use files from the same release.`, 'bad-dataset');
  }
  let maxLabel = 0;
  for (const l of labels) maxLabel = Math.max(maxLabel, l);
  const numClasses = classNames?.length ?? maxLabel + 1;
  if (maxLabel >= numClasses) {
    throw new UserError(`${pair.labels} contains label ${maxLabel} but the data set has ${numClasses} classes; check the labels file.`, 'bad-dataset');
  }
  return {
    name: `${dir} ${split} (${img.n})`,
    n: img.n,
    height: img.height,
    width: img.width,
    channels: 1,
    numClasses,
    classNames: classNames ?? Array.from({ length: numClasses }, (_, i) => String(i)),
    images: img.data,
    labels,
  };
}

const IMAGE_EXT = /\.png$/i;

function listClassDirs(root: string): string[] {
  return readdirSync(root)
    .filter((d) => !d.startsWith('.') && statSync(join(root, d)).isDirectory())
    .sort();
}

/**
 * Folder-of-images-per-class: ROOT/<class>/*.png, or ROOT/train/<class>/ and ROOT/test/<class>/
 * for separate splits. Classes are the sorted folder names. Colour images keep 3 channels unless
 * every image is grey (R = G = B), in which case they become 1-channel like Fashion-MNIST.
 */
export function loadImageFolder(root: string, split: Split): ImageDataset {
  let base = root;
  const splitDirs = listClassDirs(root);
  if (splitDirs.includes('train') || splitDirs.includes('test')) {
    base = join(root, split);
    if (!existsSync(base)) throw new UserError(`${root} has no ${split}/ folder; add ${split}/<class>/*.png or use a flat <class>/*.png layout.`, 'bad-dataset');
  }
  const classNames = listClassDirs(base);
  if (classNames.length < 2) {
    throw new UserError(`${base} needs at least two class folders of PNG images (found ${classNames.length}); arrange images as <class>/*.png.`, 'bad-dataset');
  }
  const decoded: { rgba: Uint8Array; label: number; file: string }[] = [];
  let height = -1;
  let width = -1;
  let colour = false;
  classNames.forEach((cls, label) => {
    const files = readdirSync(join(base, cls)).filter((f) => IMAGE_EXT.test(f)).sort();
    for (const f of files) {
      const file = join(base, cls, f);
      let png: PNG;
      try {
        png = PNG.sync.read(readFileSync(file));
      } catch (e) {
        throw new UserError(`${file} is not a readable PNG (${(e as Error).message}); fix or remove it.`, 'bad-dataset');
      }
      if (height < 0) [height, width] = [png.height, png.width];
      if (png.height !== height || png.width !== width) {
        throw new UserError(`${file} is ${png.width}x${png.height} but earlier images are ${width}x${height}; resize all images to one size.`, 'bad-dataset');
      }
      const d = png.data;
      for (let i = 0; i < d.length && !colour; i += 4) if (d[i] !== d[i + 1] || d[i] !== d[i + 2]) colour = true;
      decoded.push({ rgba: d, label, file });
    }
  });
  if (decoded.length === 0) throw new UserError(`${base} contains no PNG images; put images in <class>/*.png.`, 'bad-dataset');
  const channels = colour ? 3 : 1;
  const px = height * width;
  const images = new Uint8Array(decoded.length * px * channels);
  const labels = new Uint8Array(decoded.length);
  decoded.forEach((img, i) => {
    labels[i] = img.label;
    const off = i * px * channels;
    for (let p = 0; p < px; p++) {
      for (let c = 0; c < channels; c++) images[off + p * channels + c] = img.rgba[p * 4 + c] ?? 0;
    }
  });
  return { name: `${base} (${decoded.length})`, n: decoded.length, height, width, channels, numClasses: classNames.length, classNames, images, labels };
}

/**
 * Resolves a `--dataset` value: "fashion-mnist" (Debian package), "sample" (the shipped 1000
 * test images), or a directory holding IDX files or class folders.
 */
export function loadDataset(spec: string, split: Split): ImageDataset {
  if (spec === 'fashion-mnist') {
    const dir = process.env['DDI_FASHION_MNIST_DIR'] ?? DEBIAN_FASHION_MNIST_DIR;
    if (!findIdxPair(dir, split)) {
      throw new UserError(
        `Fashion-MNIST is not installed at ${dir}; install the Debian package dataset-fashion-mnist or pass --dataset DIR with the IDX files.`,
        'bad-dataset',
      );
    }
    const ds = loadIdxFolder(dir, split, FASHION_MNIST_CLASSES);
    return { ...ds, name: `fashion-mnist ${split} (${ds.n})` };
  }
  if (spec === 'sample') {
    if (split !== 'test') throw new UserError('The shipped sample holds test images only; use --split test or --dataset fashion-mnist.', 'bad-dataset');
    const ds = loadIdxFolder(sampleDir(), 'test', FASHION_MNIST_CLASSES);
    return { ...ds, name: `fashion-mnist sample (${ds.n})` };
  }
  if (!existsSync(spec) || !statSync(spec).isDirectory()) {
    throw new UserError(`Dataset "${spec}" is neither fashion-mnist, sample nor an existing folder; pass one of those.`, 'bad-dataset');
  }
  return hasIdxFiles(spec) ? loadIdxFolder(spec, split) : loadImageFolder(spec, split);
}

/** A subset by index list (order kept). */
export function subset(ds: ImageDataset, indices: ArrayLike<number>, name?: string): ImageDataset {
  const per = ds.height * ds.width * ds.channels;
  const images = new Uint8Array(indices.length * per);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i] ?? 0;
    images.set(ds.images.subarray(src * per, (src + 1) * per), i * per);
    labels[i] = ds.labels[src] ?? 0;
  }
  return { ...ds, name: name ?? `${ds.name} subset (${indices.length})`, n: indices.length, images, labels };
}
