/** Numeric command-line options, checked to a stated range with one sentence each. */
import { parseDurationSeconds } from '../util/clock';
import { UserError } from '../util/errors';

/** A whole number from min to max, for --NAME. */
export function wholeNumberOption(text: string, name: string, min: number, max: number): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < min || v > max) throw new UserError(`--${name} "${text}" must be a whole number from ${min} to ${max}.`, `bad-${name}`);
  return v;
}

/** A duration (10s, 500ms, 2m) from min to max seconds, for --NAME. */
export function secondsOption(text: string, name: string, min: number, max: number): number {
  let v: number;
  try {
    v = parseDurationSeconds(text);
  } catch (e) {
    throw new UserError((e as Error).message, 'bad-duration');
  }
  if (!(v >= min && v <= max)) throw new UserError(`--${name} ${text} is out of range; use ${min} s to ${max} s.`, 'bad-duration');
  return v;
}

/** A percentage (3%, 2.5 %) above 0 and at most max %, for --NAME; returned as a fraction. */
export function percentOption(text: string, name: string, max: number): number {
  const m = /^(\d+(?:\.\d*)?|\.\d+)\s*%$/.exec(text.trim());
  const v = m ? Number(m[1]) : Number.NaN;
  if (!(v > 0 && v <= max)) throw new UserError(`--${name} "${text}" must be a percentage above 0 % and at most ${max} %, e.g. --${name} 3%.`, `bad-${name}`);
  return v / 100;
}
