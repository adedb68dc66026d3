/**
 * Statistics of a time range of a stored session, exact from its samples (never from bucket or
 * chunk means). Each sample's value holds from its own time until the next sample (zero-order
 * hold, one sample period), so a sample cut by the edge of the range counts for the part of its
 * period inside it. Time the range holds no sample for (a recorded gap, a damaged chunk, before
 * the first or after the last sample) is left out of every mean, charge and energy, and reported.
 */
import type { Channel } from '../meters/types';

export interface StatsChunk {
  t0Ns: number;
  periodNs: number;
  count: number;
  planes: Partial<Record<Channel, ArrayLike<number>>>;
}

export interface ChannelStats {
  mean: number;
  min: number;
  max: number;
}

export interface SelectionGap {
  startS: number;
  endS: number;
  lostSamples: number;
  reason: string;
}

export interface SelectionStats {
  fromS: number;
  toS: number;
  /** toS − fromS. */
  durationS: number;
  /** Time inside the range covered by samples: what the means, charge and energy are over. */
  coveredS: number;
  /** durationS − coveredS: lost, damaged or outside the recording. */
  uncoveredS: number;
  /** Samples whose hold period overlaps the range (edge samples included). */
  samples: number;
  current: ChannelStats | null;
  voltage: ChannelStats | null;
  power: ChannelStats | null;
  chargeC: number | null;
  chargeMAh: number | null;
  energyJ: number | null;
  energyWh: number | null;
  /** 'nominal-voltage': power is current × nominalVoltageV (an assumption, not a measurement). */
  powerSource: 'measured' | 'nominal-voltage' | null;
  nominalVoltageV: number | null;
  /** Recorded gaps and damaged chunks that overlap the range. */
  gaps: SelectionGap[];
  lostSamples: number;
}

class Acc {
  sum = 0; // value × ns
  weight = 0; // ns
  min = Infinity;
  max = -Infinity;
  add(v: number, w: number): void {
    this.sum += v * w;
    this.weight += w;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }
  result(): ChannelStats | null {
    return this.weight > 0 ? { mean: this.sum / this.weight, min: this.min, max: this.max } : null;
  }
}

/** Feed chunks in time order (t0); call result() once at the end. */
export class SelectionAccumulator {
  private readonly acc: Record<Channel, Acc> = { current: new Acc(), voltage: new Acc(), power: new Acc() };
  private covered = 0;
  private samples = 0;
  /** End of the time already counted: overlapping chunks never count the same time twice. */
  private countedUntil: number;
  private measuredPower = false;
  private derivedPower = false;

  constructor(
    private readonly fromNs: number,
    private readonly toNs: number,
    /** Supply voltage for current-only chunks (e.g. the PPK2's VDD set-point); null when unknown. */
    private readonly nominalVoltageV: number | null,
  ) {
    this.countedUntil = fromNs;
  }

  add(c: StatsChunk): void {
    const p = c.periodNs;
    if (!(p > 0) || c.count <= 0) return;
    const lo = Math.max(this.fromNs, this.countedUntil);
    const hi = this.toNs;
    if (c.t0Ns + c.count * p <= lo || c.t0Ns >= hi) return;
    const first = Math.max(0, Math.floor((lo - c.t0Ns) / p));
    const last = Math.min(c.count - 1, Math.ceil((hi - c.t0Ns) / p) - 1);
    const current = c.planes.current;
    const voltage = c.planes.voltage;
    let power = c.planes.power;
    let scale = 1;
    if (power) this.measuredPower = true;
    else if (current && this.nominalVoltageV !== null) {
      power = current;
      scale = this.nominalVoltageV;
      this.derivedPower = true;
    }
    let end = lo;
    for (let i = first; i <= last; i++) {
      const a = c.t0Ns + i * p;
      const b = a + p;
      const w = Math.min(b, hi) - Math.max(a, lo);
      if (!(w > 0)) continue;
      this.samples++;
      this.covered += w;
      end = Math.min(b, hi);
      if (current) this.acc.current.add(current[i]!, w);
      if (voltage) this.acc.voltage.add(voltage[i]!, w);
      if (power) this.acc.power.add(power[i]! * scale, w);
    }
    if (end > this.countedUntil) this.countedUntil = end;
  }

  result(gaps: SelectionGap[] = []): SelectionStats {
    const durationNs = this.toNs - this.fromNs;
    const current = this.acc.current.result();
    const power = this.acc.power.result();
    const chargeC = current ? this.acc.current.sum * 1e-9 : null;
    const energyJ = power ? this.acc.power.sum * 1e-9 : null;
    return {
      fromS: this.fromNs / 1e9,
      toS: this.toNs / 1e9,
      durationS: durationNs / 1e9,
      coveredS: this.covered / 1e9,
      uncoveredS: Math.max(0, durationNs - this.covered) / 1e9,
      samples: this.samples,
      current,
      voltage: this.acc.voltage.result(),
      power,
      chargeC,
      // 1 mAh = 3.6 C; 1 Wh = 3600 J.
      chargeMAh: chargeC === null ? null : chargeC / 3.6,
      energyJ,
      energyWh: energyJ === null ? null : energyJ / 3600,
      // Any power derived from an assumed voltage makes the figure an assumption: say so.
      powerSource: this.derivedPower ? 'nominal-voltage' : this.measuredPower ? 'measured' : null,
      nominalVoltageV: this.derivedPower ? this.nominalVoltageV : null,
      gaps,
      lostSamples: gaps.reduce((n, g) => n + g.lostSamples, 0),
    };
  }
}

/** Statistics of [fromNs, toNs) over chunks already in memory (tests, small ranges). */
export function selectionStats(
  chunks: Iterable<StatsChunk>,
  fromNs: number,
  toNs: number,
  nominalVoltageV: number | null = null,
  gaps: SelectionGap[] = [],
): SelectionStats {
  const acc = new SelectionAccumulator(fromNs, toNs, nominalVoltageV);
  for (const c of chunks) acc.add(c);
  return acc.result(gaps);
}
