/**
 * Markers of a session: the user's notes (kind 'note': a time or a range with a label) and what a
 * profiling run stores (phases, alignment, its description...). Times are session-relative ns.
 * ProfileRepo writes through these same functions.
 */
import { UserError } from '../util/errors';
import type { Db } from './database';

export interface MarkerInput {
  tNs: number;
  endNs: number | null;
  kind: string;
  label: string;
  data: unknown;
}

export interface MarkerRow {
  id: number;
  t_ns: number;
  end_ns: number | null;
  kind: string;
  label: string;
  data: string | null;
}

/** Kinds shown on the trace for people; the others ('run', 'alignment', ...) carry data for the analysis. */
export const VISIBLE_MARKER_KINDS = ['note', 'phase'] as const;

export const MAX_MARKER_LABEL = 200;

export class MarkersRepo {
  constructor(private readonly db: Db) {}

  add(sessionId: number, m: MarkerInput): number {
    const r = this.db
      .prepare('INSERT INTO markers (session_id, t_ns, end_ns, kind, label, data) VALUES (?, ?, ?, ?, ?, ?)')
      .run(sessionId, Math.round(m.tNs), m.endNs === null ? null : Math.round(m.endNs), m.kind, m.label, m.data === null ? null : JSON.stringify(m.data));
    return Number(r.lastInsertRowid);
  }

  list(sessionId: number, kinds?: readonly string[]): MarkerRow[] {
    const rows = this.db
      .prepare('SELECT id, t_ns, end_ns, kind, label, data FROM markers WHERE session_id = ? ORDER BY t_ns, id')
      .all(sessionId) as MarkerRow[];
    return kinds ? rows.filter((r) => kinds.includes(r.kind)) : rows;
  }

  get(sessionId: number, markerId: number): MarkerRow {
    const row = this.db.prepare('SELECT id, t_ns, end_ns, kind, label, data FROM markers WHERE session_id = ? AND id = ?').get(sessionId, markerId) as
      MarkerRow | undefined;
    if (!row) throw new UserError(`Session ${sessionId} has no marker ${markerId}; reload the marker list.`, 'no-marker');
    return row;
  }

  /** Deletes a marker of kind 'note'; markers a profiling run wrote are part of its result and stay. */
  deleteNote(sessionId: number, markerId: number): void {
    const row = this.get(sessionId, markerId);
    if (row.kind !== 'note') {
      throw new UserError(
        `Marker ${markerId} is the profiling run's "${row.label}" ${row.kind}, part of its result; only your own notes can be deleted.`,
        'not-a-note',
      );
    }
    this.db.prepare('DELETE FROM markers WHERE id = ?').run(markerId);
  }

  /** Replaces the markers of one kind (analysis results are recomputed, never appended twice). */
  replaceKind(sessionId: number, kind: string, markers: MarkerInput[]): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM markers WHERE session_id = ? AND kind = ?').run(sessionId, kind);
      for (const m of markers) this.add(sessionId, { ...m, kind });
    })();
  }
}
