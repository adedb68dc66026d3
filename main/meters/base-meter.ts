/**
 * Shared plumbing for real meter drivers: the state machine, counters, chunk/gap emission, the
 * lifecycle of a byte link, and a watchdog that turns silence or a stream of garbage into a clear
 * error naming the expected device. Subclasses implement start() (open the transport, handshake,
 * begin streaming) and stop().
 */
import { monotonicNs } from '../util/clock';
import { TypedEmitter } from '../util/emitter';
import { errorMessage, isUserError, UserError } from '../util/errors';
import type { ByteLink } from './link';
import type { MeterCapabilities, MeterCounters, MeterEvents, MeterGap, MeterState, PowerMeter, SampleChunk } from './types';

export interface WatchdogOptions {
  /** Error out when no valid sample arrived for this long while streaming. */
  silenceMs: number;
}

export abstract class BaseMeter extends TypedEmitter<MeterEvents> implements PowerMeter {
  abstract readonly driver: string;
  abstract readonly label: string;
  abstract readonly capabilities: MeterCapabilities;
  /** What the user should have connected, for error messages ("a Nordic PPK2"). */
  protected abstract readonly expectedDevice: string;

  private _state: MeterState = 'idle';
  protected counts: MeterCounters = { samples: 0, lostSamples: 0, gaps: 0, badFrames: 0, reconnects: 0 };
  private watchdogTimer: NodeJS.Timeout | undefined;
  private lastGoodNs = 0;
  /** Bytes received since the last valid sample: tells "silent" from "talking nonsense". */
  protected bytesSinceGood = 0;
  private opening: Promise<void> | undefined;
  /** The transport of a serial or TCP driver while it is open. */
  protected link: ByteLink | undefined;
  private linkListeners: Array<() => void> = [];

  constructor(readonly spec: string) {
    super();
  }

  get state(): MeterState {
    return this._state;
  }

  counters(): MeterCounters {
    return { ...this.counts };
  }

  protected abstract start(): Promise<void>;
  protected abstract stop(): Promise<void>;
  protected watchdogOptions(): WatchdogOptions | undefined {
    return undefined;
  }

  async open(): Promise<void> {
    if (this._state === 'streaming') return;
    if (this.opening) return this.opening;
    this.opening = (async () => {
      this.setState('connecting');
      try {
        await this.start();
      } catch (e) {
        await this.stop().catch(() => undefined);
        const err = isUserError(e) ? e : new UserError(`Could not start ${this.expectedDevice} on ${this.portName()}: ${errorMessage(e)}.`, 'meter-open');
        this.setState('error', err.message);
        throw err;
      }
      this.lastGoodNs = monotonicNs();
      this.bytesSinceGood = 0;
      this.startWatchdog();
      this.setState('streaming');
    })();
    try {
      await this.opening;
    } finally {
      this.opening = undefined;
    }
  }

  async close(): Promise<void> {
    this.stopWatchdog();
    await this.stop().catch(() => undefined);
    if (this._state !== 'closed') this.setState('closed');
  }

  protected portName(): string {
    const i = this.spec.indexOf(':');
    return i >= 0 ? this.spec.slice(i + 1) : this.spec;
  }

  protected setState(state: MeterState, message?: string, retryable?: boolean): void {
    this._state = state;
    const ev: MeterEvents['state'] = { state };
    if (message) ev.message = message;
    if (retryable !== undefined) ev.retryable = retryable;
    this.emit('state', ev);
  }

  /** A non-fatal notice (e.g. an instrument error-queue entry) while the state stays as it is. */
  protected notice(message: string): void {
    this.emit('state', { state: this._state, message });
  }

  /**
   * The device went away or stopped making sense: stop I/O and report. The reconnect wrapper
   * (withReconnect) decides whether to retry; without it the meter simply stays in 'error'.
   */
  protected fail(message: string, retryable = true): void {
    if (this._state === 'error' || this._state === 'closed') return;
    this.stopWatchdog();
    void this.stop().catch(() => undefined);
    this.setState('error', message, retryable);
  }

  /**
   * Keeps the link before open() resolves, so that stop() still closes it when the open or the
   * handshake after it fails.
   */
  protected async openLink(link: ByteLink): Promise<ByteLink> {
    this.link = link;
    await link.open();
    return link;
  }

