/**
 * Base for on-board sensors read from Linux sysfs files (RAPL powercap, hwmon): sample on a timer
 * at a configurable rate, and hand samples over in ~50 ms batches like every other driver. A
 * batch's spacing is the mean of its real read times (timers jitter); a read that fails twice in
 * a row ends the stream with a clear message (the sensor vanished, e.g. a driver unloaded).
 */
import { readFileSync } from 'node:fs';
import { monotonicNs } from '../../util/clock';
import { BaseMeter } from '../base-meter';
import type { Reading } from '../polled-meter';

export type ReadText = (path: string) => string;
export const defaultReadText: ReadText = (p) => readFileSync(p, 'utf8');

export abstract class SysfsMeter extends BaseMeter {
  protected abstract readonly rateHz: number;
  protected batchMs = 50;
  private timer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private times: number[] = [];
  private values: Reading[] = [];
  private failures = 0;

  /** Locates the sensor files; throws UserError with the fix when they are missing or unreadable. */
  protected abstract locate(): void;
  /** One read; undefined when there is no sample yet (e.g. the first energy reading). */
  protected abstract sample(): Reading | undefined;

  protected async start(): Promise<void> {
    this.locate();
    this.times = [];
    this.values = [];
    this.failures = 0;
    this.timer = setInterval(() => this.tick(), 1000 / this.rateHz);
    this.flushTimer = setInterval(() => this.flush(), this.batchMs);
  }

  protected async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.timer = undefined;
    this.flushTimer = undefined;
    this.flush();
  }

  private tick(): void {
    let r: Reading | undefined;
    const t = monotonicNs();
    try {
      r = this.sample();
      this.failures = 0;
    } catch (e) {
      if (++this.failures >= 2) this.fail(`Reading ${this.expectedDevice} failed: ${(e as Error).message}`);
      return;
    }
    if (!r) return;
    this.times.push(t);
    this.values.push(r);
  }

  private flush(): void {
    const n = this.times.length;
    if (n === 0) return;
    const channels = this.capabilities.channels;
    const data = channels.map(() => new Float32Array(n));
    this.values.forEach((r, k) => channels.forEach((c, ci) => (data[ci]![k] = r[c] ?? Number.NaN)));
    const t0 = this.times[0]!;
    const periodNs = n > 1 ? (this.times[n - 1]! - t0) / (n - 1) : 1e9 / this.rateHz;
    const aux = this.values[n - 1]!.aux;
    this.times = [];
    this.values = [];
    this.emitChunk({ t0Ns: t0, periodNs, count: n, channels, data, ...(aux ? { aux } : {}) });
  }
}
