import type { LiveBatch } from '../../../main/api/contract';

/**
 * Rolling window of decimated live buckets for one channel: keeps the last `windowS` seconds
 * (relative to the newest bucket) and hands uPlot column arrays. Bumps `version` on every change
 * so the chart redraws only when there is something new.
 */
export class LiveWindow {
  private t: number[] = [];
  private lo: number[] = [];
  private hi: number[] = [];
  private avg: number[] = [];
  private head = 0; // index of the oldest kept bucket; trimmed lazily to avoid shifting per batch
  version = 0;
  /** Buckets received since the meter connected (not just those still in the window). */
  received = 0;
  bucketS = 0;

  private readonly listeners = new Set<() => void>();

  constructor(readonly windowS = 10) {}

  /** Called after every change; the chart uses it to schedule one animation frame. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.version++;
    for (const l of [...this.listeners]) l();
  }

  push(batch: Pick<LiveBatch, 'tS' | 'min' | 'max' | 'mean' | 'bucketS'>): void {
    const n = Math.min(batch.tS.length, batch.min.length, batch.max.length, batch.mean.length);
    if (n === 0) return;
    const first = batch.tS[0]!;
    // Live time counts from the meter's connection; going backwards means a new connection.
    if (this.size > 0 && first < this.latestT()! - 1e-9) this.clear();
    for (let i = 0; i < n; i++) {
      this.t.push(batch.tS[i]!);
      this.lo.push(batch.min[i]!);
      this.hi.push(batch.max[i]!);
      this.avg.push(batch.mean[i]!);
    }
    this.received += n;
    this.bucketS = batch.bucketS;
    this.trim();
    this.changed();
  }

  clear(): void {
    this.t = [];
    this.lo = [];
    this.hi = [];
    this.avg = [];
    this.head = 0;
    this.received = 0;
    this.changed();
  }

  get size(): number {
    return this.t.length - this.head;
  }

  latestT(): number | undefined {
    return this.size > 0 ? this.t[this.t.length - 1] : undefined;
  }

  /** Mean of the newest bucket: the "current reading". */
  latestMean(): number | undefined {
    return this.size > 0 ? this.avg[this.avg.length - 1] : undefined;
  }

  /**
   * [t, min, max, mean] of the buckets in [fromS, toS], merged so at most `maxPoints` remain (min of
   * mins, max of maxes, mean of means): a 10-minute window draws as fast as a 1-second one.
   */
  range(fromS: number, toS: number, maxPoints: number): [number[], number[], number[], number[]] {
    const a = this.lowerBound(fromS);
    const b = this.lowerBound(toS + 1e-9);
    const n = b - a;
    const stride = Math.max(1, Math.ceil(n / Math.max(1, maxPoints)));
    if (stride === 1) return [this.t.slice(a, b), this.lo.slice(a, b), this.hi.slice(a, b), this.avg.slice(a, b)];
    const t: number[] = [];
    const lo: number[] = [];
    const hi: number[] = [];
    const avg: number[] = [];
    for (let i = a; i < b; i += stride) {
      const end = Math.min(b, i + stride);
      let mn = Infinity;
      let mx = -Infinity;
      let sum = 0;
      for (let k = i; k < end; k++) {
        if (this.lo[k]! < mn) mn = this.lo[k]!;
        if (this.hi[k]! > mx) mx = this.hi[k]!;
        sum += this.avg[k]!;
      }
      t.push(this.t[i]!);
      lo.push(mn);
      hi.push(mx);
      avg.push(sum / (end - i));
    }
    return [t, lo, hi, avg];
  }

  /** First index at or after the head whose time is ≥ tS. */
  private lowerBound(tS: number): number {
    let lo = this.head;
    let hi = this.t.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.t[mid]! < tS) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** [t, min, max, mean] for the buckets in the window (fresh arrays; uPlot keeps references). */
  columns(): [number[], number[], number[], number[]] {
    const h = this.head;
    return [this.t.slice(h), this.lo.slice(h), this.hi.slice(h), this.avg.slice(h)];
  }

  private trim(): void {
    const cutoff = this.latestT()! - this.windowS;
    while (this.head < this.t.length && this.t[this.head]! < cutoff) this.head++;
    // Compact once the dead prefix is as large as the live part: amortised O(1) per bucket.
    if (this.head > 1024 && this.head > this.size) {
      this.t = this.t.slice(this.head);
      this.lo = this.lo.slice(this.head);
      this.hi = this.hi.slice(this.head);
      this.avg = this.avg.slice(this.head);
      this.head = 0;
    }
  }
}

/** Live window of the digital inputs: per bucket, the bits that stayed high and stayed low. */
export class LogicWindow {
  t: number[] = [];
  high: number[] = [];
  low: number[] = [];
  names: string[] = [];
  version = 0;

  constructor(readonly windowS = 600) {}

  push(d: { tS: number[]; high: number[]; low: number[]; names: string[] }): void {
    if (d.tS.length === 0) return;
    if (this.t.length > 0 && d.tS[0]! < this.t[this.t.length - 1]! - 1e-9) this.clear();
    this.names = d.names;
    this.t.push(...d.tS);
    this.high.push(...d.high);
    this.low.push(...d.low);
    const cutoff = this.t[this.t.length - 1]! - this.windowS;
    let drop = 0;
    while (drop < this.t.length && this.t[drop]! < cutoff) drop++;
    // Drop in large steps only: amortised O(1) per bucket.
    if (drop > 4096) {
      this.t = this.t.slice(drop);
      this.high = this.high.slice(drop);
      this.low = this.low.slice(drop);
    }
    this.version++;
  }

  clear(): void {
    this.t = [];
    this.high = [];
    this.low = [];
    this.version++;
  }

  /**
   * Lane `bit`'s state per step over [fromS, toS] in `steps` equal steps: 1 high, 0 low, 2 toggled
   * within the step, -1 no data.
   */
  lane(bit: number, fromS: number, toS: number, steps: number): Int8Array {
    const out = new Int8Array(steps).fill(-1);
    const w = (toS - fromS) / steps;
    if (!(w > 0)) return out;
    const mask = 1 << bit;
    for (let i = 0; i < this.t.length; i++) {
      const t = this.t[i]!;
      if (t < fromS || t > toS) continue;
      const k = Math.min(steps - 1, Math.floor((t - fromS) / w));
      const v = this.high[i]! & mask ? 1 : this.low[i]! & mask ? 0 : 2;
      const cur = out[k]!;
      out[k] = cur === -1 || cur === v ? v : 2;
    }
    return out;
  }
}
