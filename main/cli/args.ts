/** Parsing of arguments several commands share: session ids and points in a session's time. */
import { parseDurationSeconds } from '../util/clock';
import { UserError } from '../util/errors';

export function sessionIdArg(text: string): number {
  const id = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(id) || id <= 0) {
    throw new UserError(`"${text}" is not a session id; run "ddi-profiler sessions" to list them.`, 'no-session');
  }
  return id;
}

/** --from / --to: a time from the session's start, "1.5s", "250ms", "2m" or bare seconds. */
export function sessionTimeArg(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDurationSeconds(text);
  } catch {
    throw new UserError(`${option} "${text}" is not a time; write it like 1.5s, 250ms or 2m (from the session's start).`, 'bad-range');
  }
}
