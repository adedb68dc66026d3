/**
 * Digital-input bytes (one per sample, e.g. the PPK2's D0–D7) stored run-length encoded: logic
 * lines change rarely, so a 25 000-sample chunk usually shrinks from 25 000 bytes to a handful,
 * which keeps the database near the 4 bytes per sample of the analogue data.
 *
 * Format: one version byte (1), then runs of [value: u8][length: LEB128 varint].
 */
const RLE_V1 = 1;

export function encodeDigital(bytes: Uint8Array, count = bytes.length): Buffer {
  const out: number[] = [RLE_V1];
  let i = 0;
  while (i < count) {
    const value = bytes[i]!;
    let run = 1;
    while (i + run < count && bytes[i + run] === value) run++;
    out.push(value);
    for (let n = run; ;) {
      const low = n & 0x7f;
      n = Math.floor(n / 128);
      if (n === 0) {
        out.push(low);
        break;
      }
      out.push(low | 0x80);
    }
    i += run;
  }
  return Buffer.from(out);
}

export function decodeDigital(blob: Uint8Array, count: number): Uint8Array {
  if (blob[0] !== RLE_V1) throw new Error(`unknown digital-input encoding ${blob[0]}`);
  const out = new Uint8Array(count);
  let pos = 1;
  let filled = 0;
  while (pos < blob.length) {
    const value = blob[pos++]!;
    let run = 0;
    let shift = 1;
    for (;;) {
      if (pos >= blob.length) throw new Error('digital-input run is truncated');
      const b = blob[pos++]!;
      run += (b & 0x7f) * shift;
      if ((b & 0x80) === 0) break;
      shift *= 128;
    }
    if (filled + run > count) throw new Error(`digital-input runs hold more than the chunk's ${count} samples`);
    out.fill(value, filled, filled + run);
    filled += run;
  }
  if (filled !== count) throw new Error(`digital-input runs hold ${filled} samples, the chunk has ${count}`);
  return out;
}
