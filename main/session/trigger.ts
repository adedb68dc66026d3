/**
 * Recording triggers, evaluated on the meter's sample stream (never on the decimated live buckets),
 * so a trigger fires at the exact host time of the sample that crossed.
 *
 * Syntax (the Meters page and `ddi-profiler record --trigger` share it):
 *   power>0.5W  current<10mA  voltage>3.1V   a level crossing: `>` fires when the value goes from at or
 *                                              below the level to above it (rising), `<` the reverse (falling)
 *   D3 rising   D0 falling                    an edge of a digital input (PPK2 logic port D0–D7)
 * As on an oscilloscope, a condition that already holds when armed does not fire until it has been
 * false once: it is the crossing that counts. Hold-off: crossings in the first hold-off after arming
 * (for the stop: after the start crossing) are ignored. Pre-trigger: the session starts that long
 * before the start crossing; the start waits until that much has been buffered since arming.
 */
import type { Channel, MeterCapabilities, MeterGap, SampleChunk } from '../meters/types';
import { CHANNEL_UNITS } from '../meters/types';
import { UserError } from '../util/errors';

export type TriggerCondition =
  | { kind: 'level'; channel: Channel; edge: 'rising' | 'falling'; level: number; text: string }
  | { kind: 'digital'; line: number; edge: 'rising' | 'falling'; text: string };

/** Longest pre-trigger buffer: 10 s of a 1 MS/s, 3-channel meter is 120 MB, the most we hold in memory. */
export const MAX_PRETRIGGER_S = 10;
/** Longest hold-off (1 h). */
export const MAX_HOLDOFF_S = 3600;

const PREFIX: Record<string, number> = { '': 1, n: 1e-9, u: 1e-6, µ: 1e-6, m: 1e-3, k: 1e3 };

