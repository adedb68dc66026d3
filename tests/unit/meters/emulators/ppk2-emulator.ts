/**
 * Device side of a PPK2: answers GetMetadata with a calibration block, tracks regulator / mode /
 * DUT-power commands, and after AverageStart streams 4-byte sample words at a real-time rate.
 * The injected current is quantised to the ADC with the emulator's own inverse of the calibration
 * formula (written independently of the driver), so driver tests check real scaling.
 */
import { DevicePort } from './device-port';

export interface EmuCalibration {
  r: number[];
  gs: number[];
  gi: number[];
  o: number[];
  s: number[];
  i: number[];
  ug: number[];
}

export const EMU_CAL: EmuCalibration = {
  r: [1020.5, 101.2, 10.08, 0.95, 0.044],
  gs: [0, 50, 5, 0.5, 0.02],
  gi: [1, 0.98, 0.99, 1.01, 1],
  o: [110.5, 95.25, 80.125, 70.5, 60],
  s: [4.5e-8, 2e-8, 0, 0, 0],
  i: [-1e-7, 0, 0, 0, 0],
  ug: [1, 1, 1, 1, 1],
};

export function emuMetadataText(cal: EmuCalibration, vddMv = 3000, mode = 2): string {
  const lines = ['Calibrated: 1'];
  for (let k = 0; k < 5; k++) lines.push(`R${k}: ${cal.r[k]}`);
  for (let k = 0; k < 5; k++) lines.push(`GS${k}: ${cal.gs[k]}`);
  for (let k = 0; k < 5; k++) lines.push(`GI${k}: ${cal.gi[k]}`);
  for (let k = 0; k < 5; k++) lines.push(`O${k}: ${cal.o[k]}`);
  lines.push(`VDD: ${vddMv}`, 'HW: 9173', `mode: ${mode}`);
  for (let k = 0; k < 5; k++) lines.push(`S${k}: ${cal.s[k]}`);
  for (let k = 0; k < 5; k++) lines.push(`I${k}: ${cal.i[k]}`);
  for (let k = 0; k < 5; k++) lines.push(`UG${k}: ${cal.ug[k]!.toFixed(2)}`);
  lines.push('IA: 56', 'END', '');
  return lines.join('\n');
}

const ARG_LEN: Record<number, number> = { 0x06: 0, 0x07: 0, 0x0c: 1, 0x0d: 2, 0x11: 1, 0x19: 0, 0x25: 5, 0x15: 0, 0x16: 0, 0x20: 0 };

/** Quantises a current to (adc, range) with the inverse of the calibration formula. */
export function emuEncodeCurrent(cal: EmuCalibration, amps: number, vddMv: number): { adc: number; range: number } {
  for (let r = 0; r < 5; r++) {
    const c = cal.s[r]! * (vddMv / 1000) + cal.i[r]! - amps / cal.ug[r]!;
    const gs = cal.gs[r]!;
    const gi = cal.gi[r]!;
    const x = gs === 0 ? -c / gi : (-gi + Math.sqrt(gi * gi - 4 * gs * c)) / (2 * gs);
    const adc4 = (x * cal.r[r]!) / (1.8 / 163840) + cal.o[r]!;
    const adc = Math.round(adc4 / 4);
    if (adc <= 15000 || r === 4) return { adc: Math.max(0, Math.min(0x3fff, adc)), range: r };
  }
  throw new Error('unreachable');
}

export class Ppk2Emulator extends DevicePort {
  vddMv: number;
  mode: number;
  dutOn = false;
  streaming = false;
  starts = 0;
  gains: Array<{ range: number; gain: number }> = [];
  /** Current to inject (A), constant or per sample index. */
  current: number | ((index: number) => number) = 0.0015;
  digital = 0;
  /** Samples generated so far (including dropped ones). */
  index = 0;
  sentSamples = 0;
  /** Metadata split into two writes, as real reads may split it. */
  metadata: string;
  private cmdBuf: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;
  private dropPending = 0;
  private garbagePending: Uint8Array[] = [];
  /** Replies to GetMetadata are suppressed when false (a silent or different device). */
  answerMetadata = true;

  constructor(
    readonly cal: EmuCalibration = EMU_CAL,
    readonly rateHz = 100_000,
    vddMv = 3000,
    mode = 2,
  ) {
    super();
    this.vddMv = vddMv;
    this.mode = mode;
    this.metadata = emuMetadataText(cal, vddMv, mode);
  }

  /** Skip the next n samples: the counter advances but nothing is sent (USB loss). */
  drop(n: number): void {
    this.dropPending += n;
  }

  /** Insert bytes into the stream between two samples. */
  injectGarbage(bytes: Uint8Array): void {
    this.garbagePending.push(bytes);
  }

  protected onBytes(data: Buffer): void {
    for (const b of data) this.cmdBuf.push(b);
    while (this.cmdBuf.length > 0) {
      const op = this.cmdBuf[0]!;
      const need = ARG_LEN[op];
      if (need === undefined) {
        this.cmdBuf.shift();
        continue;
      }
      if (this.cmdBuf.length < need + 1) return;
      const args = this.cmdBuf.splice(0, need + 1).slice(1);
      this.command(op, args);
    }
  }

  private command(op: number, args: number[]): void {
    switch (op) {
      case 0x19:
        if (!this.answerMetadata) return;
        this.write(this.metadata.slice(0, 100));
        setTimeout(() => this.write(this.metadata.slice(100)), 5);
        return;
      case 0x0d:
        this.vddMv = (args[0]! << 8) | args[1]!;
        return;
      case 0x11:
        this.mode = args[0]!;
        return;
      case 0x0c:
        this.dutOn = args[0] === 1;
        return;
      case 0x25: {
        const gain = Buffer.from(args.slice(1)).readFloatLE(0);
        this.gains.push({ range: args[0]!, gain });
        return;
      }
      case 0x06:
        this.startStream();
        return;
      case 0x07:
        this.stopStream();
        return;
    }
  }

  private startStream(): void {
    this.stopStream();
    this.streaming = true;
    this.starts += 1;
    this.t0 = Date.now();
    this.index = 0;
    this.sentSamples = 0;
    this.timer = setInterval(() => this.tick(), 10);
  }

  private stopStream(): void {
    this.streaming = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  protected override onDetached(): void {
    this.stopStream();
  }

  private tick(): void {
    const due = Math.floor(((Date.now() - this.t0) / 1000) * this.rateHz) - this.index;
    if (due <= 0) return;
    const parts: Uint8Array[] = [];
    const buf = Buffer.alloc(due * 4);
    let n = 0;
    let start = 0;
    for (let k = 0; k < due; k++) {
      const idx = this.index++;
      if (this.dropPending > 0) {
        this.dropPending--;
        continue;
      }
      if (this.garbagePending.length > 0) {
        parts.push(buf.subarray(start, n * 4));
        start = n * 4;
        parts.push(...this.garbagePending);
        this.garbagePending = [];
      }
      const amps = typeof this.current === 'number' ? this.current : this.current(idx);
      const { adc, range } = emuEncodeCurrent(this.cal, amps, this.vddMv);
      const word = (adc | (range << 14) | ((idx & 63) << 18) | ((this.digital & 0xff) << 24)) >>> 0;
      buf.writeUInt32LE(word, n * 4);
      n++;
      this.sentSamples++;
    }
    parts.push(buf.subarray(start, n * 4));
    this.write(Buffer.concat(parts));
  }
}
