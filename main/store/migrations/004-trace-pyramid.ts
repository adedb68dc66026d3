/**
 * Schema v4: a trace pyramid per sample chunk, written when the chunk is stored (trace-pyramid.ts).
 * Between a chunk's own min/max/mean (one per 250 ms) and its samples, a trace needs coarser
 * steps so that any window of any session is drawn from at most a few hundred thousand values:
 * level 1 holds min/max/mean of every 64 samples, level 2 of every 1024. The row repeats the
 * chunk's timing and channel list so a trace reads this table alone, and level 2 comes before
 * level 1 so reading level 2 never walks level 1's overflow pages. Chunks stored before v4 have
 * no row and are decoded as before.
 */
export const sql = `
CREATE TABLE chunk_pyramid (
  chunk_id    INTEGER PRIMARY KEY REFERENCES sample_chunks (id) ON DELETE CASCADE,
  session_id  INTEGER NOT NULL,
  t0_ns       INTEGER NOT NULL,
  period_ns   REAL    NOT NULL,
  count       INTEGER NOT NULL,
  channels    TEXT    NOT NULL,            -- comma list, order of the planes in l1 and l2
  l2_samples  INTEGER NOT NULL,            -- samples per level-2 bucket
  l2          BLOB    NOT NULL,            -- per channel: float32 LE min[n], max[n], mean[n]
  l1_samples  INTEGER NOT NULL,
  l1          BLOB    NOT NULL
);
CREATE INDEX chunk_pyramid_time ON chunk_pyramid (session_id, t0_ns);
`;
