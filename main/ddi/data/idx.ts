/**
 * IDX file format (the MNIST / Fashion-MNIST container): a big-endian header of two zero bytes,
 * a type byte (0x08 = unsigned byte, the only type these data sets use), a dimension count, then
 * one uint32 per dimension, then the values. Images are 0x00000803 (N x H x W), labels 0x00000801 (N).
 * Files may be gzipped; we detect gzip by its magic rather than trusting the file name.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../../util/errors';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parses IDX bytes (optionally gzipped); `source` names the file in error messages. */
export function parseIdx(raw: Uint8Array, source: string): IdxArray {
  let bytes = raw;
  if (isGzip(raw)) {
    try {
      bytes = gunzipSync(raw);
    } catch {
      throw new UserError(`${source} is a damaged or truncated gzip file; download or copy it again.`, 'bad-dataset');
    }
  }
  if (bytes.length < 4) {
    throw new UserError(`${source} is too short to be an IDX file (${bytes.length} bytes); replace it with a complete copy.`, 'bad-dataset');
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new UserError(`${source} does not start with an IDX magic number (expected 0x0008xx); check that it is an IDX file.`, 'bad-dataset');
  }
  if (bytes[2] !== UBYTE) {
    throw new UserError(`${source} stores IDX type 0x${(bytes[2] ?? 0).toString(16)}, but only unsigned bytes (0x08) are supported; convert it to uint8.`, 'bad-dataset');
  }
  const ndim = bytes[3] ?? 0;
  if (ndim < 1 || ndim > 4) {
    throw new UserError(`${source} declares ${ndim} dimensions; an IDX image or label file has 1 to 3, so the header is damaged.`, 'bad-dataset');
  }
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) {
    throw new UserError(`${source} is truncated inside its header; replace it with a complete copy.`, 'bad-dataset');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerLen;
  if (actual < expected) {
    throw new UserError(
      `${source} is truncated: its header promises ${expected} values (${dims.join('x')}) but only ${actual} are present; replace it with a complete copy.`,
      'bad-dataset',
    );
  }
  if (actual > expected) {
    throw new UserError(
      `${source} has ${actual - expected} bytes after the ${dims.join('x')} values its header declares, so it is damaged; replace it with a clean copy.`,
      'bad-dataset',
    );
  }
  return { dims, data: bytes.subarray(headerLen) };
}

export function readIdxFile(path: string): IdxArray {
  let raw: Uint8Array;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw new UserError(`Cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}); check the dataset path.`, 'bad-dataset');
  }
  return parseIdx(raw, path);
}

/** Images: magic 0x803, N x H x W. */
export function parseIdxImages(raw: Uint8Array, source: string): { n: number; height: number; width: number; data: Uint8Array } {
  const a = parseIdx(raw, source);
  if (a.dims.length !== 3) {
    throw new UserError(`${source} has ${a.dims.length} dimensions but an IDX image file has 3 (magic 0x00000803); pass the images file, not the labels.`, 'bad-dataset');
  }
  const [n, height, width] = a.dims as [number, number, number];
  return { n, height, width, data: a.data };
}

/** Labels: magic 0x801, N. */
export function parseIdxLabels(raw: Uint8Array, source: string): Uint8Array {
  const a = parseIdx(raw, source);
  if (a.dims.length !== 1) {
    throw new UserError(`${source} has ${a.dims.length} dimensions but an IDX label file has 1 (magic 0x00000801); pass the labels file, not the images.`, 'bad-dataset');
  }
  return a.data;
}

/** Serialises unsigned-byte values as IDX (used to write the shipped sample and test fixtures). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== data.length) throw new Error(`encodeIdx: ${data.length} values do not fill ${dims.join('x')}.`);
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
