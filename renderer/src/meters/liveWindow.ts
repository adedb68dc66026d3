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
