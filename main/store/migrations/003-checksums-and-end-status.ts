/**
 * Schema v3.
 * - sample_chunks.crc32: CRC-32 (ISO-HDLC, as zlib) of the data BLOB followed by the digital BLOB when
 *   present, written at insert and checked whenever a chunk is decoded, so a damaged BLOB becomes a
 *   reported gap instead of numbers. Chunks stored before v3 keep NULL: "not verified".
 * - sessions.status gains 'incomplete' (the meter was lost and did not come back) and 'cancelled', and
 *   sessions.status_reason holds one sentence saying why a session ended early. SQLite cannot alter a
 *   CHECK constraint, so the table is rebuilt as in https://www.sqlite.org/lang_altertable.html
 *   ("Making Other Kinds Of Table Schema Changes"); the runner turns foreign keys off around this
 *   migration (dropping the old table would otherwise cascade to every chunk) and checks them after.
 * - A covering index over the per-chunk stats: summaries and zoomed-out traces read only the index,
 *   never the rows whose stats sit after a large BLOB in overflow pages. It starts with the columns of
 *   sample_chunks_time, which it replaces.
 */
export const sql = `
ALTER TABLE sample_chunks ADD COLUMN crc32 INTEGER;

CREATE TABLE sessions_v3 (
  id                INTEGER PRIMARY KEY,
  name              TEXT    NOT NULL,
  kind              TEXT    NOT NULL CHECK (kind IN ('power', 'profile')),
  status            TEXT    NOT NULL CHECK (status IN ('recording', 'complete', 'interrupted', 'incomplete', 'cancelled')),
  started_at        TEXT    NOT NULL,
  ended_at          TEXT,
  start_mono_ns     INTEGER NOT NULL,
  duration_s        REAL,
  meter_id          INTEGER REFERENCES meters (id),
  simulated         INTEGER NOT NULL DEFAULT 0 CHECK (simulated IN (0, 1)),
  model             TEXT,
  backend           TEXT,
  notes             TEXT    NOT NULL DEFAULT '',
  channels          TEXT    NOT NULL DEFAULT '[]',
  sample_rate_hz    REAL,
  writer_pid        INTEGER,
  summary           TEXT,
  nominal_voltage_v REAL,
  status_reason     TEXT                       -- one sentence: why the session ended early, if it did
);
INSERT INTO sessions_v3 (id, name, kind, status, started_at, ended_at, start_mono_ns, duration_s, meter_id, simulated,
  model, backend, notes, channels, sample_rate_hz, writer_pid, summary, nominal_voltage_v)
SELECT id, name, kind, status, started_at, ended_at, start_mono_ns, duration_s, meter_id, simulated,
  model, backend, notes, channels, sample_rate_hz, writer_pid, summary, nominal_voltage_v
FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_v3 RENAME TO sessions;

CREATE INDEX sample_chunks_stats ON sample_chunks (session_id, t0_ns, count, period_ns, crc32,
  current_min, current_max, current_mean, voltage_min, voltage_max, voltage_mean, power_min, power_max, power_mean);
DROP INDEX sample_chunks_time;
`;
