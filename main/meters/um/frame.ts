/**
 * RDTech UM24C / UM25C / UM34C status frame: 130 bytes, big-endian, sent in reply to 0xF0
 * (rfinnie/rdserialtool `rdserial/um/__init__.py`; sigrokproject/libsigrok
 * `src/hardware/rdtech-um/protocol.c`). The model id in
 * the first two bytes selects the scaling; UM24C/UM25C frames end in 0xFFF1, UM34C frames carry an
 * XOR checksum of selected bytes in byte 129. Frames failing either check are rejected.
 */
import { joinBytes } from '../bytes';

export const UM_FRAME_SIZE = 130;
export const UM_REQUEST = 0xf0;

export type UmModel = 'UM24C' | 'UM25C' | 'UM34C';
export const UM_MODEL_IDS: Record<number, UmModel> = { 0x0963: 'UM24C', 0x09c9: 'UM25C', 0x0d4c: 'UM34C' };

/** Byte offsets XOR-ed into the UM34C checksum (libsigrok poll_csum_um34c). */
export const UM34C_XOR_OFFSETS = [
  1, 3, 7, 9, 15, 17, 19, 23, 31, 39, 41, 45, 49, 53, 55, 57, 59, 63, 67, 69, 73, 79, 83, 89, 97, 99, 109, 111, 113, 119, 121, 127,
];

export interface UmReading {
  model: UmModel;
  voltageV: number;
  currentA: number;
  powerW: number;
  temperatureC: number;
  temperatureF: number;
  group: number;
  /** Selected data group's accumulators, converted to SI: C (from mAh) and J (from mWh). */
  groupChargeC: number;
  groupEnergyJ: number;
  dataPlusV: number;
  dataMinusV: number;
  chargingMode: number;
  recordChargeC: number;
  recordEnergyJ: number;
  recordThresholdA: number;
  recordTimeS: number;
  recording: boolean;
  loadOhm: number;
}

export function um34cChecksum(frame: Uint8Array): number {
  let x = 0;
  for (const o of UM34C_XOR_OFFSETS) x ^= frame[o]!;
  return x;
}

/** Decodes one frame at offset, or undefined when the structure check fails. */
export function decodeUmFrame(bytes: Uint8Array, offset = 0): UmReading | undefined {
  if (offset + UM_FRAME_SIZE > bytes.length) return undefined;
  const f = bytes.subarray(offset, offset + UM_FRAME_SIZE);
  const dv = new DataView(f.buffer, f.byteOffset, UM_FRAME_SIZE);
  const model = UM_MODEL_IDS[dv.getUint16(0)];
  if (!model) return undefined;
  if (model === 'UM34C') {
    if (um34cChecksum(f) !== f[129]) return undefined;
  } else if (dv.getUint16(128) !== 0xfff1) return undefined;
  const group = dv.getUint16(14);
  if (group > 9) return undefined;
  const u16 = (o: number) => dv.getUint16(o);
  const u32 = (o: number) => dv.getUint32(o);
  const fine = model === 'UM25C';
  return {
    model,
    voltageV: u16(2) / (fine ? 1000 : 100),
    currentA: u16(4) / (fine ? 10000 : 1000),
    powerW: u32(6) / 1000,
    temperatureC: u16(10),
    temperatureF: u16(12),
    group,
    groupChargeC: u32(16 + 8 * group) * 3.6,
    groupEnergyJ: u32(20 + 8 * group) * 3.6,
    dataPlusV: u16(96) / 100,
    dataMinusV: u16(98) / 100,
    chargingMode: u16(100),
    recordChargeC: u32(102) * 3.6,
    recordEnergyJ: u32(106) * 3.6,
    recordThresholdA: u16(110) / 100,
    recordTimeS: u32(112),
    recording: u16(116) === 1,
    loadOhm: u32(122) / 10,
  };
}

/** Finds frames in a byte stream; keeps a partial frame; drops one byte at a time to resync. */
export class UmFrameParser {
  private pending = new Uint8Array(0);
  badFrames = 0;
  badBytes = 0;

  push(bytes: Uint8Array): UmReading[] {
    const data = joinBytes(this.pending, bytes);
    const out: UmReading[] = [];
    let p = 0;
    while (p + 2 <= data.length) {
      const id = (data[p]! << 8) | data[p + 1]!;
      if (!UM_MODEL_IDS[id]) {
        this.badBytes++;
        p++;
        continue;
      }
      if (p + UM_FRAME_SIZE > data.length) break;
      const r = decodeUmFrame(data, p);
      if (r) {
        out.push(r);
        p += UM_FRAME_SIZE;
      } else {
        this.badFrames++;
        this.badBytes++;
        p++;
      }
    }
    this.pending = data.slice(p);
    return out;
  }

  reset(): void {
    this.pending = new Uint8Array(0);
  }
}
