/**
 * Device side of a DIY INA board: streams DDI INA frames (or text lines) at a fixed rate with a
 * device microsecond clock that can be offset and drift relative to the host.
 */
import { encodeInaFrame } from '../../../../main/meters/ina/frame';
import { DevicePort } from './device-port';

export class InaEmulator extends DevicePort {
  voltageV = 5.0;
  currentA = 0.25;
  seq = 0;
  sentFrames = 0;
  mode: 'framed' | 'csv' | 'plotter' = 'framed';
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;
  private generated = 0;
  private dropPending = 0;
  /** Device clock starts here (µs) to exercise the u32 wrap. */
  deviceStartUs = 2 ** 32 - 200_000;

  constructor(readonly rateHz = 1000) {
    super();
  }

  start(): void {
    this.t0 = Date.now();
    this.generated = 0;
    if (this.mode === 'csv') this.write('time_ms,bus_V,current_mA,power_mW\r\n');
    this.timer = setInterval(() => this.tick(), 10);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  drop(n: number): void {
    this.dropPending += n;
  }

  protected onBytes(): void {}

  protected override onDetached(): void {
    this.stop();
  }

  private tick(): void {
    const due = Math.floor(((Date.now() - this.t0) / 1000) * this.rateHz) - this.generated;
    const parts: Array<Uint8Array | string> = [];
    for (let k = 0; k < due; k++) {
      const tUs = (this.deviceStartUs + Math.round((this.generated * 1e6) / this.rateHz)) % 2 ** 32;
      this.generated++;
      if (this.dropPending > 0) {
        this.dropPending--;
        this.seq = (this.seq + 1) & 0xffff;
        continue;
      }
      if (this.mode === 'framed') {
        parts.push(encodeInaFrame({ seq: this.seq, tUs, flags: 0, voltageV: this.voltageV, currentA: this.currentA }));
      } else if (this.mode === 'csv') {
        parts.push(
          `${(tUs / 1000).toFixed(1)},${this.voltageV.toFixed(3)},${(this.currentA * 1000).toFixed(2)},${(this.voltageV * this.currentA * 1000).toFixed(1)}\r\n`,
        );
      } else {
        parts.push(`busV:${this.voltageV.toFixed(3)} current_mA:${(this.currentA * 1000).toFixed(2)}\n`);
      }
      this.seq = (this.seq + 1) & 0xffff;
      this.sentFrames++;
    }
    if (parts.length) this.write(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))));
  }
}
