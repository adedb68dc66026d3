/**
 * A test meter whose power is driven by what the engine worker actually did: 0.5 W at rest plus
 * 2 W while an inference (record startNs..endNs) or a busy slot of the alignment pattern runs. It
 * behaves like a real transport: samples reach the host `deliveryDelayMs` after they were taken, in
 * batches, and the meter's clock is `clockOffsetMs` ahead of the host's, which the profiler's
 * alignment must find. The injected energy of every inference is known exactly.
 */
import { EngineWorkerHost } from '../../main/ddi/worker/host';
import type { InferParams } from '../../main/ddi/worker/protocol';
import type { MeterCounters, MeterEvents, MeterState, PowerMeter } from '../../main/meters/types';
import { monotonicNs } from '../../main/util/clock';
import { TypedEmitter } from '../../main/util/emitter';

export const IDLE_W = 0.5;
export const BUSY_W = 2;

/** Busy intervals on the host clock, learned from the engine's answers. */
export class BusyLog {
  readonly intervals: { startNs: number; endNs: number }[] = [];
  busyAt(tNs: number): boolean {
    // Recent intervals are at the end; scan backwards and stop once they are far in the past.
    for (let i = this.intervals.length - 1; i >= 0; i--) {
      const iv = this.intervals[i]!;
      if (tNs >= iv.startNs && tNs < iv.endNs) return true;
      if (iv.endNs < tNs - 5e9) break;
    }
    return false;
  }
}

/** The real engine worker, reporting each inference and busy slot to a BusyLog. */
export class ObservedEngine extends EngineWorkerHost {
  constructor(
    readonly log: BusyLog,
    opts: ConstructorParameters<typeof EngineWorkerHost>[0],
  ) {
    super(opts);
  }
  override async busyPattern(slotNs: number, bits: number[], startNs?: number) {
    const r = await super.busyPattern(slotNs, bits, startNs);
    // Busy from each rising edge to the next falling one, at the times they really happened.
    let edge = 0;
    let busyFrom: number | undefined = bits[0] ? r.startNs : undefined;
    for (let k = 1; k < bits.length; k++) {
      if (bits[k] === bits[k - 1]) continue;
      const t = r.edgesNs[edge++]!;
      if (bits[k]) busyFrom = t;
      else if (busyFrom !== undefined) {
        this.log.intervals.push({ startNs: busyFrom, endNs: t });
        busyFrom = undefined;
      }
    }
    if (busyFrom !== undefined) this.log.intervals.push({ startNs: busyFrom, endNs: r.endNs });
    return r;
  }
  override async inferDataset(dataset: string, indices: number[], opts: InferParams) {
    const records = await super.inferDataset(dataset, indices, opts);
    for (const r of records) this.log.intervals.push({ startNs: r.startNs, endNs: r.endNs });
    return records;
  }
}

export class EngineDrivenMeter extends TypedEmitter<MeterEvents> implements PowerMeter {
  readonly driver = 'engine-driven';
  readonly spec = 'engine-driven';
  readonly label = 'Engine-driven test meter';
  readonly capabilities;
  state: MeterState = 'idle';
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  private samples = 0;

  constructor(
    private readonly log: BusyLog,
    private readonly o: { rateHz: number; deliveryDelayMs: number; clockOffsetMs: number; batchMs: number },
  ) {
    super();
    this.capabilities = { channels: ['power' as const], sampleRateHz: o.rateHz, digitalInputs: 0, deviceClock: false, simulated: false };
  }

  async open(): Promise<void> {
    const period = 1e9 / this.o.rateHz;
    this.next = Math.ceil(monotonicNs() / period) * period;
    this.timer = setInterval(() => this.tick(), this.o.batchMs);
    this.state = 'streaming';
    this.emit('state', { state: 'streaming' });
  }

  private tick(): void {
    const period = 1e9 / this.o.rateHz;
    const upTo = monotonicNs() - this.o.deliveryDelayMs * 1e6;
    const n = Math.floor((upTo - this.next) / period);
    if (n <= 0) return;
    const power = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      // Sample i stands for [t, t + period): busy for the fraction of it the engine was busy.
      const t = this.next + i * period;
      const a = this.log.busyAt(t) ? 1 : 0;
      const b = this.log.busyAt(t + period / 2) ? 1 : 0;
      power[i] = IDLE_W + (BUSY_W * (a + b)) / 2;
    }
    this.emit('chunk', { t0Ns: this.next + this.o.clockOffsetMs * 1e6, periodNs: period, count: n, channels: ['power'], data: [power] });
    this.next += n * period;
    this.samples += n;
  }

  /** The cable is pulled: no more samples, state 'error' (as the reconnect wrapper reports it). */
  unplug(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.state = 'error';
    this.emit('state', { state: 'error', message: 'The engine-driven test meter was unplugged; plug it back in.', retryable: true });
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.state = 'closed';
    this.emit('state', { state: 'closed' });
  }

  counters(): MeterCounters {
    return { samples: this.samples, lostSamples: 0, gaps: 0, badFrames: 0, reconnects: 0 };
  }
}
