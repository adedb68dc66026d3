/**
 * Schema v7: a copy of each chunk's digital-input BLOB (run-length encoded, usually a few bytes) in
 * a table of its own, with the chunk's timing, so the logic lanes under a stored trace read only
 * these small rows. Read from sample_chunks, the digital column sits after the sample BLOB and a
 * whole view would walk every sample's overflow pages (40+ MB for 10 M samples). Like the trace
 * pyramid it is derived data, not checked against the chunk's CRC; a copy that does not decode is
 * drawn as no data. Chunks stored before v7 are copied here once.
 */
export const sql = `
CREATE TABLE chunk_digital (
  chunk_id    INTEGER PRIMARY KEY REFERENCES sample_chunks (id) ON DELETE CASCADE,
  session_id  INTEGER NOT NULL,
  t0_ns       INTEGER NOT NULL,
  period_ns   REAL    NOT NULL,
  count       INTEGER NOT NULL,
  digital     BLOB    NOT NULL
);
CREATE INDEX chunk_digital_time ON chunk_digital (session_id, t0_ns);
INSERT INTO chunk_digital (chunk_id, session_id, t0_ns, period_ns, count, digital)
  SELECT id, session_id, t0_ns, period_ns, count, digital FROM sample_chunks WHERE digital IS NOT NULL;
`;
