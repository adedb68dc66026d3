/**
 * Schema v6: each block of 64 chunks (005) also packs its chunks' own stats in one BLOB, so a
 * whole view of a long session whose buckets are too narrow for blocks reads 40 000 chunk stats as
 * 625 BLOBs rather than 40 000 index rows. Per chunk, 56 bytes: t0_ns and end_ns as float64 LE, its
 * sample count as uint32 LE, then min, max, mean of current, voltage and power as float32 LE (NaN
 * where the chunk lacks the channel).
 * Blocks written before v6 have NULL here and their chunks' stats are read from the index.
 */
export const sql = `
ALTER TABLE chunk_blocks ADD COLUMN chunk_stats BLOB;
`;
