/**
 * Records a meter's stream into a session: stores fixed-duration chunks (every 250 ms, so a killed
 * process loses well under a second), records gaps, and closes the session with its duration.
 *
 * The session ends exactly at the stop: drain() waits for samples measured before the stop that are
 * still in transit (USB, pty, driver batching), and stop() records whatever did not arrive as a gap up
 * to the stop. A meter that failed and had not come back by then leaves a gap from its last sample to
 * the stop, and the session is closed as 'incomplete' with the reason.
 */
import { monotonicNs } from '../util/clock';
import { TypedEmitter } from '../util/emitter';
import { errorMessage } from '../util/errors';
import type { MeterGap, PowerMeter, SampleChunk } from '../meters/types';
import type { SessionsRepo } from '../store/sessions-repo';
import { Rechunker, sliceChunk, type StorageChunk } from './rechunker';
import { splitNonFinite } from './finite-samples';
import type { BufferedItem } from './trigger';

export const STORAGE_CHUNK_SECONDS = 0.25;

/**
 * Longest a deferral (deferStorage) may hold stored chunks back: past it they are written even
 * while deferred, so a killed process still loses under a second and memory stays bounded.
 */
export const MAX_STORAGE_DEFER_MS = 500;

/** How long drain() waits at most beyond the transport lag seen so far. */
const DRAIN_MARGIN_MS = 250;
const DRAIN_MAX_MS = 3000;

export type FinalStatus = 'complete' | 'interrupted' | 'incomplete' | 'cancelled';

export interface RecorderEvents {
  error: { message: string };
  stored: { samples: number };
}

export interface RecorderOptions {
  name: string;
  notes?: string;
  kind?: 'power' | 'profile';
  model?: string | null;
  backend?: string | null;
  settings?: Record<string, unknown>;
  /**
   * Host time (ns) the session starts at; default now. A trigger passes its crossing minus the
   * pre-trigger, which lies in the past, together with the stream it buffered since (`backlog`).
   */
  startNs?: number;
  backlog?: BufferedItem[];
  /** A stop already decided (a stop trigger that fired in the backlog): nothing after it is stored. */
  stopAtNs?: number;
}

/** Charge and energy stored so far, integrated over the stored samples (gaps contribute nothing). */
export interface RecordingTotals {
  samples: number;
  chargeC: number | null;
  energyJ: number | null;
  /** Where the energy's voltage came from: a power or voltage channel, or the meter's nominal supply. */
  energySource: 'power' | 'current×voltage' | 'current×nominal' | null;
}

export class SessionRecorder extends TypedEmitter<RecorderEvents> {
  readonly sessionId: number;
  readonly startNs: number;
  private seq = 0;
  private samples = 0;
  private stopped = false;
  private readonly rechunker: Rechunker;
  private readonly unsubscribe: (() => void)[];
  /** Host time (ns) just after the last sample received; undefined before the first. */
  private lastEndNs: number | undefined;
  /** Largest delay seen between a sample's time and its arrival, to bound drain(). */
  private maxLagNs = 0;
  /** Set by drain(): samples after this host time belong to no session. */
  private stopAtNs: number | undefined;
  /** An outage the meter reported and has not recovered from: where it began and why. */
  private outage: { startNs: number; message: string } | undefined;
  private drainWaiter: (() => void) | undefined;
  private chargeC = 0;
  private energyJ = 0;
  /** True while the constructor replays a trigger's backlog: its arrival lag is not transport lag. */
  private replaying = false;
  /** Open deferrals (deferStorage) and the writes they hold back, in arrival order. */
  private deferrals = 0;
  private deferred: ({ chunk: StorageChunk } | { gap: MeterGap })[] = [];
  /** Host time the first held-back write was queued (ns). */
  private deferredSinceNs = 0;

