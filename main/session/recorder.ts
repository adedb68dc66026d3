/**
 * Records a meter's stream into a session: stores fixed-duration chunks (every 250 ms, so a killed
 * process loses well under a second), records gaps, and closes the session with its duration.
 */
import { monotonicNs } from '../util/clock';
import { TypedEmitter } from '../util/emitter';
import { errorMessage } from '../util/errors';
import type { MeterGap, PowerMeter, SampleChunk } from '../meters/types';
import type { SessionsRepo } from '../store/sessions-repo';
import { Rechunker, sliceChunk, type StorageChunk } from './rechunker';
import { splitNonFinite } from './finite-samples';

export const STORAGE_CHUNK_SECONDS = 0.25;

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
}

export class SessionRecorder extends TypedEmitter<RecorderEvents> {
  readonly sessionId: number;
  readonly startNs: number;
  private seq = 0;
  private samples = 0;
  private stopped = false;
  private readonly rechunker: Rechunker;
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly repo: SessionsRepo,
    private readonly meter: PowerMeter,
    options: RecorderOptions,
  ) {
    super();
    this.startNs = monotonicNs();
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
    ];
  }

  get storedSamples(): number {
    return this.samples;
  }

  private onChunk(chunk: SampleChunk): void {
    if (this.stopped) return;
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
  }

  private onGap(gap: MeterGap): void {
    if (this.stopped) return;
    this.guard(() => {
      this.rechunker.flush();
      this.repo.insertGap(this.sessionId, {
        start_ns: Math.max(0, gap.startNs - this.startNs),
        end_ns: Math.max(0, gap.endNs - this.startNs),
        lost_samples: gap.lostSamples,
        reason: gap.reason,
      });
    });
  }

  private store(c: StorageChunk): void {
    this.repo.insertChunk(this.sessionId, this.seq++, c.t0Ns - this.startNs, c);
    this.samples += c.count;
    this.emit('stored', { samples: this.samples });
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.emit('error', { message: `Recording session ${this.sessionId} could not store data: ${errorMessage(e)}` });
    }
  }

  /** Stores what is pending and closes the session. Safe to call twice. */
  stop(status: 'complete' | 'interrupted' = 'complete'): void {
    if (this.stopped) return;
    this.guard(() => this.rechunker.flush());
    this.stopped = true;
    for (const off of this.unsubscribe) off();
    const durationS = (monotonicNs() - this.startNs) / 1e9;
    this.repo.finishSession(this.sessionId, status, durationS);
  }
}
