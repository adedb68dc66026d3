import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { loadDataset, loadIdxFolder } from '../../../../main/ddi/data/dataset';
import { encodeIdx, parseIdx, parseIdxImages, parseIdxLabels } from '../../../../main/ddi/data/idx';
import { isUserError } from '../../../../main/util/errors';

/** A hand-built IDX image file: 2 images of 2x3, header bytes written out literally. */
const tinyImages = new Uint8Array([
  0,
  0,
  0x08,
  0x03, // magic 0x00000803
  0,
  0,
  0,
  2, // n = 2
  0,
  0,
  0,
  2, // rows = 2
  0,
  0,
  0,
  3, // cols = 3
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  12,
]);
const tinyLabels = new Uint8Array([0, 0, 0x08, 0x01, 0, 0, 0, 2, 7, 3]);

function expectUserError(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isUserError(e), String(e)).toBe(true);
    expect((e as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a UserError');
}

describe('IDX parser', () => {
  it('reads dims and values of a crafted image and label file, plain and gzipped', () => {
    for (const bytes of [tinyImages, gzipSync(tinyImages)]) {
      const img = parseIdxImages(bytes, 'tiny');
      expect([img.n, img.height, img.width]).toEqual([2, 2, 3]);
      expect(Array.from(img.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    }
    expect(Array.from(parseIdxLabels(tinyLabels, 'labels'))).toEqual([7, 3]);
  });

  it('round-trips through encodeIdx', () => {
    const a = parseIdx(encodeIdx([2, 2, 3], tinyImages.subarray(16)), 'x');
    expect(a.dims).toEqual([2, 2, 3]);
    expect(Array.from(a.data)).toEqual(Array.from(tinyImages.subarray(16)));
  });

  it('rejects a truncated file, a truncated gzip, a bad magic and a labels/images mix-up', () => {
    expectUserError(() => parseIdx(tinyImages.subarray(0, tinyImages.length - 1), 'cut.idx'), /cut\.idx is truncated.*12 values.*11/);
    expectUserError(() => parseIdx(tinyImages.subarray(0, 10), 'head.idx'), /truncated inside its header/);
    const gz = gzipSync(tinyImages);
    expectUserError(() => parseIdx(gz.subarray(0, gz.length - 6), 'cut.gz'), /damaged or truncated gzip/);
    expectUserError(() => parseIdx(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 'junk'), /IDX magic/);
    const extra = new Uint8Array([...tinyLabels, 99]);
    expectUserError(() => parseIdx(extra, 'long'), /1 bytes after/);
    expectUserError(() => parseIdxImages(tinyLabels, 'labels'), /has 1 dimensions but an IDX image file has 3/);
    expectUserError(() => parseIdxLabels(tinyImages, 'images'), /has 3 dimensions but an IDX label file has 1/);
  });
});

describe('dataset loader', () => {
  it('loads the shipped stratified sample: 1000 images, 100 per class', () => {
    const ds = loadDataset('sample', 'test');
    expect([ds.n, ds.height, ds.width, ds.channels, ds.numClasses]).toEqual([1000, 28, 28, 1, 10]);
    const counts = new Array(10).fill(0);
    for (const l of ds.labels) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(100));
    expect(ds.classNames[9]).toBe('Ankle boot');
    expectUserError(() => loadDataset('sample', 'train'), /test images only/);
  });

  it('loads an IDX folder and rejects a count mismatch between images and labels', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddi-idx-'));
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), tinyImages);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(tinyLabels));
    const ds = loadDataset(dir, 'train');
    expect([ds.n, ds.height, ds.width, ds.numClasses]).toEqual([2, 2, 3, 8]);
    expectUserError(() => loadIdxFolder(dir, 'test'), /no test split/);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(encodeIdx([3], new Uint8Array([1, 2, 3]))));
    expectUserError(() => loadDataset(dir, 'train'), /2 images but .* 3 labels/);
  });

  it('loads a folder of PNGs per class, sorted class names, grey images as one channel', () => {
    const root = mkdtempSync(join(tmpdir(), 'ddi-png-'));
    const write = (cls: string, name: string, grey: number, colour = false) => {
      mkdirSync(join(root, 'train', cls), { recursive: true });
      const png = new PNG({ width: 4, height: 3 });
      for (let i = 0; i < 12; i++) png.data.set([grey, colour ? 255 - grey : grey, grey, 255], i * 4);
      writeFileSync(join(root, 'train', cls, name), PNG.sync.write(png));
    };
    write('dog', 'a.png', 10);
    write('cat', 'b.png', 20);
    write('cat', 'c.png', 30);
    const ds = loadDataset(root, 'train');
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect([ds.n, ds.height, ds.width, ds.channels]).toEqual([3, 3, 4, 1]);
    expect(Array.from(ds.labels)).toEqual([0, 0, 1]);
    expect(ds.images[0]).toBe(20);
    expect(ds.images[12 * 2]).toBe(10);
    write('dog', 'd.png', 40, true);
    expect(loadDataset(root, 'train').channels).toBe(3);
    expectUserError(() => loadDataset(root, 'test'), /no test\/ folder/);
    expectUserError(() => loadDataset(join(root, 'nope'), 'train'), /neither fashion-mnist, sample nor an existing folder/);
  });
});
