/**
 * Puts every PPK2 sample at its place on the time axis, including after the host stopped reading.
 *
 * Sample i is at `start + i·P` (P = 10 µs, the device's sample clock), where i counts lost samples
 * too; the work is knowing how many were lost. The device's 6-bit counter shows a loss D only as
 * `k = D mod 64`, at the exact position (the decoder's `gap` event). When the host stalls (event loop
 * blocked, process frozen), the tty buffers and the device FIFO fill and the device drops samples
 * until the host reads again; the host then reads the buffered (pre-loss) samples in a burst, then
 * fresh ones at the real rate. So the host clock has to supply `D − k`.
 *
 * Per read (arrival time a, index e after its last sample) the lag is `a − (start + e·P)`. In steady
 * state its lower envelope over a sliding window is the transport floor F (USB/pty delay; jitter
 * sits above it). Hidden loss shifts every later sample's lag up by its duration, buffered data
 * arrives with a larger lag, and neither can go below the floor. Hence:
 *
 * - A read after a counter jump, a read whose lag exceeds F by `catchUpLagMs`, or a read after a
 *   silence of `readGapMs` starts **catch-up**: decoded samples are held (not emitted), each read
 *   with its lag.
 * - Catch-up ends when the lag has settled (at least `settleMinMs` held, and the minimum lag of the
 *   last `settleWindowMs` within `flatMs` of the window before it), or after `maxHoldMs` (then the
 *   gap reason says the count is an estimate). Without a counter jump a raised lag must also last
 *   `noJumpConfirmMs`: a backlog queued upstream raises it too, but drains. The new floor F' is the minimum lag of all held
 *   reads: buffered reads lag more than fresh ones, so it is the fresh data's floor.
 * - Hidden loss = (F' − F)/P (the held reads' index already counts the k the counter showed), in
 *   whole counter cycles: `D = k + 64·round((F' − F)/(64·P))`, added at the counter jump (exact
 *   position); without a jump it is placed before the first read whose
 *   own lag is within `placeTolMs` of F' (the first fresh read: buffered data arrives older).
 *   Below `minHiddenMs` (with a jump) or `minHiddenNoJumpMs` (without) nothing is added: that is
 *   within the lag's jitter on a loaded host.
 * - The held samples are then emitted with their corrected indices, one gap per loss.
 *
 * A backlog that was caught up without loss settles back at F and is emitted unchanged. Pure: the
 * caller supplies arrival times, so tests can drive it with any timing.
 *
 * The start itself: the first `anchorMs` of reads are held and `start` is placed so that the lowest
 * lag among them is zero. Taking the first read alone would add however late that read happened
 * (the host busy just then) to every sample of the stream, a different amount in every run; the
 * lower envelope is the transport's own delay, the same from run to run, which is what the
 * profiler's alignment then measures.
 */
import type { Ppk2Event } from './sample-decoder';

export interface TimelineOptions {
  periodNs: number;
  /** Window (ms) of the steady-state lag floor. */
  floorWindowMs: number;
  /** A read lagging the floor by more than this (ms) starts catch-up. */
  catchUpLagMs: number;
  /** Reads further apart than this (ms) start catch-up: the host was not reading. */
  readGapMs: number;
  /** Catch-up lasts at least this long (ms of arrivals). */
  settleMinMs: number;
  /** The two windows (ms each) whose minimum lags must agree for the lag to count as settled. */
  settleWindowMs: number;
  /** How far (ms) those two minima may differ. */
  flatMs: number;
  /** Hidden loss shorter than this (ms) is not added to a counter jump: it is within the lag's jitter. */
  minHiddenMs: number;
  /**
   * Without a counter jump there is no evidence of loss but the lag, so the bar is higher: on a
   * loaded 2-core host (bench:ingest) the floor after a catch-up rose by 5 ms without any loss.
   */
  minHiddenNoJumpMs: number;
  /** Without a counter jump, the loss goes before the first read lagging at most this much (ms) above F'. */
  placeTolMs: number;
  /** Without a counter jump, a raised lag must last this long (ms of held arrivals) to count as loss. */
  noJumpConfirmMs: number;
  /** Catch-up holds at most this long (ms); then it decides with what it has. */
  maxHoldMs: number;
  /** The stream's first reads over this long (ms) fix its start at their lowest lag. */
  anchorMs: number;
}

export const DEFAULT_TIMELINE_OPTIONS: TimelineOptions = {
  periodNs: 10_000,
  floorWindowMs: 2000,
  catchUpLagMs: 100,
  readGapMs: 100,
  settleMinMs: 300,
  settleWindowMs: 150,
  flatMs: 1,
  minHiddenMs: 5,
  minHiddenNoJumpMs: 20,
  placeTolMs: 2,
  noJumpConfirmMs: 2000,
  maxHoldMs: 10_000,
  anchorMs: 300,
};

