/**
 * CRC-32 of a stored sample chunk: the data BLOB followed by the digital BLOB when there is one.
 * The same CRC-32 as zlib, gzip and PNG (polynomial 0xEDB88320 reflected; check value of "123456789"
 * is 0xCBF43926). Node ≥ 20.15 has it natively as zlib.crc32; the table version is for older runtimes.
 */
import * as zlib from 'node:zlib';

type Crc32 = (data: Uint8Array, value?: number) => number;

let table: Uint32Array | undefined;

/** Byte-wise table CRC-32, continuing from `value` like zlib.crc32(data, value). */
export function crc32Table(data: Uint8Array, value = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const native = (zlib as { crc32?: Crc32 }).crc32;
export const crc32: Crc32 = native ? (data, value) => native(data, value ?? 0) : crc32Table;

/** The checksum stored in sample_chunks.crc32 (an unsigned 32-bit integer). */
export function chunkCrc(data: Uint8Array, digital: Uint8Array | null | undefined): number {
  const c = crc32(data);
  return digital ? crc32(digital, c) : c;
}