  constructor(
    private readonly repo: SessionsRepo,
    private readonly meter: PowerMeter,
    options: RecorderOptions,
  ) {
    super();
    this.startNs = options.startNs ?? monotonicNs();
    if (options.stopAtNs !== undefined) this.stopAtNs = options.stopAtNs;
    const caps = meter.capabilities;
    const meterId = repo.addMeter({
      spec: meter.spec,
      driver: meter.driver,
      label: meter.label,
      capabilities: caps,
      ...(options.settings ? { settings: options.settings } : {}),
    });
    this.sessionId = repo.createSession({
      name: options.name,
      kind: options.kind ?? 'power',
      startMonoNs: this.startNs,
      meterId,
      simulated: caps.simulated,
      channels: caps.channels,
      sampleRateHz: caps.sampleRateHz,
      nominalVoltageV: caps.nominalVoltageV ?? null,
      model: options.model ?? null,
      backend: options.backend ?? null,
      notes: options.notes ?? '',
    });
    this.rechunker = new Rechunker(STORAGE_CHUNK_SECONDS, (c) => this.store(c));
    this.unsubscribe = [
      meter.on('chunk', (c) => this.onChunk(c)),
      meter.on('gap', (g) => this.onGap(g)),
      meter.on('state', (ev) => {
        if (ev.state === 'error' && !this.outage) {
          this.outage = { startNs: this.lastEndNs ?? this.startNs, message: ev.message ?? 'the meter stopped with an error' };
        } else if (ev.state === 'streaming') {
          this.outage = undefined; // back: the meter itself records the hole (reconnect gap)
        }
        this.drainWaiter?.();
      }),
    ];
    if (options.backlog?.length) {
      this.replaying = true;
      for (const item of options.backlog) {
        if ('chunk' in item) this.onChunk(item.chunk);
        else if (item.gap.endNs > this.startNs) this.onGap({ ...item.gap, startNs: Math.max(item.gap.startNs, this.startNs) });
      }
      this.replaying = false;
    }
  }

  /** Running charge and energy of what is stored so far. */
  totals(): RecordingTotals {
    const chs = this.meter.capabilities.channels;
    const hasCurrent = chs.includes('current');
    const source: RecordingTotals['energySource'] = chs.includes('power')
      ? 'power'
      : hasCurrent && chs.includes('voltage')
        ? 'current×voltage'
        : hasCurrent && this.meter.capabilities.nominalVoltageV !== undefined
          ? 'current×nominal'
          : null;
    return {
      samples: this.samples,
      chargeC: hasCurrent ? this.chargeC : null,
      energyJ: source ? this.energyJ : null,
      energySource: source,
    };
  }

  /** Session-relative end of the stored data (s); what a stop after an outage is measured against. */
  get outageStartS(): number | undefined {
    return this.outage ? Math.max(0, this.outage.startNs - this.startNs) / 1e9 : undefined;
  }

  get storedSamples(): number {
    return this.samples;
  }

  private onChunk(chunk: SampleChunk): void {
    if (this.stopped) return;
    const endNs = chunk.t0Ns + chunk.count * chunk.periodNs;
    if (!this.replaying) this.maxLagNs = Math.max(this.maxLagNs, monotonicNs() - endNs);
    if (this.stopAtNs !== undefined && endNs > this.stopAtNs) {
      // Measured after the stop: keep only the part before it.
      const keep = Math.floor((this.stopAtNs - chunk.t0Ns) / chunk.periodNs);
      if (keep <= 0) {
        this.drainWaiter?.();
        return;
      }
      chunk = sliceTail(chunk, keep);
    }
    this.lastEndNs = Math.max(this.lastEndNs ?? 0, chunk.t0Ns + chunk.count * chunk.periodNs);
    // Samples taken before the user pressed Record belong to no session.
    if (chunk.t0Ns < this.startNs) {
      const skip = Math.ceil((this.startNs - chunk.t0Ns) / chunk.periodNs);
      if (skip >= chunk.count) return;
      chunk = sliceChunk(chunk, skip);
    }
    // Non-finite values are never stored: each run of them becomes a recorded gap instead.
    for (const part of splitNonFinite(chunk)) {
      if ('gap' in part) this.onGap(part.gap);
      else this.guard(() => this.rechunker.push(part.chunk));
    }
    this.drainWaiter?.();
  }

