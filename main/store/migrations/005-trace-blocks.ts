/**
 * Schema v5: the top of the trace pyramid for long sessions. A session at 1 kS/s stores 40 000
 * chunks per 10 M samples, and reading 40 000 chunk stats to draw one whole-session view costs
 * tens of milliseconds; a block row aggregates 64 consecutive chunks (16 s at 250 ms chunks):
 * their time span and, per channel, the number of samples, min, max and sum. Written (upserted) in
 * the same transaction as each chunk (trace-pyramid.ts). Sessions stored before v5 have no blocks
 * and are drawn from their chunk stats as before.
 */
export const sql = `
CREATE TABLE chunk_blocks (
  session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  block       INTEGER NOT NULL,               -- chunk seq / 64
  t0_ns       INTEGER NOT NULL,               -- first sample of its earliest chunk
  end_ns      INTEGER NOT NULL,               -- just after the last sample of its latest chunk
  chunks      INTEGER NOT NULL,
  current_n INTEGER NOT NULL DEFAULT 0, current_min REAL, current_max REAL, current_sum REAL,
  voltage_n INTEGER NOT NULL DEFAULT 0, voltage_min REAL, voltage_max REAL, voltage_sum REAL,
  power_n   INTEGER NOT NULL DEFAULT 0, power_min   REAL, power_max   REAL, power_sum   REAL,
  PRIMARY KEY (session_id, block)
) WITHOUT ROWID;
`;