  /**
   * A lost link (cable pulled, peer closed) is a retryable error: the reconnect wrapper reopens.
   * closeLink() removes these listeners, so a link from an earlier connection can never fail a
   * later one.
   */
  protected listenToLink(link: ByteLink, lostMessage: (why: string) => string, onData?: (data: Buffer) => void): void {
    if (onData) this.linkListeners.push(link.on('data', onData));
    this.linkListeners.push(link.on('lost', (why) => this.fail(lostMessage(why))));
  }

  /** beforeClose is the driver's last word to the device (e.g. stop streaming) while the port is still open. */
  protected async closeLink(beforeClose?: (link: ByteLink) => Promise<void>): Promise<void> {
    for (const unsubscribe of this.linkListeners) unsubscribe();
    this.linkListeners = [];
    const link = this.link;
    this.link = undefined;
    if (!link) return;
    await beforeClose?.(link);
    await link.close();
  }

  protected emitChunk(chunk: SampleChunk): void {
    if (chunk.count <= 0) return;
    this.counts.samples += chunk.count;
    this.lastGoodNs = monotonicNs();
    this.bytesSinceGood = 0;
    this.emit('chunk', chunk);
  }

  /** Valid samples arrived but are not emitted yet (held back to be placed): the device is not silent. */
  protected noteValidData(): void {
    this.lastGoodNs = monotonicNs();
    this.bytesSinceGood = 0;
  }

  protected emitGap(gap: MeterGap): void {
    this.counts.gaps += 1;
    this.counts.lostSamples += gap.lostSamples;
    this.emit('gap', gap);
  }

  private startWatchdog(): void {
    const opts = this.watchdogOptions();
    if (!opts) return;
    this.stopWatchdog();
    const intervalMs = Math.max(50, Math.min(500, opts.silenceMs / 4));
    let lastTickNs = monotonicNs();
    this.watchdogTimer = setInterval(() => {
      const now = monotonicNs();
      // A late tick means this process was not running (event loop blocked, process stopped), so it
      // read nothing: the device's silence was not observed and is counted from now.
      if (now - lastTickNs > (2 * intervalMs + 100) * 1e6) this.lastGoodNs = Math.max(this.lastGoodNs, now);
      lastTickNs = now;
      if (this._state !== 'streaming') return;
      const silentMs = (now - this.lastGoodNs) / 1e6;
      if (silentMs < opts.silenceMs) return;
      if (this.bytesSinceGood > 0) {
        this.fail(
          `${this.portName()} sent ${this.bytesSinceGood} bytes but no valid ${this.expectedDevice} data for ${Math.round(silentMs)} ms; ` +
            `check that ${this.expectedDevice} (not another device) is on this port at the right baud rate.`,
          false,
        );
      } else {
        this.fail(`${this.expectedDevice} on ${this.portName()} stopped sending data for ${Math.round(silentMs)} ms; check the cable and power.`);
      }
    }, intervalMs);
    this.watchdogTimer.unref?.();
  }

  private stopWatchdog(): void {
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
  }
}

/** Checks a driver's options object: known keys only, right types. Returns it typed. */
export function checkOptions<T extends Record<string, unknown>>(
  driver: string,
  options: Record<string, unknown>,
  types: Record<keyof T & string, 'number' | 'string' | 'boolean'>,
): Partial<T> {
  const known = Object.keys(types);
  for (const [key, value] of Object.entries(options)) {
    const type = (types as Record<string, string>)[key];
    if (!type) {
      throw new UserError(`The ${driver} driver has no setting "${key}"; known settings: ${known.join(', ')}.`, 'unknown-setting');
    }
    if (value !== undefined && typeof value !== type) {
      throw new UserError(`The ${driver} setting "${key}" must be a ${type}, not ${JSON.stringify(value)}.`, 'bad-setting');
    }
    // Structured clone (Electron IPC) carries NaN and Infinity, which no device setting can mean.
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new UserError(`The ${driver} setting "${key}" must be a finite number, not ${value}.`, 'bad-setting');
    }
  }
  return options as Partial<T>;
}

export function checkRange(driver: string, key: string, value: number, min: number, max: number, unit = ''): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UserError(`The ${driver} setting "${key}" is ${formatSettingNumber(value)}${unit}; use ${min} to ${max}${unit}.`, 'bad-setting');
  }
  return value;
}

/** 1e99 rather than 1e+99: the way a person would type it back. */
export function formatSettingNumber(value: number): string {
  return String(value).replace('e+', 'e');
}