/** Parses "power>0.5W", "current<10mA" or "D3 rising"; one sentence with the fix when it cannot. */
export function parseTrigger(text: string): TriggerCondition {
  // Channel names and units in any case; SI prefixes are case-sensitive (m is milli, never mega).
  const t = text
    .trim()
    .replace(/^[a-z]+/iu, (w) => w.toLowerCase())
    .replace(/[awv]$/u, (u) => u.toUpperCase());
  const digital = /^D([0-7])\s*(rising|falling|↑|↓)$/iu.exec(t);
  if (digital) {
    const edge = digital[2]!.toLowerCase() === 'falling' || digital[2] === '↓' ? 'falling' : 'rising';
    return { kind: 'digital', line: Number(digital[1]), edge, text: `D${digital[1]} ${edge}` };
  }
  const level = /^(current|power|voltage)\s*([<>])\s*([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*([nuµmk]?)([AWV]?)$/u.exec(t);
  if (!level) {
    throw new UserError(`"${text}" is not a trigger; write a level like power>0.5W or current<10mA, or a digital edge like D3 rising.`, 'bad-trigger');
  }
  const channel = level[1]!.toLowerCase() as Channel;
  const unit = level[5] ?? '';
  const want = CHANNEL_UNITS[channel];
  if (unit && unit !== want) {
    throw new UserError(`"${text}": ${channel} is measured in ${want}, not ${unit}; write it like ${channel}${level[2]}0.5${want}.`, 'bad-trigger');
  }
  const prefix = level[4] ?? '';
  // A bare "10m" is more likely a typo than milli-something: a prefix needs its unit.
  if (prefix && !unit) throw new UserError(`"${text}": give the unit after ${prefix}, like ${channel}${level[2]}10${prefix}${want}.`, 'bad-trigger');
  const value = Number(level[3]) * PREFIX[prefix]!;
  if (!Number.isFinite(value) || Math.abs(value) > 1e6) {
    throw new UserError(`"${text}": the level must be a finite number of at most 1e6 ${want}.`, 'bad-trigger');
  }
  const edge = level[2] === '>' ? 'rising' : 'falling';
  return { kind: 'level', channel, edge, level: value, text: `${channel}${level[2]}${level[3]}${prefix}${want}` };
}

/** Refuses a condition the meter cannot evaluate, in one sentence naming what it can. */
export function checkTriggerFits(cond: TriggerCondition, caps: MeterCapabilities, meterName: string): void {
  if (cond.kind === 'digital') {
    if (cond.line >= caps.digitalInputs) {
      throw new UserError(
        caps.digitalInputs > 0
          ? `The ${meterName} meter has digital inputs D0–D${caps.digitalInputs - 1} only; choose one of those.`
          : `The ${meterName} meter has no digital inputs; trigger on a level instead (e.g. ${caps.channels[0] ?? 'current'}>0.1${CHANNEL_UNITS[caps.channels[0] ?? 'current']}).`,
        'bad-trigger',
      );
    }
  } else if (!caps.channels.includes(cond.channel)) {
    throw new UserError(`The ${meterName} meter does not measure ${cond.channel}; trigger on ${caps.channels.join(' or ')} instead.`, 'bad-trigger');
  }
}

/**
 * Finds the first crossing of a condition in a stream of chunks. Samples before `notBeforeNs` (the
 * hold-off) still set the previous state but cannot fire; a non-finite sample or a gap forgets it,
 * so a crossing is never inferred across missing data.
 */
export class CrossingDetector {
  /** Whether the condition held at the last sample seen; undefined before the first (or after a gap). */
  private prev: boolean | undefined;
  private lastEndNs: number | undefined;

  constructor(
    readonly cond: TriggerCondition,
    public notBeforeNs = -Infinity,
  ) {}

  /** Index of the first sample at or after `from` where the condition becomes true, or -1. */
  scan(chunk: SampleChunk, from = 0): number {
    if (this.lastEndNs !== undefined && chunk.t0Ns - this.lastEndNs > chunk.periodNs * 1.5) this.prev = undefined;
    this.lastEndNs = chunk.t0Ns + chunk.count * chunk.periodNs;
    const c = this.cond;
    let plane: Float32Array | Uint8Array | undefined;
    if (c.kind === 'level') plane = chunk.data[chunk.channels.indexOf(c.channel)];
    else plane = chunk.digital;
    if (!plane) {
      this.prev = undefined;
      return -1;
    }
    const rising = c.edge === 'rising';
    for (let i = from; i < chunk.count; i++) {
      const v = plane[i]!;
      let holds: boolean;
      if (c.kind === 'level') {
        if (!Number.isFinite(v)) {
          this.prev = undefined;
          continue;
        }
        holds = rising ? v > c.level : v < c.level;
      } else {
        const bit = (v >> c.line) & 1;
        holds = rising ? bit === 1 : bit === 0;
      }
      const fired = holds && this.prev === false && chunk.t0Ns + i * chunk.periodNs >= this.notBeforeNs;
      this.prev = holds;
      if (fired) return i;
    }
    return -1;
  }

  /** A gap in the stream: the state before it says nothing about after it. */
  gap(): void {
    this.prev = undefined;
  }
}

export type BufferedItem = { chunk: SampleChunk } | { gap: MeterGap };

/**
 * The newest chunk (where a crossing is found) and `keepNs` of stream before it (chunks and gaps),
 * for a pre-trigger; whole chunks are kept, so it holds at most one chunk more than needed.
 */
export class PreTriggerBuffer {
  private items: BufferedItem[] = [];

  constructor(readonly keepNs: number) {}

  push(item: BufferedItem): void {
    this.items.push(item);
    const cutoff = ('chunk' in item ? item.chunk.t0Ns : item.gap.startNs) - this.keepNs;
    let drop = 0;
    while (drop < this.items.length - 1 && endOf(this.items[drop]!) <= cutoff) drop++;
    if (drop > 0) this.items = this.items.slice(drop);
  }

  /** Host time of the oldest sample held, or undefined when empty. */
  firstNs(): number | undefined {
    for (const it of this.items) if ('chunk' in it) return it.chunk.t0Ns;
    return undefined;
  }

  take(): BufferedItem[] {
    const out = this.items;
    this.items = [];
    return out;
  }
}

function endOf(item: BufferedItem): number {
  return 'chunk' in item ? item.chunk.t0Ns + item.chunk.count * item.chunk.periodNs : item.gap.endNs;
}