  /**
   * Holds writes to the store back until the returned release is called (deferrals nest): samples
   * keep arriving, being cut into chunks and checked, but encoding, checksumming, the trace pyramid
   * and the SQLite transaction — several milliseconds of this thread every 250 ms — wait. A
   * profiling run defers storage while the engine runs inferences, because on a board with few
   * cores that work would otherwise preempt the inference thread and land, with its energy, inside
   * whichever inference it hit (docs/profiling.md). Held longer than MAX_STORAGE_DEFER_MS, writes
   * go ahead anyway; stop() writes everything held.
   */
  deferStorage(): () => void {
    this.deferrals++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.deferrals--;
      if (this.deferrals === 0) this.writeDeferred();
    };
  }

  private writeDeferred(): void {
    const items = this.deferred;
    this.deferred = [];
    for (const item of items) {
      if ('chunk' in item) this.guard(() => this.writeChunk(item.chunk));
      else this.writeGap(item.gap);
    }
  }

  /** Queues a write while deferred (writing everything held once the oldest has waited too long); false: write now. */
  private defer(item: { chunk: StorageChunk } | { gap: MeterGap }): boolean {
    if (this.deferrals === 0 || this.stopped) return false;
    const now = monotonicNs();
    if (this.deferred.length === 0) this.deferredSinceNs = now;
    this.deferred.push(item);
    if (now - this.deferredSinceNs >= MAX_STORAGE_DEFER_MS * 1e6) this.writeDeferred();
    return true;
  }

  private onGap(gap: MeterGap): void {
    if (this.stopped) return;
    this.guard(() => {
      this.rechunker.flush();
      if (!this.defer({ gap })) this.writeGap(gap);
    });
  }

  private writeGap(gap: MeterGap): void {
    this.guard(() => {
      this.repo.insertGap(this.sessionId, {
        start_ns: Math.max(0, gap.startNs - this.startNs),
        end_ns: Math.max(0, gap.endNs - this.startNs),
        lost_samples: gap.lostSamples,
        reason: gap.reason,
      });
    });
  }

  private store(c: StorageChunk): void {
    if (!this.defer({ chunk: c })) this.writeChunk(c);
  }

  private writeChunk(c: StorageChunk): void {
    this.repo.insertChunk(this.sessionId, this.seq++, c.t0Ns - this.startNs, c);
    this.samples += c.count;
    this.integrate(c);
    this.emit('stored', { samples: this.samples });
  }

  /** Adds a stored chunk's charge (∫I dt) and energy (∫P dt) as sums of samples × period. */
  private integrate(c: StorageChunk): void {
    const plane = (ch: string): Float32Array | undefined => {
      const i = c.channels.indexOf(ch as never);
      return i >= 0 ? c.data[i] : undefined;
    };
    const dt = c.periodNs / 1e9;
    const cur = plane('current');
    const pow = plane('power');
    const volt = plane('voltage');
    const nominal = this.meter.capabilities.nominalVoltageV;
    let q = 0;
    let e = 0;
    for (let k = 0; k < c.count; k++) {
      const i = cur ? cur[k]! : 0;
      q += i;
      e += pow ? pow[k]! : volt ? i * volt[k]! : i * (nominal ?? 0);
    }
    this.chargeC += q * dt;
    this.energyJ += e * dt;
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.emit('error', { message: `Recording session ${this.sessionId} could not store data: ${errorMessage(e)}` });
    }
  }

  /**
   * Marks the stop and waits until the samples measured before it have arrived: as long as the
   * transport lag seen so far plus a margin, at most a few seconds, and not at all when the meter is
   * not streaming. Call stop() afterwards. `atNs` stops at an earlier host time (a stop trigger's
   * crossing) instead of now.
   */
  async drain(atNs?: number): Promise<void> {
    if (this.stopped || this.stopAtNs !== undefined) return;
    const stopAtNs = atNs ?? monotonicNs();
    this.stopAtNs = stopAtNs;
    const deadline = stopAtNs + Math.min(DRAIN_MAX_MS * 1e6, this.maxLagNs + DRAIN_MARGIN_MS * 1e6);
    const periodNs = 1e9 / Math.max(1e-9, this.meter.capabilities.sampleRateHz);
    const arrived = (): boolean => this.meter.state !== 'streaming' || this.outage !== undefined || (this.lastEndNs ?? 0) >= stopAtNs - periodNs;
    while (!arrived() && monotonicNs() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, (deadline - monotonicNs()) / 1e6));
        this.drainWaiter = () => {
          if (!arrived()) return;
          clearTimeout(timer);
          resolve();
        };
      });
      this.drainWaiter = undefined;
    }
  }

  /**
   * Stores what is pending and closes the session at the stop (drain()'s, else now). Samples that
   * should exist before the stop but never arrived become a gap; an unrecovered meter failure makes
   * the session 'incomplete' with its reason. Returns the status written. Safe to call twice.
   */
  stop(status: FinalStatus = 'complete', reason?: string): { status: FinalStatus; reason: string | null } {
    if (this.stopped) return { status, reason: reason ?? null };
    const endNs = this.stopAtNs ?? monotonicNs();
    // What a deferral held back goes first: chunks are numbered as they are written.
    this.deferrals = 0;
    this.writeDeferred();
    this.guard(() => this.rechunker.flush());
    let finalStatus = status;
    let finalReason = reason ?? null;
    const periodNs = 1e9 / Math.max(1e-9, this.meter.capabilities.sampleRateHz);
    const dataEndNs = this.lastEndNs ?? this.startNs;
    if (this.outage) {
      const fromNs = Math.min(this.outage.startNs, dataEndNs);
      const atS = (Math.max(0, fromNs - this.startNs) / 1e9).toFixed(2);
      this.writeEndGap(fromNs, endNs, periodNs, `meter lost and not back before the stop: ${this.outage.message}`);
      if (finalStatus === 'complete' || (finalStatus === 'incomplete' && !reason)) {
        finalStatus = 'incomplete';
        finalReason = `The meter stopped delivering data at ${atS} s and had not come back when the recording stopped (${stripPeriod(this.outage.message)}).`;
      }
    } else if (endNs - dataEndNs > 2 * periodNs && this.lastEndNs !== undefined) {
      this.writeEndGap(dataEndNs, endNs, periodNs, 'samples measured before the stop did not arrive in time');
    }
    this.stopped = true;
    this.drainWaiter = undefined;
    for (const off of this.unsubscribe) off();
    const durationS = (endNs - this.startNs) / 1e9;
    this.repo.finishSession(this.sessionId, finalStatus, durationS, undefined, finalReason);
    return { status: finalStatus, reason: finalReason };
  }

  private writeEndGap(fromNs: number, toNs: number, periodNs: number, reason: string): void {
    if (toNs <= fromNs) return;
    this.guard(() =>
      this.repo.insertGap(this.sessionId, {
        start_ns: Math.max(0, fromNs - this.startNs),
        end_ns: Math.max(0, toNs - this.startNs),
        lost_samples: Math.round((toNs - fromNs) / periodNs),
        reason,
      }),
    );
  }
}

function stripPeriod(text: string): string {
  const trim = (t: string): string => t.replace(/[.\s…]+$/u, '');
  return trim(trim(text).replace(/ Reconnecting automatically$/u, ''));
}

/** The first `keep` samples of a chunk. */
function sliceTail(c: SampleChunk, keep: number): SampleChunk {
  const out: SampleChunk = { ...c, count: keep, data: c.data.map((d) => d.subarray(0, keep)) };
  if (c.digital) out.digital = c.digital.subarray(0, keep);
  return out;
}
