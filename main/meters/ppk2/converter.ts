/**
 * PPK2 raw word → amperes, per range r with the device's calibration (Nordic's Power Profiler app,
 * NordicSemiconductor/pc-nrfconnect-ppk `src/device/serialDevice.ts`, `getAdcResult`):
 *   x = (4·adc − O[r]) · (1.8 / 163840) / R[r]
 *   I = UG[r] · ( x · (GS[r] · x + GI[r]) + S[r] · VDD/1000 + I[r] )
 * VDD is the last regulator set-point sent (0x0D), in both modes. Results below 0.2 µA become 0,
 * as in Nordic's app, so totals agree with it.
 *
 * Spike filter (same function; "Spike filter" in the app's `doc/docs/overview.md`; on by default,
 * can be turned off): range switches overshoot for a few
 * samples, so for `samples` outputs after a switch the value is replaced by an exponential average
 * (α = 0.18, or 0.06 when the new range is 4); for the first two samples in range 4 the averages
 * are rolled back so the output holds the pre-switch level. This changes ≈30 µs per switch.
 */
import type { Ppk2Calibration } from './metadata';

export interface SpikeFilterOptions {
  enabled: boolean;
  alpha?: number;
  alphaRange4?: number;
  samples?: number;
}

export const PPK2_MIN_CURRENT_A = 0.2e-6;

export class Ppk2Converter {
  private emaLow = 0;
  private emaHigh = 0;
  private prevRange = -1;
  private afterSwitch = 0;
  private vddV: number;
  private readonly alpha: number;
  private readonly alpha4: number;
  private readonly spikeSamples: number;

  constructor(
    private readonly cal: Ppk2Calibration,
    vddMv: number,
    private readonly spike: SpikeFilterOptions = { enabled: true },
  ) {
    this.vddV = vddMv / 1000;
    this.alpha = spike.alpha ?? 0.18;
    this.alpha4 = spike.alphaRange4 ?? 0.06;
    this.spikeSamples = spike.samples ?? 3;
  }

  setVddMv(mv: number): void {
    this.vddV = mv / 1000;
  }

  /** Restart the filter state (done at every AverageStart, like the reference app). */
  reset(): void {
    this.emaLow = 0;
    this.emaHigh = 0;
    this.prevRange = -1;
    this.afterSwitch = 0;
  }

  /** Unfiltered conversion of one word (exposed for tests and the emulator's inverse). */
  amps(adcRaw: number, range: number): number {
    const c = this.cal;
    const x = ((adcRaw * 4 - c.o[range]!) * (1.8 / 163840)) / c.r[range]!;
    return c.ug[range]! * (x * (c.gs[range]! * x + c.gi[range]!) + c.s[range]! * this.vddV + c.i[range]!);
  }

  convert(words: Uint32Array, current: Float32Array, digital: Uint8Array, offset = 0): void {
    for (let k = 0; k < words.length; k++) {
      const w = words[k]!;
      const range = Math.min((w >>> 14) & 7, 4);
      let value = this.amps(w & 0x3fff, range);
      if (this.spike.enabled) value = this.filter(value, range);
      current[offset + k] = value < PPK2_MIN_CURRENT_A ? 0 : value;
      digital[offset + k] = (w >>> 24) & 0xff;
    }
  }

  private filter(value: number, range: number): number {
    const prevLow = this.emaLow;
    const prevHigh = this.emaHigh;
    if (this.prevRange < 0) {
      this.emaLow = value;
      this.emaHigh = value;
    } else {
      this.emaLow = this.alpha * value + (1 - this.alpha) * this.emaLow;
      this.emaHigh = this.alpha4 * value + (1 - this.alpha4) * this.emaHigh;
    }
    if (this.prevRange >= 0 && range !== this.prevRange) this.afterSwitch = this.spikeSamples;
    this.prevRange = range;
    if (this.afterSwitch <= 0) return value;
    const remaining = this.afterSwitch--;
    if (range === 4 && remaining > this.spikeSamples - 2) {
      // First two samples in the top range: keep the averages at their pre-switch values.
      this.emaLow = prevLow;
      this.emaHigh = prevHigh;
      return prevHigh;
    }
    return range === 4 ? this.emaHigh : this.emaLow;
  }
}
