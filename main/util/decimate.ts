/**
 * Min/max/mean buckets of fixed width on a common time origin. Used for the live view (buckets
 * streamed as they close) and for stored traces (one bucket per pixel column), so both draw the
 * same envelope: every spike survives decimation because min and max are kept, not just the mean.
 */
export interface Buckets {
  tS: number[];
  min: number[];
  max: number[];
  mean: number[];
}

export class BucketAccumulator {
  private index = Number.NaN;
  private min = Infinity;
  private max = -Infinity;
  private sum = 0;
  private n = 0;
  private out: Buckets = emptyBuckets();

  /** @param bucketS bucket width in seconds; bucket k covers [originS + k·w, originS + (k+1)·w). */
  constructor(
    readonly bucketS: number,
    readonly originS = 0,
  ) {
    if (!(bucketS > 0)) throw new Error('bucket width must be positive');
  }

  /** Adds evenly spaced samples: value i is at t0S + i·periodS. */
  addRun(t0S: number, periodS: number, values: ArrayLike<number>, count = values.length): void {
    for (let i = 0; i < count; i++) this.add(t0S + i * periodS, values[i]!);
  }

  add(tS: number, v: number): void {
    const k = this.bucketOf(tS);
    if (k !== this.index) {
      this.close();
      this.index = k;
    }
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.sum += v;
    this.n++;
  }

  /** Adds a pre-aggregated span (e.g. a stored chunk's stats) whose start falls in one bucket. */
  addStats(tS: number, min: number, max: number, mean: number, count: number): void {
    const k = this.bucketOf(tS);
    if (k !== this.index) {
      this.close();
      this.index = k;
    }
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
    this.sum += mean * count;
    this.n += count;
  }

  /** Sample times are products of float periods; the epsilon keeps t = k·w from landing in bucket k−1. */
  private bucketOf(tS: number): number {
    return Math.floor((tS - this.originS) / this.bucketS + 1e-9);
  }

  /** Returns the buckets closed so far (not the one still filling) and forgets them. */
  takeClosed(): Buckets {
    const out = this.out;
    this.out = emptyBuckets();
    return out;
  }

  /** Closes the bucket still filling and returns everything. */
  finish(): Buckets {
    this.close();
    this.index = Number.NaN;
    return this.takeClosed();
  }

  private close(): void {
    if (this.n === 0) return;
    this.out.tS.push(this.originS + this.index * this.bucketS);
    this.out.min.push(this.min);
    this.out.max.push(this.max);
    this.out.mean.push(this.sum / this.n);
    this.min = Infinity;
    this.max = -Infinity;
    this.sum = 0;
    this.n = 0;
  }
}

export function emptyBuckets(): Buckets {
  return { tS: [], min: [], max: [], mean: [] };
}
