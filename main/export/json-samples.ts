/**
 * The samples of a JSON export (`--samples`), written as a stream of pieces so a session of any
 * length keeps memory flat: `{"columns": ["time_s", "current_A", …, "digital"?], "rows": [[t, i, …], …]}`.
 * Times are seconds from session start with nanosecond digits, values the stored float32 with 7
 * significant digits (as in the CSV); a channel missing from a chunk is null. Damaged chunks give
 * no rows (they are listed in the export's gaps).
 */
import type { Channel } from '../meters/types';
import { CHANNEL_UNITS } from '../meters/types';
import type { Db } from '../store/database';
import { SessionsRepo } from '../store/sessions-repo';
import { chunkPages } from './chunk-pages';

const ROWS_PER_PIECE = 16_384;

export async function produceJsonSamples(
  db: Db,
  id: number,
  sink: (text: string) => Promise<void>,
  range: { fromNs: number; toNs: number } | null,
  indent: string,
): Promise<void> {
  const row = new SessionsRepo(db).get(id);
  const channels = JSON.parse(row.channels) as Channel[];
  const order: Channel[] = (['current', 'voltage', 'power'] as Channel[]).filter((c) => channels.includes(c));
  const hasDigital = db.prepare('SELECT 1 FROM sample_chunks WHERE session_id = ? AND digital IS NOT NULL LIMIT 1').get(id) !== undefined;
  const columns = ['time_s', ...order.map((c) => `${c}_${CHANNEL_UNITS[c]}`), ...(hasDigital ? ['digital'] : [])];
  await sink(`{\n${indent}  "columns": ${JSON.stringify(columns)},\n${indent}  "rows": [`);
  let lines: string[] = [];
  let first = true;
  const flush = async (): Promise<void> => {
    if (lines.length === 0) return;
    await sink((first ? '\n' : ',\n') + lines.join(',\n'));
    first = false;
    lines = [];
  };
  for (const page of chunkPages(db, id, order, range ?? undefined)) {
    for (const chunk of page) {
      for (let i = 0; i < chunk.count; i++) {
        const tNs = chunk.t0Ns + i * chunk.periodNs;
        if (range && !(tNs + chunk.periodNs > range.fromNs && tNs < range.toNs)) continue;
        const values = chunk.planes.map((p) => (p && Number.isFinite(p[i]!) ? Number(p[i]!.toPrecision(7)) : null));
        const digital = hasDigital ? [chunk.digital ? chunk.digital[i]! : null] : [];
        lines.push(`${indent}    [${(tNs / 1e9).toFixed(9)},${[...values, ...digital].map((v) => (v === null ? 'null' : String(v))).join(',')}]`);
        if (lines.length >= ROWS_PER_PIECE) await flush();
      }
    }
  }
  await flush();
  await sink(`${first ? '' : '\n' + indent + '  '}]\n${indent}}`);
}
