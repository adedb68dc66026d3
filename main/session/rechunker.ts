/**
 * Cuts the driver's batches (whatever size the device hands over) into storage chunks of a fixed
 * duration. A discontinuity (gap, different rate or channel set) closes the current chunk early, so
 * every stored chunk is evenly sampled and t0 + i·period is exact for each of its samples.
 */
import type { SampleChunk } from '../meters/types';

/** A chunk as stored: same shape as a driver's batch, cut to the storage duration. */
export type StorageChunk = SampleChunk;

export class Rechunker {
  private pieces: SampleChunk[] = [];
  private pendingCount = 0;

  constructor(
    readonly chunkSeconds: number,
    private readonly emitChunk: (c: StorageChunk) => void,
  ) {}

  push(chunk: SampleChunk): void {
    if (chunk.count <= 0) return;
    const last = this.pieces[this.pieces.length - 1];
    if (last && !continues(last, chunk)) this.flush();
    this.pieces.push(chunk);
    this.pendingCount += chunk.count;
    const target = Math.max(1, Math.round((this.chunkSeconds * 1e9) / chunk.periodNs));
    while (this.pendingCount >= target) this.cut(target);
  }

  /** Writes whatever is pending as a (shorter) chunk: at gaps and at the end of a recording. */
  flush(): void {
    if (this.pendingCount > 0) this.cut(this.pendingCount);
  }

  private cut(n: number): void {
    const first = this.pieces[0]!;
    const channels = first.channels;
    const data = channels.map(() => new Float32Array(n));
    const hasDigital = first.digital !== undefined;
    const digital = hasDigital ? new Uint8Array(n) : undefined;
    let filled = 0;
    while (filled < n) {
      const piece = this.pieces[0]!;
      const take = Math.min(piece.count, n - filled);
      for (let c = 0; c < channels.length; c++) data[c]!.set(piece.data[c]!.subarray(0, take), filled);
      if (digital && piece.digital) digital.set(piece.digital.subarray(0, take), filled);
      filled += take;
      if (take === piece.count) {
        this.pieces.shift();
      } else {
        this.pieces[0] = sliceChunk(piece, take);
      }
    }
    this.pendingCount -= n;
    const out: StorageChunk = { t0Ns: first.t0Ns, periodNs: first.periodNs, count: n, channels, data };
    if (digital) out.digital = digital;
    if (first.deviceTime !== undefined) out.deviceTime = first.deviceTime;
    this.emitChunk(out);
  }
}

function continues(prev: SampleChunk, next: SampleChunk): boolean {
  if (prev.periodNs !== next.periodNs) return false;
  if (prev.channels.join() !== next.channels.join()) return false;
  if ((prev.digital === undefined) !== (next.digital === undefined)) return false;
  const expected = prev.t0Ns + prev.count * prev.periodNs;
  return Math.abs(next.t0Ns - expected) <= prev.periodNs / 2;
}

/** Drops the first `skip` samples of a chunk, keeping its timing exact. */
export function sliceChunk(c: SampleChunk, skip: number): SampleChunk {
  const out: SampleChunk = {
    t0Ns: c.t0Ns + skip * c.periodNs,
    periodNs: c.periodNs,
    count: c.count - skip,
    channels: c.channels,
    data: c.data.map((d) => d.subarray(skip)),
  };
  if (c.digital) out.digital = c.digital.subarray(skip);
  // A device counter advances one per sample; a device clock would need its own rate, so only the
  // counter case can be carried over exactly. Otherwise the first piece's value stays authoritative.
  if (c.deviceTime !== undefined) out.deviceTime = c.deviceTime + skip;
  return out;
}
