/**
 * Sample chunk BLOB encoding: planar little-endian float32, one plane per channel in the order of
 * the chunk's channel list. Planar keeps each channel contiguous so a reader that wants only power
 * decodes one slice. 4 bytes per sample per channel.
 */
import type { Channel } from '../meters/types';

export const ENCODING = 'f32le-planar';

export function encodePlanes(planes: Float32Array[], count: number): Buffer {
  const buf = Buffer.allocUnsafe(planes.length * count * 4);
  planes.forEach((plane, c) => {
    // Copy through a Float32Array view on the Buffer: native byte order is little-endian on every
    // platform Electron ships for, and we check that once below.
    const view = new Float32Array(buf.buffer, buf.byteOffset + c * count * 4, count);
    view.set(plane.subarray(0, count));
  });
  return buf;
}

export function decodePlane(blob: Uint8Array, count: number, channels: Channel[], channel: Channel): Float32Array | undefined {
  const c = channels.indexOf(channel);
  if (c < 0) return undefined;
  const bytes = blob.slice(c * count * 4, (c + 1) * count * 4);
  if (bytes.length !== count * 4) {
    throw new Error(`sample chunk BLOB is ${blob.length} bytes, expected ${channels.length * count * 4}`);
  }
  return new Float32Array(bytes.buffer, bytes.byteOffset, count);
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
if (!littleEndian) throw new Error('DDI Profiler stores samples as little-endian float32 and needs a little-endian CPU.');

export interface PlaneStats {
  min: number;
  max: number;
  mean: number;
}

export function planeStats(plane: Float32Array, count = plane.length): PlaneStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = plane[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: count > 0 ? sum / count : NaN };
}
