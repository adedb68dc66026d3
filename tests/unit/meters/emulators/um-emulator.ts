/** Device side of an RDTech UM meter: answers each 0xF0 with a 130-byte frame for its model. */
import { DevicePort } from './device-port';

export const MODEL_IDS = { UM24C: 0x0963, UM25C: 0x09c9, UM34C: 0x0d4c } as const;
const XOR_OFFSETS = [1, 3, 7, 9, 15, 17, 19, 23, 31, 39, 41, 45, 49, 53, 55, 57, 59, 63, 67, 69, 73, 79, 83, 89, 97, 99, 109, 111, 113, 119, 121, 127];

export interface UmState {
  voltageV: number;
  currentA: number;
  tempC: number;
  group: number;
  groupMah: number;
  groupMwh: number;
}

/** Builds a frame the way the meter would, from physical values (the emulator's own encoder). */
export function buildUmFrame(model: keyof typeof MODEL_IDS, s: UmState): Buffer {
  const f = Buffer.alloc(130);
  f.writeUInt16BE(MODEL_IDS[model], 0);
  const fine = model === 'UM25C';
  f.writeUInt16BE(Math.round(s.voltageV * (fine ? 1000 : 100)), 2);
  f.writeUInt16BE(Math.round(s.currentA * (fine ? 10000 : 1000)), 4);
  f.writeUInt32BE(Math.round(s.voltageV * s.currentA * 1000), 6);
  f.writeUInt16BE(s.tempC, 10);
  f.writeUInt16BE(Math.round((s.tempC * 9) / 5 + 32), 12);
  f.writeUInt16BE(s.group, 14);
  for (let g = 0; g < 10; g++) {
    f.writeUInt32BE(g === s.group ? s.groupMah : 100 + g, 16 + 8 * g);
    f.writeUInt32BE(g === s.group ? s.groupMwh : 500 + g, 20 + 8 * g);
  }
  f.writeUInt16BE(60, 96);
  f.writeUInt16BE(58, 98);
  f.writeUInt16BE(1, 100);
  f.writeUInt32BE(Math.round((s.voltageV / Math.max(s.currentA, 1e-3)) * 10), 122);
  if (model === 'UM34C') {
    let x = 0;
    for (const o of XOR_OFFSETS) x ^= f[o]!;
    f[129] = x;
  } else f.writeUInt16BE(0xfff1, 128);
  return f;
}

export class UmEmulator extends DevicePort {
  state: UmState = { voltageV: 5.12, currentA: 0.456, tempC: 27, group: 3, groupMah: 1234, groupMwh: 6170 };
  requests = 0;
  silent = false;
  corruptNext = 0;
  splitReplies = true;

  constructor(public model: keyof typeof MODEL_IDS = 'UM25C') {
    super();
  }

  protected onBytes(data: Buffer): void {
    for (const b of data) {
      if (b !== 0xf0) continue;
      this.requests++;
      if (this.silent) continue;
      const frame = buildUmFrame(this.model, this.state);
      if (this.corruptNext > 0) {
        this.corruptNext--;
        frame[50] = frame[50]! ^ 0x40;
        frame[129] = frame[129]! ^ 0x01;
      }
      if (this.splitReplies) {
        // Bluetooth delivers frames in pieces.
        this.write(frame.subarray(0, 57));
        setTimeout(() => this.write(frame.subarray(57)), 15);
      } else this.write(frame);
    }
  }
}
