/**
 * A session row the app cannot read in full (a malformed stored field, a non-finite statistic from
 * an older version) must never make the whole list unreadable. Such a row is shown as damaged: every
 * field that is still valid on its own is kept (name, status, times…), the rest get neutral values,
 * and `damaged` says in one sentence what could not be read. Its stored data are left untouched.
 */
import { z } from 'zod';
import { SessionSummarySchema, type SessionSummary } from '../api/contract';
import { sessionSummary } from '../store/session-summary';
import type { SessionRow, SessionsRepo } from '../store/sessions-repo';
import { errorMessage } from '../util/errors';

type Fields = Record<string, unknown>;
const shape = SessionSummarySchema.shape as Record<string, z.ZodType>;

/** The session's summary, or the same row marked damaged; never throws for a row that exists. */
export function readableSummary(
  repo: SessionsRepo,
  row: SessionRow,
  summarize: (r: SessionRow) => SessionSummary = (r) => sessionSummary(repo, r),
): SessionSummary {
  let computed: Fields | undefined;
  let problem: string;
  try {
    computed = summarize(row) as Fields;
    const parsed = SessionSummarySchema.safeParse(computed);
    if (parsed.success) return parsed.data;
    problem = describeIssue(parsed.error.issues[0]);
  } catch (e) {
    problem = oneClause(errorMessage(e));
  }
  return damagedSummary(row, computed, problem);
}

function damagedSummary(row: SessionRow, computed: Fields | undefined, problem: string): SessionSummary {
  const fields: Fields = {};
  // What the summary computed, else the stored row itself (snake_case columns → contract names).
  const sources = [computed ?? {}, fromRow(row)];
  for (const key of Object.keys(shape)) {
    const schema = shape[key]!;
    const value = sources.map((s) => s[key]).find((v) => v !== undefined && schema.safeParse(v).success);
    fields[key] = value !== undefined ? value : neutral(schema);
  }
  fields.damaged = `Session ${row.id} cannot be read in full (${problem}); its stored data are kept as they are.`;
  return SessionSummarySchema.parse(fields);
}

function fromRow(row: SessionRow): Fields {
  const raw = row as unknown as Fields;
  const out: Fields = {};
  for (const [column, value] of Object.entries(raw)) out[column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  out.durationS = raw.duration_s;
  out.channels = parseJson(raw.channels);
  out.meter =
    typeof raw.meter_spec === 'string'
      ? { spec: raw.meter_spec, label: raw.meter_label ?? raw.meter_spec, driver: raw.meter_driver ?? '', simulated: raw.simulated === 1 }
      : null;
  return out;
}

/** The plainest value a field's schema accepts: absent, null, zero, empty. */
function neutral(schema: z.ZodType): unknown {
  for (const candidate of [undefined, null, 0, '', [], false, 'interrupted', 'power', {}]) {
    if (schema.safeParse(candidate).success) return candidate;
  }
  return undefined;
}

function parseJson(text: unknown): unknown {
  try {
    return typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'a stored value is malformed';
  const where = issue.path.join('.') || 'a field';
  const received = (issue as { received?: unknown }).received;
  return received !== undefined ? `its ${where} is ${String(received)}` : `its ${where} is not valid: ${oneClause(issue.message)}`;
}

/** An error message as a clause inside a sentence: first line, no final period. */
function oneClause(text: string): string {
  return (text.split('\n')[0] ?? '').replace(/[.\s]+$/, '') || 'a stored value is malformed';
}
