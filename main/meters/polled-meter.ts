/**
 * Shared loop for meters that answer when asked over a link (RDTech UM, Korad, SCPI): poll at a
 * fixed interval, timestamp each reading at the midpoint between request and reply on the host
 * monotonic clock, and turn missed replies into explicit gaps instead of repeating old values.
 * Each reading is one sample; consecutive readings are not evenly spaced, so each chunk holds one.
 */
import { monotonicNs } from '../util/clock';
import { BaseMeter } from './base-meter';
import { sleep, type ByteLink } from './link';
import type { Channel, MeterCapabilities } from './types';

/** Options every polled driver accepts; `link` replaces the port (tests, other transports). */
export interface PolledMeterOptions {
  baudRate?: number;
  pollMs?: number;
  link?: ByteLink;
}

export interface Reading {
  current?: number;
  voltage?: number;
  power?: number;
  aux?: Record<string, number>;
}

export abstract class PolledMeter extends BaseMeter {
  readonly capabilities: MeterCapabilities;
  protected running = false;
  private loop: Promise<void> | undefined;
  private lastSampleNs = 0;
  private missed = 0;
  /** Consecutive polls without a valid reply before the meter reports an error. */
  protected maxMissed = 5;
  /** Set by readOnce when bytes came back but did not parse (a different device, wrong baud). */
  protected lastReplyInvalid = false;

  constructor(
    spec: string,
    protected readonly pollMs: number,
    channels: Channel[],
  ) {
    super(spec);
    this.capabilities = { channels, sampleRateHz: 1000 / pollMs, digitalInputs: 0, deviceClock: false, simulated: false };
  }

  /** Opens the transport and checks the device answers; throws UserError otherwise. */
  protected abstract connect(): Promise<void>;
  /** One request/response; undefined when there was no valid reply in time. */
  protected abstract readOnce(): Promise<Reading | undefined>;

  protected async disconnect(): Promise<void> {
    await this.closeLink();
  }

  protected async start(): Promise<void> {
    await this.connect();
    this.running = true;
    this.missed = 0;
    this.lastSampleNs = 0;
    this.loop = this.run();
  }

  protected async stop(): Promise<void> {
    this.running = false;
    const loop = this.loop;
    this.loop = undefined;
    await this.disconnect();
    await loop?.catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (this.running) {
      const t0 = monotonicNs();
      let reading: Reading | undefined;
      try {
        reading = await this.readOnce();
      } catch {
        reading = undefined;
      }
      if (!this.running) return;
      const t1 = monotonicNs();
      if (reading) this.accept(reading, (t0 + t1) / 2);
      else if (this.onMissed()) return;
      const wait = this.pollMs - (monotonicNs() - t0) / 1e6;
      if (wait > 0) await sleep(wait);
    }
  }

  private onMissed(): boolean {
    this.missed++;
    this.counts.badFrames += this.lastReplyInvalid ? 1 : 0;
    if (this.missed < this.maxMissed) return false;
    if (this.lastReplyInvalid) {
      this.fail(
        `${this.portName()} answered ${this.missed} polls in a row with data that is not from ${this.expectedDevice}; check the device and the baud rate.`,
        false,
      );
    } else {
      this.fail(`${this.expectedDevice} on ${this.portName()} did not answer ${this.missed} polls in a row; check the cable, power and connection.`);
    }
    return true;
  }

  private accept(r: Reading, tNs: number): void {
    if (this.missed > 0 && this.lastSampleNs > 0) {
      this.emitGap({ startNs: this.lastSampleNs, endNs: tNs, lostSamples: this.missed, reason: `no valid reply to ${this.missed} poll(s)` });
    }
    this.missed = 0;
    this.lastReplyInvalid = false;
    const channels = this.capabilities.channels;
    const data = channels.map((c) => Float32Array.of(r[c] ?? Number.NaN));
    this.emitChunk({ t0Ns: tNs, periodNs: this.pollMs * 1e6, count: 1, channels, data, ...(r.aux ? { aux: r.aux } : {}) });
    this.lastSampleNs = tNs;
  }
}

/** Resolves with the next value pushed, or undefined after timeoutMs. */
export class Mailbox<T> {
  private queue: T[] = [];
  private waiter: ((v: T | undefined) => void) | undefined;

  put(v: T): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(v);
    } else this.queue.push(v);
  }

  clear(): void {
    this.queue = [];
  }

  take(timeoutMs: number): Promise<T | undefined> {
    const v = this.queue.shift();
    if (v !== undefined) return Promise.resolve(v);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiter = (x) => {
        clearTimeout(timer);
        resolve(x);
      };
    });
  }

  /** Wakes a pending take() with undefined (used on close). */
  cancel(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.(undefined);
  }
}