export type TimelineItem = { type: 'words'; index: number; words: Uint32Array } | { type: 'gap'; index: number; lost: number; reason: string };

export const COUNTER_JUMP_REASON = 'samples lost (PPK2 counter jump)';
const OVERFLOW = 'samples lost while the host was not reading (device FIFO overflow)';

interface HeldRead {
  arrivalNs: number;
  events: Ppk2Event[];
  /** Raw index (counting only what the counter shows) before and after this read. */
  startRaw: number;
  endRaw: number;
  lagNs: number;
}

/** Minimum over a sliding time window (monotonic deque). */
class WindowMin {
  private t: number[] = [];
  private v: number[] = [];
  private head = 0;
  constructor(private readonly windowNs: number) {}
  push(t: number, v: number): void {
    while (this.v.length > this.head && this.v[this.v.length - 1]! >= v) {
      this.v.pop();
      this.t.pop();
    }
    this.t.push(t);
    this.v.push(v);
    while (this.t[this.head]! < t - this.windowNs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.t.length) {
      this.t = this.t.slice(this.head);
      this.v = this.v.slice(this.head);
      this.head = 0;
    }
  }
  get min(): number | undefined {
    return this.head < this.v.length ? this.v[this.head] : undefined;
  }
  clear(): void {
    this.t = [];
    this.v = [];
    this.head = 0;
  }
}

export interface CatchUpDecision {
  /** Floor before (F) and after (F') in ns, hidden samples added, whether the lag had settled. */
  floorNs: number;
  newFloorNs: number;
  hiddenSamples: number;
  settled: boolean;
  heldSamples: number;
  heldMs: number;
}

export class SampleTimeline {
  readonly options: TimelineOptions;
  /** Host time of sample 0 (set by the first read). */
  startNs: number | undefined;
  /** Index of the next sample to emit, counting lost ones. */
  private index = 0;
  private lastArrivalNs = 0;
  private readonly floor: WindowMin;
  private held: HeldRead[] | undefined;
  private holdIndex = 0;
  private holdRaw = 0;
  private holdFloorNs = 0;
  /** Longest time without a read at or inside this catch-up. */
  private holdSilenceNs = 0;
  private lastSettleCheckNs = 0;
  /** The last catch-up's outcome (for diagnostics and tests). */
  lastDecision: CatchUpDecision | undefined;
  /** Reads of the anchoring phase (until the start is fixed), with their provisional end index. */
  private anchor: { untilNs: number; reads: { arrivalNs: number; events: Ppk2Event[]; endRaw: number }[] } | undefined;

  constructor(options: Partial<TimelineOptions> = {}) {
    this.options = { ...DEFAULT_TIMELINE_OPTIONS, ...options };
    this.floor = new WindowMin(this.options.floorWindowMs * 1e6);
  }

  /** Samples assigned so far, lost ones and held ones included. */
  get nextIndex(): number {
    if (this.anchor) return this.anchor.reads.at(-1)?.endRaw ?? 0;
    return this.held ? this.holdRaw : this.index;
  }

  get holding(): boolean {
    return this.held !== undefined || this.anchor !== undefined;
  }

  /** One read's decoded events, with the host time the read completed. Returns what can be emitted now. */
  push(arrivalNs: number, events: Ppk2Event[]): TimelineItem[] {
    if (events.length === 0) return [];
    const P = this.options.periodNs;
    let count = 0;
    let jumped = false;
    for (const e of events) {
      if (e.type === 'words') count += e.words.length;
      else {
        count += e.lost;
        jumped = true;
      }
    }
    if (this.startNs === undefined) {
      this.startNs = arrivalNs - count * P;
      this.lastArrivalNs = arrivalNs;
      if (this.options.anchorMs > 0) this.anchor = { untilNs: arrivalNs + this.options.anchorMs * 1e6, reads: [] };
    }
    if (this.anchor) {
      const endRaw = (this.anchor.reads.at(-1)?.endRaw ?? 0) + count;
      this.anchor.reads.push({ arrivalNs, events, endRaw });
      this.lastArrivalNs = arrivalNs;
      return arrivalNs >= this.anchor.untilNs ? this.endAnchor() : [];
    }
    const silentNs = arrivalNs - this.lastArrivalNs;
    this.lastArrivalNs = arrivalNs;

    if (this.held) {
      this.holdSilenceNs = Math.max(this.holdSilenceNs, silentNs);
      this.hold(arrivalNs, events, count);
      return this.checkSettled(arrivalNs);
    }

    const lagNs = arrivalNs - (this.startNs + (this.index + count) * P);
    const floorNs = this.floor.min ?? lagNs;
    const o = this.options;
    if (jumped || silentNs > o.readGapMs * 1e6 || lagNs > floorNs + o.catchUpLagMs * 1e6) {
      this.held = [];
      this.holdIndex = this.index;
      this.holdRaw = this.index;
      this.holdFloorNs = floorNs;
      this.holdSilenceNs = silentNs;
      this.lastSettleCheckNs = arrivalNs;
      this.hold(arrivalNs, events, count);
      return this.checkSettled(arrivalNs);
    }
    this.floor.push(arrivalNs, lagNs);
    const out: TimelineItem[] = [];
    for (const e of events) {
      if (e.type !== 'words') continue; // a jump always starts catch-up above
      out.push({ type: 'words', index: this.index, words: e.words });
      this.index += e.words.length;
    }
    return out;
  }

