/**
 * Keeps a session alive across a pulled cable. withReconnect(meter) returns a PowerMeter that
 * forwards the inner meter's events; when the inner meter reports a retryable error while
 * streaming, it shows that error, retries open() with exponential backoff, and on success emits
 * one MeterGap covering the outage (from the end of the last sample to the first new one) before
 * the new data, so the recorder keeps one session with the hole marked — never padded.
 */
import { monotonicNs } from '../util/clock';
import { TypedEmitter } from '../util/emitter';
import { errorMessage } from '../util/errors';
import type { MeterCounters, MeterEvents, MeterState, MeterStateEvent, PowerMeter, SampleChunk } from './types';

export interface ReconnectOptions {
  /** Default true; false returns a wrapper that never retries (the error simply stays). */
  enabled?: boolean;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Give up after this many failed attempts in a row (default: never). */
  maxAttempts?: number;
}

export function withReconnect(meter: PowerMeter, options: ReconnectOptions = {}): PowerMeter {
  return new ReconnectingMeter(meter, options);
}

export class ReconnectingMeter extends TypedEmitter<MeterEvents> implements PowerMeter {
  private _state: MeterState = 'idle';
  private wanted = false;
  private retrying = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempts = 0;
  private reconnects = 0;
  private outageGaps = 0;
  private outageLost = 0;
  private lastEndNs: number | undefined;
  private outageStartNs: number | undefined;
  private outageReason = '';
  private readonly unsubscribe: Array<() => void> = [];
  private readonly enabled: boolean;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxAttempts: number;

  constructor(
    readonly inner: PowerMeter,
    options: ReconnectOptions,
  ) {
    super();
    this.enabled = options.enabled ?? true;
    this.initialDelayMs = options.initialDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
    this.maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
    this.unsubscribe.push(
      inner.on('chunk', (c) => this.onChunk(c)),
      inner.on('gap', (g) => this.emit('gap', g)),
      inner.on('state', (s) => this.onState(s)),
    );
  }

  get driver(): string {
    return this.inner.driver;
  }
  get spec(): string {
    return this.inner.spec;
  }
  get label(): string {
    return this.inner.label;
  }
  get capabilities() {
    return this.inner.capabilities;
  }
  get state(): MeterState {
    return this._state;
  }

  counters(): MeterCounters {
    const c = this.inner.counters();
    return {
      ...c,
      gaps: c.gaps + this.outageGaps,
      lostSamples: c.lostSamples + this.outageLost,
      reconnects: c.reconnects + this.reconnects,
    };
  }

  async open(): Promise<void> {
    this.wanted = true;
    await this.inner.open();
  }

  async close(): Promise<void> {
    this.wanted = false;
    this.retrying = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // The cable is still out when the user stops: close the hole up to now so it is explicit.
    if (this.outageStartNs !== undefined) this.emitOutageGap(monotonicNs());
    await this.inner.close();
    if (this._state !== 'closed') this.setState({ state: 'closed' });
  }

  dispose(): void {
    for (const u of this.unsubscribe) u();
  }

  private onChunk(chunk: SampleChunk): void {
    if (this.outageStartNs !== undefined) this.emitOutageGap(chunk.t0Ns);
    this.lastEndNs = chunk.t0Ns + chunk.count * chunk.periodNs;
    this.emit('chunk', chunk);
  }

  private emitOutageGap(endNs: number): void {
    const startNs = Math.min(this.outageStartNs ?? endNs, endNs);
    this.outageStartNs = undefined;
    const rate = this.inner.capabilities.sampleRateHz;
    const lost = Math.max(0, Math.round(((endNs - startNs) / 1e9) * rate));
    this.outageGaps += 1;
    this.outageLost += lost;
    this.emit('gap', { startNs, endNs, lostSamples: lost, reason: this.outageReason || 'meter disconnected' });
  }

  private onState(ev: MeterStateEvent): void {
    if (ev.state === 'error' && this.wanted && this.enabled && ev.retryable !== false) {
      if (this.outageStartNs === undefined) {
        this.outageStartNs = this.lastEndNs ?? monotonicNs();
        this.outageReason = `disconnected: ${ev.message ?? 'port lost'}`;
      }
      if (!this.retrying) {
        this.retrying = true;
        this.attempts = 0;
        this.setState({ state: 'error', message: `${ev.message ?? 'The meter was lost.'} Reconnecting automatically…`, retryable: true });
        this.scheduleRetry();
      }
      return;
    }
    if (this.retrying) {
      // Intermediate states of the retry loop (connecting, closed, failed attempts) stay internal.
      if (ev.state === 'streaming') {
        this.retrying = false;
        this.reconnects += 1;
        this.setState(ev);
      }
      return;
    }
    this.setState(ev);
  }

  private scheduleRetry(): void {
    if (!this.retrying || !this.wanted) return;
    const delay = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.min(this.attempts, 16));
    this.retryTimer = setTimeout(() => void this.attempt(), delay);
  }

  private async attempt(): Promise<void> {
    this.retryTimer = undefined;
    if (!this.retrying || !this.wanted) return;
    this.attempts += 1;
    try {
      await this.inner.close();
      if (!this.retrying || !this.wanted) return;
      await this.inner.open();
    } catch (e) {
      if (this.attempts >= this.maxAttempts) {
        this.retrying = false;
        this.setState({ state: 'error', message: `Gave up reconnecting after ${this.attempts} attempts: ${errorMessage(e)}`, retryable: false });
        return;
      }
      this.scheduleRetry();
    }
  }

  private setState(ev: MeterStateEvent): void {
    this._state = ev.state;
    this.emit('state', ev);
  }
}
