/**
 * The nRF Connect Power Profiler's saved sessions (.ppk2, format version 2), as written by
 * NordicSemiconductor/pc-nrfconnect-ppk (src/utils/saveFileHandler.ts, src/globals.ts,
 * src/utils/bitConversion.ts; read by src/utils/loadFileHandler.ts):
 * - a ZIP archive (deflate) of the app's session folder;
 * - `metadata.json`: `{"metadata": {"samplesPerSecond": N, "startSystemTime": ms since 1970?},
 *   "formatVersion": 2}`;
 * - `session.raw`: one 6-byte frame per sample, no header: current in µA as a little-endian
 *   float32, then the digital inputs as a big-endian uint16 (`DataView.setUint16(4, bits)` without
 *   the little-endian flag) holding two bits per line D0..D7, D0 in the lowest pair:
 *   01 = low, 10 = high, 11 = both within the sample, 00 = no data;
 * - `minimap.raw`: the app's overview plot (derived; not read here).
 * Samples are evenly spaced at samplesPerSecond from the first one; the file has no per-sample
 * times, so a hole is visible only as NaN current, which becomes a recorded gap.
 */
import { basename } from 'node:path';
import type { Channel, SampleChunk } from '../meters/types';
import { UserError } from '../util/errors';
import type { ImportPart, ImportSource } from './import-source';
import { ZipArchive, ZipFormatError, checkedBytes, type ZipEntry } from './zip-reader';

export const PPK2_FRAME_BYTES = 6;
const SUPPORTED_VERSION = 2;
/** Frames per batch handed on: 0.65 s at 100 kS/s. */
const FRAMES_PER_BATCH = 65_536;
const CHANNELS: Channel[] = ['current'];

interface Ppk2Metadata {
  metadata?: { samplesPerSecond?: unknown; startSystemTime?: unknown };
  formatVersion?: unknown;
}

export function openPpk2(path: string): ImportSource {
  const name = basename(path);
  const bad = (why: string): UserError =>
    new UserError(`${name} is not a readable .ppk2 file (${why}); save it again from the nRF Connect Power Profiler and retry.`, 'bad-import');
  let zip: ZipArchive;
  try {
    zip = ZipArchive.open(path);
  } catch (e) {
    if (e instanceof ZipFormatError) throw bad(e.message);
    throw e;
  }
  const metaEntry = zip.entry('metadata.json');
  const raw = zip.entry('session.raw');
  if (!metaEntry || !raw) throw bad(`it lacks ${metaEntry ? 'session.raw' : 'metadata.json'}`);
  let meta: Ppk2Metadata;
  try {
    meta = JSON.parse(zip.readSmall(metaEntry, 1 << 20).toString('utf8')) as Ppk2Metadata;
  } catch (e) {
    throw bad(e instanceof ZipFormatError ? e.message : 'metadata.json is not JSON');
  }
  if (meta.formatVersion !== SUPPORTED_VERSION) {
    throw bad(`its formatVersion is ${JSON.stringify(meta.formatVersion ?? null)}; only version ${SUPPORTED_VERSION} is read`);
  }
  const rate = meta.metadata?.samplesPerSecond;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0 || rate > 10e6) {
    throw bad('metadata.samplesPerSecond is not a sample rate between 0 and 10 MS/s');
  }
  if (raw.uncompressedSize % PPK2_FRAME_BYTES !== 0) {
    throw bad(`session.raw holds ${raw.uncompressedSize} bytes, not a whole number of ${PPK2_FRAME_BYTES}-byte samples`);
  }
  if (raw.uncompressedSize === 0) throw bad('session.raw holds no samples');
  const start = meta.metadata?.startSystemTime;
  const startedAt = typeof start === 'number' && Number.isFinite(start) && start > 0 && start < 8.64e15 ? new Date(start).toISOString() : undefined;
  return {
    format: 'ppk2',
    formatLabel: 'nRF Connect Power Profiler .ppk2',
    channels: CHANNELS,
    sampleRateHz: rate,
    digitalInputs: 8,
    ...(startedAt ? { startedAt } : {}),
    notes: [],
    parts: () => ppk2Parts(zip, raw, rate, bad),
  };
}

async function* ppk2Parts(zip: ZipArchive, raw: ZipEntry, rate: number, bad: (why: string) => UserError): AsyncGenerator<ImportPart> {
  const periodNs = 1e9 / rate;
  let index = 0; // frames handed on so far
  let carry = Buffer.alloc(0);
  let current = new Float32Array(FRAMES_PER_BATCH);
  let digital = new Uint8Array(FRAMES_PER_BATCH);
  let n = 0;
  const take = (): SampleChunk => {
    const chunk: SampleChunk = {
      t0Ns: (index - n) * periodNs,
      periodNs,
      count: n,
      channels: CHANNELS,
      data: [current.subarray(0, n)],
      digital: digital.subarray(0, n),
    };
    current = new Float32Array(FRAMES_PER_BATCH);
    digital = new Uint8Array(FRAMES_PER_BATCH);
    n = 0;
    return chunk;
  };
  try {
    for await (const piece of checkedBytes(zip, raw)) {
      const buf = carry.length > 0 ? Buffer.concat([carry, piece]) : piece;
      const whole = buf.length - (buf.length % PPK2_FRAME_BYTES);
      for (let off = 0; off < whole; off += PPK2_FRAME_BYTES) {
        current[n] = buf.readFloatLE(off) * 1e-6; // µA → A
        digital[n] = ppk2Lines(buf.readUInt16BE(off + 4));
        n++;
        index++;
        if (n === FRAMES_PER_BATCH) yield { chunk: take() };
      }
      carry = Buffer.from(buf.subarray(whole));
    }
  } catch (e) {
    if (e instanceof ZipFormatError) throw bad(e.message);
    throw e;
  }
  if (n > 0) yield { chunk: take() };
}

/**
 * The PPK2 app's two bits per line to one bit per line (bit n = Dn): high when the line was high at
 * any time within the sample (10 or 11), low otherwise (01, or 00 = no data).
 */
export function ppk2Lines(bits16: number): number {
  let out = 0;
  for (let line = 0; line < 8; line++) {
    if ((bits16 >> (2 * line)) & 2) out |= 1 << line;
  }
  return out;
}
