/**
 * Turns a meter's sample stream into small decimated batches for the live view: min/max/mean per
 * 5 ms bucket of every channel (and the digital inputs' steady-high/steady-low bits), handed over
 * every 100 ms. The renderer never sees raw samples, so 100 kS/s costs the UI the same as 10 S/s:
 * at most 200 buckets/s × (3 channels × 4 numbers + 3 digital numbers), about 30 kB/s of JSON.
 */
import type { LiveBatch, RecordingTotalsDto } from '../api/contract';
import type { Channel, PowerMeter } from '../meters/types';
import { BucketAccumulator } from '../util/decimate';

export const LIVE_BUCKET_S = 0.005;
export const LIVE_INTERVAL_MS = 100;

export class LiveFeed {
  private readonly acc: BucketAccumulator;
  private readonly accs = new Map<Channel, BucketAccumulator>();
  private readonly digital: DigitalBuckets | undefined;
  private readonly digitalNames: string[];
  private readonly timer: NodeJS.Timeout;
  private readonly off: () => void;
  readonly channel: Channel;
  /** Running sums per channel since the last batch, for the live readout. */
  private sums: Partial<Record<Channel, { sum: number; n: number }>> = {};

  constructor(
    meter: PowerMeter,
    private readonly originNs: number,
    private readonly send: (batch: LiveBatch) => void,
    /** Totals of the session being recorded, sent with each batch. */
    private readonly totals: () => RecordingTotalsDto | null = () => null,
  ) {
    const caps = meter.capabilities;
    const chs = caps.channels;
    this.channel = chs.includes('power') ? 'power' : (chs[0] ?? 'current');
    for (const ch of chs) this.accs.set(ch, new BucketAccumulator(LIVE_BUCKET_S, 0));
    this.acc = this.accs.get(this.channel) ?? new BucketAccumulator(LIVE_BUCKET_S, 0);
    this.digitalNames = caps.digitalInputs > 0 ? Array.from({ length: caps.digitalInputs }, (_, k) => caps.digitalNames?.[k] ?? `D${k}`) : [];
    if (caps.digitalInputs > 0) this.digital = new DigitalBuckets(LIVE_BUCKET_S);
    this.off = meter.on('chunk', (chunk) => {
      // A meter that sends NaN or Infinity must not poison the live view (the recorder stores such
      // samples as a gap): only runs of finite values are bucketed and summed.
      const t0S = (chunk.t0Ns - this.originNs) / 1e9;
      const periodS = chunk.periodNs / 1e9;
      chunk.channels.forEach((ch, c) => {
        const acc = this.accs.get(ch);
        const plane = chunk.data[c];
        if (!acc || !plane) return;
        for (const [from, to] of finiteRuns(plane, chunk.count)) {
          acc.addRun(t0S + from * periodS, periodS, from === 0 && to === chunk.count ? plane : plane.subarray(from, to), to - from);
        }
      });
      if (this.digital && chunk.digital) this.digital.addRun(t0S, periodS, chunk.digital, chunk.count);
      chunk.channels.forEach((ch, i) => {
        const d = chunk.data[i]!;
        const acc = (this.sums[ch] ??= { sum: 0, n: 0 });
        for (let k = 0; k < chunk.count; k++) {
          const v = d[k]!;
          if (!Number.isFinite(v)) continue;
          acc.sum += v;
          acc.n++;
        }
      });
    });
    this.timer = setInterval(() => this.flush(), LIVE_INTERVAL_MS);
    this.timer.unref?.();
  }

  private flush(): void {
    const per: NonNullable<LiveBatch['channels']> = {};
    for (const [ch, acc] of this.accs) per[ch] = acc.takeClosed();
    const b = per[this.channel] ?? this.acc.takeClosed();
    if (b.tS.length === 0) return;
    const latest: Partial<Record<Channel, number>> = {};
    for (const [ch, acc] of Object.entries(this.sums) as [Channel, { sum: number; n: number }][]) {
      if (acc.n > 0) latest[ch] = acc.sum / acc.n;
    }
    this.sums = {};
    const batch: LiveBatch = { channel: this.channel, bucketS: LIVE_BUCKET_S, ...b, latest, channels: per, recording: this.totals() };
    if (this.digital) batch.digital = { ...this.digital.takeClosed(), names: this.digitalNames };
    this.send(batch);
  }

  stop(): void {
    clearInterval(this.timer);
    this.off();
  }
}

/** [from, to) index ranges of consecutive finite values. */
export function finiteRuns(plane: ArrayLike<number>, count: number): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  for (let k = 0; k < count; k++) {
    if (Number.isFinite(plane[k]!)) {
      if (start < 0) start = k;
    } else if (start >= 0) {
      runs.push([start, k]);
      start = -1;
    }
  }
  if (start >= 0) runs.push([start, count]);
  return runs;
}

/** Per bucket, the digital bits that stayed 1 (`high`) and stayed 0 (`low`); a bit in neither toggled. */
export class DigitalBuckets {
  private index = Number.NaN;
  private and = 0xff;
  private or = 0;
  private out = { tS: [] as number[], high: [] as number[], low: [] as number[] };

  constructor(readonly bucketS: number) {}

  addRun(t0S: number, periodS: number, bytes: Uint8Array, count: number): void {
    for (let i = 0; i < count; i++) {
      const k = Math.floor((t0S + i * periodS) / this.bucketS + 1e-9);
      if (k !== this.index) {
        this.close();
        this.index = k;
      }
      const v = bytes[i]!;
      this.and &= v;
      this.or |= v;
    }
  }

  private close(): void {
    if (Number.isNaN(this.index)) return;
    this.out.tS.push(this.index * this.bucketS);
    this.out.high.push(this.and);
    this.out.low.push(~this.or & 0xff);
    this.and = 0xff;
    this.or = 0;
  }

  takeClosed(): { tS: number[]; high: number[]; low: number[] } {
    const out = this.out;
    this.out = { tS: [], high: [], low: [] };
    return out;
  }
}
