/**
 * Turns a meter's sample stream into small decimated batches for the live view: min/max/mean per
 * 5 ms bucket, handed over every 100 ms. The renderer never sees raw samples, so 100 kS/s costs the
 * UI the same as 10 S/s.
 */
import type { LiveBatch } from '../api/contract';
import type { Channel, PowerMeter } from '../meters/types';
import { BucketAccumulator } from '../util/decimate';

export const LIVE_BUCKET_S = 0.005;
export const LIVE_INTERVAL_MS = 100;

export class LiveFeed {
  private readonly acc: BucketAccumulator;
  private readonly timer: NodeJS.Timeout;
  private readonly off: () => void;
  readonly channel: Channel;
  /** Running sums per channel since the last batch, for the live readout. */
  private sums: Partial<Record<Channel, { sum: number; n: number }>> = {};

  constructor(
    meter: PowerMeter,
    private readonly originNs: number,
    private readonly send: (batch: LiveBatch) => void,
  ) {
    const chs = meter.capabilities.channels;
    this.channel = chs.includes('power') ? 'power' : (chs[0] ?? 'current');
    this.acc = new BucketAccumulator(LIVE_BUCKET_S, 0);
    const index = chs.indexOf(this.channel);
    this.off = meter.on('chunk', (chunk) => {
      const c = chunk.channels.indexOf(this.channel);
      const plane = chunk.data[c >= 0 ? c : index];
      if (!plane) return;
      // A meter that sends NaN or Infinity must not poison the live view (the recorder stores such
      // samples as a gap): only runs of finite values are bucketed and summed.
      const t0S = (chunk.t0Ns - this.originNs) / 1e9;
      const periodS = chunk.periodNs / 1e9;
      for (const [from, to] of finiteRuns(plane, chunk.count)) {
        this.acc.addRun(t0S + from * periodS, periodS, from === 0 && to === chunk.count ? plane : plane.subarray(from, to), to - from);
      }
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
    const b = this.acc.takeClosed();
    if (b.tS.length === 0) return;
    const latest: Partial<Record<Channel, number>> = {};
    for (const [ch, acc] of Object.entries(this.sums) as [Channel, { sum: number; n: number }][]) {
      if (acc.n > 0) latest[ch] = acc.sum / acc.n;
    }
    this.sums = {};
    this.send({ channel: this.channel, bucketS: LIVE_BUCKET_S, ...b, latest });
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