  /** Decides any held samples now (stop, pause, device gone) and returns them. */
  flush(): TimelineItem[] {
    if (this.anchor) return this.endAnchor();
    return this.held ? this.resolve(false) : [];
  }

  /** Fixes the start at the lowest lag of the anchoring reads and releases them. */
  private endAnchor(): TimelineItem[] {
    const reads = this.anchor!.reads;
    this.anchor = undefined;
    const P = this.options.periodNs;
    let minLag = Infinity;
    for (const r of reads) minLag = Math.min(minLag, r.arrivalNs - (this.startNs! + r.endRaw * P));
    if (Number.isFinite(minLag)) this.startNs! += minLag;
    const out: TimelineItem[] = [];
    for (const r of reads) {
      this.floor.push(r.arrivalNs, r.arrivalNs - (this.startNs! + r.endRaw * P));
      for (const e of r.events) {
        if (e.type === 'words') {
          out.push({ type: 'words', index: this.index, words: e.words });
          this.index += e.words.length;
        } else {
          out.push({ type: 'gap', index: this.index, lost: e.lost, reason: COUNTER_JUMP_REASON });
          this.index += e.lost;
        }
      }
    }
    return out;
  }

  private hold(arrivalNs: number, events: Ppk2Event[], count: number): void {
    const startRaw = this.holdRaw;
    this.holdRaw += count;
    const lagNs = arrivalNs - (this.startNs! + this.holdRaw * this.options.periodNs);
    this.held!.push({ arrivalNs, events, startRaw, endRaw: this.holdRaw, lagNs });
  }

  private checkSettled(nowNs: number): TimelineItem[] {
    const held = this.held!;
    const o = this.options;
    const sinceNs = nowNs - held[0]!.arrivalNs;
    if (sinceNs >= o.maxHoldMs * 1e6) return this.resolve(false);
    // The check scans the last two windows: at most every 10 ms of arrivals.
    if (sinceNs < o.settleMinMs * 1e6 || nowNs - this.lastSettleCheckNs < 10e6) return [];
    this.lastSettleCheckNs = nowNs;
    const w = o.settleWindowMs * 1e6;
    let minLast = Infinity;
    let minPrev = Infinity;
    for (let k = held.length - 1; k >= 0; k--) {
      const r = held[k]!;
      const age = nowNs - r.arrivalNs;
      if (age >= 2 * w) break;
      if (age < w) minLast = Math.min(minLast, r.lagNs);
      else minPrev = Math.min(minPrev, r.lagNs);
    }
    if (minLast === Infinity || minPrev === Infinity) return [];
    if (Math.abs(minLast - minPrev) > o.flatMs * 1e6) return [];
    // Without a counter jump the only evidence of loss is a raised lag, and a backlog queued
    // upstream (a starved device-side process, a full tty) raises it too, until it drains. A real
    // loss keeps the lag raised for good, so only a rise that outlasts the confirmation time counts.
    if (sinceNs < o.noJumpConfirmMs * 1e6 && !held.some((r) => r.events.some((e) => e.type === 'gap'))) {
      let minAll = Infinity;
      for (const r of held) minAll = Math.min(minAll, r.lagNs);
      if (minAll - this.holdFloorNs >= o.minHiddenNoJumpMs * 1e6) return [];
    }
    return this.resolve(true);
  }

