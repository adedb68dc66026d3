/** The marker form's checks: one sentence per bad field, next to it, before anything is sent. */
export interface MarkerDraft {
  start: string;
  end: string;
  label: string;
}

export type MarkerErrors = Partial<Record<keyof MarkerDraft, string>>;

export const MAX_LABEL = 200;

/** Seconds as the form shows them: enough digits for a 1 MS/s sample, no float noise. */
export const secondsText = (s: number): string => String(+s.toFixed(6));

export function checkMarker(d: MarkerDraft, durationS: number): { errors: MarkerErrors; value?: { tS: number; endS: number | null; label: string } } {
  const errors: MarkerErrors = {};
  const end = `${+durationS.toFixed(6)} s`;
  const num = (text: string) => (/^\s*\d+(\.\d*)?\s*$|^\s*\.\d+\s*$/.test(text) ? Number(text) : NaN);
  const tS = num(d.start);
  if (d.start.trim() === '') errors.start = 'Give the time of the marker in seconds from the start, like 1.25.';
  else if (!Number.isFinite(tS)) errors.start = `"${d.start}" is not a time; write seconds from the start, like 1.25.`;
  else if (tS > durationS) errors.start = `The session ends at ${end}; give a time between 0 and ${end}.`;
  let endS: number | null = null;
  if (d.end.trim() !== '') {
    endS = num(d.end);
    if (!Number.isFinite(endS)) errors.end = `"${d.end}" is not a time; write seconds from the start, or leave it empty for a single time.`;
    else if (endS > durationS) errors.end = `The session ends at ${end}; give an end of at most ${end}.`;
    else if (Number.isFinite(tS) && !(endS > tS)) errors.end = 'The end must come after the start; leave it empty for a marker at one time.';
  }
  const label = d.label.trim();
  if (label === '') errors.label = 'Type a label saying what happens there.';
  else if (label.length > MAX_LABEL) errors.label = `Keep the label to ${MAX_LABEL} characters (it has ${label.length}).`;
  if (Object.keys(errors).length > 0) return { errors };
  return { errors, value: { tS, endS, label } };
}
