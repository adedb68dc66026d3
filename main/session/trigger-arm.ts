/**
 * An armed trigger: watches the meter's stream, starts a session at the start crossing minus the
 * pre-trigger (replaying the buffered stream into it) and ends it at the stop crossing. With no start
 * condition it records at once and waits for the stop.
 */
import type { MeterGap, PowerMeter, SampleChunk } from '../meters/types';
import { errorMessage } from '../util/errors';
import { CrossingDetector, PreTriggerBuffer, type BufferedItem, type TriggerCondition } from './trigger';

export interface TriggerSettings {
  start: TriggerCondition | null;
  stop: TriggerCondition | null;
  holdoffS: number;
  pretriggerS: number;
}

export type TriggerPhase = 'armed' | 'recording' | 'done' | 'failed';

export interface TriggerStatus {
  phase: TriggerPhase;
  start: string | null;
  stop: string | null;
  holdoffS: number;
  pretriggerS: number;
  sessionId: number | null;
  /** Session time (s) of the start crossing: the pre-trigger actually recorded before it. */
  triggerAtS: number | null;
  /** Session time (s) of the stop crossing. */
  stopAtS: number | null;
  message?: string;
}

export interface TriggerHost {
  /** Starts the session at host time startNs with the stream buffered since; returns its id. */
  start(startNs: number, backlog: BufferedItem[], stopAtNs: number | undefined): number;
  /** Ends the session at host time atNs. */
  stop(atNs: number): Promise<unknown>;
  changed(status: TriggerStatus): void;
}

export class TriggerArm {
  private readonly startDet: CrossingDetector | undefined;
  private readonly stopDet: CrossingDetector | undefined;
  private readonly buffer: PreTriggerBuffer;
  private readonly offs: (() => void)[];
  private startNs = 0;
  readonly status: TriggerStatus;

  constructor(
    meter: PowerMeter,
    private readonly settings: TriggerSettings,
    private readonly host: TriggerHost,
    armedNs: number,
  ) {
    const holdoffNs = settings.holdoffS * 1e9;
    this.buffer = new PreTriggerBuffer(settings.start ? settings.pretriggerS * 1e9 : 0);
    this.status = {
      phase: 'armed',
      start: settings.start?.text ?? null,
      stop: settings.stop?.text ?? null,
      holdoffS: settings.holdoffS,
      pretriggerS: settings.pretriggerS,
      sessionId: null,
      triggerAtS: null,
      stopAtS: null,
    };
    // Like a scope, the start waits until the pre-trigger buffer has filled (and the hold-off passed).
    if (settings.start) this.startDet = new CrossingDetector(settings.start, armedNs + Math.max(holdoffNs, settings.pretriggerS * 1e9));
    if (settings.stop) this.stopDet = new CrossingDetector(settings.stop, armedNs + holdoffNs);
    this.offs = [meter.on('chunk', (c) => this.guard(() => this.onChunk(c))), meter.on('gap', (g) => this.onGap(g))];
    if (!settings.start) this.begin(armedNs, [], armedNs);
  }

  get phase(): TriggerPhase {
    return this.status.phase;
  }

  private onGap(gap: MeterGap): void {
    if (this.status.phase === 'armed') this.buffer.push({ gap });
    this.startDet?.gap();
    this.stopDet?.gap();
  }

  private onChunk(chunk: SampleChunk): void {
    if (this.status.phase === 'armed' && this.startDet) {
      this.buffer.push({ chunk });
      const i = this.startDet.scan(chunk);
      if (i < 0) return;
      const crossingNs = chunk.t0Ns + i * chunk.periodNs;
      // The stop is looked for in the rest of this chunk first, so the session never stores past it.
      if (this.stopDet) this.stopDet.notBeforeNs = crossingNs + this.settings.holdoffS * 1e9;
      const j = this.stopDet ? this.stopDet.scan(chunk, i) : -1;
      const stopNs = j >= 0 ? chunk.t0Ns + j * chunk.periodNs : undefined;
      // Armed for less than the pre-trigger: the session starts at the first sample seen after arming.
      const startNs = Math.max(crossingNs - this.settings.pretriggerS * 1e9, this.buffer.firstNs() ?? crossingNs);
      this.begin(startNs, this.buffer.take(), crossingNs, stopNs);
      if (stopNs !== undefined) this.end(stopNs);
    } else if (this.status.phase === 'recording' && this.stopDet) {
      const j = this.stopDet.scan(chunk);
      if (j >= 0) this.end(chunk.t0Ns + j * chunk.periodNs);
    }
  }

  private begin(startNs: number, backlog: BufferedItem[], crossingNs: number, stopNs?: number): void {
    this.startNs = startNs;
    this.status.sessionId = this.host.start(startNs, backlog, stopNs);
    this.status.phase = 'recording';
    this.status.triggerAtS = (crossingNs - startNs) / 1e9;
    if (!this.stopDet) this.detach(); // nothing more to watch
    this.host.changed({ ...this.status });
  }

  private end(atNs: number): void {
    this.detach();
    this.status.stopAtS = (atNs - this.startNs) / 1e9;
    this.host.stop(atNs).then(
      () => this.finish('done'),
      (e: unknown) => this.finish('failed', `The stop trigger could not end the session: ${errorMessage(e)}`),
    );
  }

  /** The session ended some other way (Stop pressed, meter disconnected) or the user disarmed. */
  cancel(): void {
    this.detach();
    if (this.status.phase === 'armed' || this.status.phase === 'recording') this.finish('done');
  }

  private finish(phase: TriggerPhase, message?: string): void {
    this.status.phase = phase;
    if (message) this.status.message = message;
    this.host.changed({ ...this.status });
  }

  private detach(): void {
    for (const off of this.offs.splice(0)) off();
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.detach();
      this.finish('failed', `The trigger could not start the recording: ${errorMessage(e)}`);
    }
  }
}
