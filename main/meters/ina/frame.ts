/**
 * DDI INA frame v1: the binary format our INA226 firmware emits (spec: docs/ina-frame-format.md,
 * vectors: data/meters/ina-frame-vectors.json). 20 bytes, little-endian:
 *
 *   0  u8  0xA5        sync (never valid ASCII, so text and frames can share a port)
 *   1  u8  0x5A        sync
 *   2  u8  type        0x01 = sample
 *   3  u8  flags       bit 0: INA math overflow (value saturated); other bits 0
 *   4  u16 seq         +1 per sample, wraps at 65536: loss detection
 *   6  u32 t_us        device micros() when the conversion was read: exact timing, drift check
 *  10  f32 voltage V   bus voltage
 *  14  f32 current A   signed
 *  18  u16 crc         CRC-16/CCITT-FALSE over bytes 2..17
 */
export const INA_FRAME_SIZE = 20;
export const INA_SYNC0 = 0xa5;
export const INA_SYNC1 = 0x5a;
export const INA_TYPE_SAMPLE = 0x01;
export const INA_FLAG_OVERFLOW = 0x01;

export interface InaFrame {
  seq: number;
  tUs: number;
  flags: number;
  voltageV: number;
  currentA: number;
}

export function crc16Ccitt(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i]! << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

export function encodeInaFrame(f: InaFrame): Uint8Array {
  const out = new Uint8Array(INA_FRAME_SIZE);
  const dv = new DataView(out.buffer);
  out[0] = INA_SYNC0;
  out[1] = INA_SYNC1;
  out[2] = INA_TYPE_SAMPLE;
  out[3] = f.flags & 0xff;
  dv.setUint16(4, f.seq & 0xffff, true);
  dv.setUint32(6, f.tUs >>> 0, true);
  dv.setFloat32(10, f.voltageV, true);
  dv.setFloat32(14, f.currentA, true);
  dv.setUint16(18, crc16Ccitt(out, 2, 18), true);
  return out;
}

/**
 * Decodes the frame at `offset` if it is a complete, valid v1 sample frame; otherwise undefined.
 * Valid means: both sync bytes, known type, CRC match, finite values.
 */
export function decodeInaFrame(bytes: Uint8Array, offset = 0): InaFrame | undefined {
  if (offset + INA_FRAME_SIZE > bytes.length) return undefined;
  if (bytes[offset] !== INA_SYNC0 || bytes[offset + 1] !== INA_SYNC1 || bytes[offset + 2] !== INA_TYPE_SAMPLE) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, INA_FRAME_SIZE);
  if (dv.getUint16(18, true) !== crc16Ccitt(bytes, offset + 2, offset + 18)) return undefined;
  const voltageV = dv.getFloat32(10, true);
  const currentA = dv.getFloat32(14, true);
  if (!Number.isFinite(voltageV) || !Number.isFinite(currentA)) return undefined;
  return { seq: dv.getUint16(4, true), tUs: dv.getUint32(6, true), flags: bytes[offset + 3]!, voltageV, currentA };
}