  private resolve(settled: boolean): TimelineItem[] {
    const held = this.held!;
    this.held = undefined;
    const o = this.options;
    const P = o.periodNs;
    // The floor after a loss is the lowest lag of the reads after it; from its rise over F comes the
    // hidden loss up to there. Several losses in one catch-up (the device overflowing again while
    // the host catches up) each get the rise since the previous one.
    const sufMin = new Float64Array(held.length + 1).fill(Infinity);
    for (let r = held.length - 1; r >= 0; r--) sufMin[r] = Math.min(sufMin[r + 1]!, held[r]!.lagNs);
    const newFloorNs = sufMin[0]!;
    const cyclesAfter = (r: number, minMs = o.minHiddenMs): number => {
      const riseNs = sufMin[r]! - this.holdFloorNs;
      return riseNs >= minMs * 1e6 ? Math.round(riseNs / P / 64) : 0;
    };
    /** Hidden samples to add at each jump (by order), or before read `freshRead` when there is none. */
    const extraAtJump: number[] = [];
    let freshRead = -1;
    let extraAtFresh = 0;
    // An overflow ends when a read makes room in the device FIFO, so the first sample after a jump
    // is no older than the first read after the silence before it: a lower bound that splits the
    // hidden cycles between jumps when reads between them were all backlog (each jump but the last).
    const jumpsAt: Array<{ read: number; raw: number; roomNs: number }> = [];
    let silenceStart = 0;
    held.forEach((r, k) => {
      if (k > 0 && r.arrivalNs - held[k - 1]!.arrivalNs > o.readGapMs * 1e6) silenceStart = k;
      let raw = r.startRaw;
      for (const e of r.events) {
        if (e.type === 'gap') jumpsAt.push({ read: k, raw, roomNs: held[silenceStart]!.arrivalNs });
        raw += e.type === 'gap' ? e.lost : e.words.length;
      }
    });
    let cycles = 0;
    jumpsAt.forEach((j, n) => {
      let c = cyclesAfter(j.read);
      if (n < jumpsAt.length - 1) {
        // The lag the first sample after the jump would have had on arriving with the room-making read.
        const lowerNs = j.roomNs - (this.startNs! + j.raw * P) - this.holdFloorNs;
        const riseNs = Math.min(Math.max(lowerNs, 0), sufMin[j.read]! - this.holdFloorNs);
        c = riseNs >= o.minHiddenMs * 1e6 ? Math.round(riseNs / P / 64) : 0;
      }
      c = Math.max(cycles, c);
      extraAtJump.push(64 * (c - cycles));
      cycles = c;
    });
    if (extraAtJump.length === 0) {
      // No counter jump: before the first read without backlog (buffered data arrives older).
      freshRead = held.findIndex((r) => r.lagNs <= newFloorNs + o.placeTolMs * 1e6);
      cycles = cyclesAfter(freshRead, o.minHiddenNoJumpMs);
      // Overflow loses at most what was produced while nobody read; a larger rise without a jump is
      // a backlog still held upstream (seen in bench:ingest on a starved host), not loss.
      if (64 * cycles * P > this.holdSilenceNs) cycles = 0;
      extraAtFresh = 64 * cycles;
    }
    const estimate = settled
      ? ''
      : `; the lag had not settled within ${Math.round((held.at(-1)!.arrivalNs - held[0]!.arrivalNs) / 1e6)} ms, so the count is an estimate`;

    const out: TimelineItem[] = [];
    let index = this.holdIndex;
    let jumps = 0;
    let added = 0;
    let heldSamples = 0;
    this.floor.clear();
    held.forEach((r, k) => {
      if (k === freshRead && extraAtFresh > 0) {
        out.push({
          type: 'gap',
          index,
          lost: extraAtFresh,
          reason: `${OVERFLOW}: ${extraAtFresh / 64} whole 64-sample counter cycles counted from the host clock (no counter jump; placed at the first read without backlog)${estimate}`,
        });
        index += extraAtFresh;
        added += extraAtFresh;
      }
      for (const e of r.events) {
        if (e.type === 'words') {
          out.push({ type: 'words', index, words: e.words });
          index += e.words.length;
          continue;
        }
        const extra = extraAtJump[jumps++]!;
        out.push({
          type: 'gap',
          index,
          lost: e.lost + extra,
          reason:
            extra > 0
              ? `${OVERFLOW}: ${e.lost} from the PPK2 counter jump plus ${extra / 64} whole 64-sample counter cycles counted from the host clock${estimate}`
              : COUNTER_JUMP_REASON,
        });
        index += e.lost + extra;
        added += extra;
      }
      // The floor continues from the held reads, less what was added before each of them.
      this.floor.push(r.arrivalNs, r.lagNs - added * P);
      heldSamples += r.endRaw - r.startRaw;
    });
    this.index = index;
    const hidden = added;
    this.lastDecision = {
      floorNs: this.holdFloorNs,
      newFloorNs,
      hiddenSamples: hidden,
      settled,
      heldSamples,
      heldMs: (held.at(-1)!.arrivalNs - held[0]!.arrivalNs) / 1e6,
    };
    return out;
  }
}
