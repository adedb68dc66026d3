/**
 * Turns a file of samples (CSV or an nRF Connect Power Profiler .ppk2) into a session that behaves
 * like a recorded one: 250 ms storage chunks with their stats and CRC-32 (through the same
 * Rechunker and SessionsRepo.insertChunk as the recorder), non-finite samples and holes in the
 * file as recorded gaps, kind 'power', and a meter record whose driver is 'import' and whose
 * settings say `imported: true`, the format and the source file.
 *
 * The whole file is read and checked once before anything is written, so a bad file is refused
 * with one sentence and leaves the database as it was. The second pass writes in short
 * transactions (a recording in another process is never blocked for long); if that pass fails
 * (disk full), the half-written session is deleted again.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import type { MeterCapabilities } from '../meters/types';
import { Rechunker, type StorageChunk } from '../session/rechunker';
import { STORAGE_CHUNK_SECONDS } from '../session/recorder';
import { splitNonFinite } from '../session/finite-samples';
import type { Db } from '../store/database';
import { SessionsRepo, type GapRow } from '../store/sessions-repo';
import { UserError } from '../util/errors';
import { openCsv } from './csv-source';
import type { ImportSource } from './import-source';
import { openPpk2 } from './ppk2-source';

export interface ImportOptions {
  /** Session name; default: the file name without its extension. */
  name?: string;
}

export interface ImportResult {
  id: number;
  samples: number;
  gaps: number;
  durationS: number;
  format: ImportSource['format'];
}

/** Chunks written per transaction: 10 s of data, a few MB at 100 kS/s. */
const CHUNKS_PER_TRANSACTION = 40;

/** Opens the file as the importer its extension (or its first bytes) names; refuses anything else. */
export function openImportSource(path: string): ImportSource {
  const name = basename(path);
  if (!existsSync(path)) throw new UserError(`There is no file ${path}; check the path to the CSV or .ppk2 file.`, 'bad-import');
  const st = statSync(path);
  if (!st.isFile()) throw new UserError(`${path} is not a regular file; pass a CSV or .ppk2 file to import.`, 'bad-import');
  const ext = extname(path).toLowerCase();
  if (ext === '.ppk2' || (ext !== '.csv' && ext !== '.txt' && startsWithZipMagic(path))) return openPpk2(path);
  if (ext === '.ppk') {
    throw new UserError(`${name} is a legacy .ppk file; open it in the nRF Connect Power Profiler, save it as .ppk2 and import that.`, 'bad-import');
  }
  return openCsv(path);
}

function startsWithZipMagic(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.readUInt32LE(0) === 0x04034b50;
  } finally {
    closeSync(fd);
  }
}

export async function importFile(db: Db, path: string, options: ImportOptions = {}): Promise<ImportResult> {
  const abs = resolve(path);
  const source = openImportSource(abs);
  const name = options.name?.trim() || basename(abs, extname(abs));
  if (name.length > 200) throw new UserError('The session name is longer than 200 characters; pass a shorter --name.', 'bad-input');

  // Pass 1: read and check everything; nothing is written.
  let total = 0;
  for await (const part of source.parts()) if ('chunk' in part) total += part.chunk.count;
  if (total === 0) throw new UserError(`${basename(abs)} holds no samples; nothing was imported.`, 'bad-import');

  // Pass 2: write.
  const repo = new SessionsRepo(db);
  const importedAt = new Date().toISOString();
  const capabilities: MeterCapabilities = {
    channels: source.channels,
    sampleRateHz: source.sampleRateHz,
    digitalInputs: source.digitalInputs,
    deviceClock: false,
    simulated: false,
    ...(source.digitalInputs > 0 ? { digitalNames: Array.from({ length: source.digitalInputs }, (_, i) => `D${i}`) } : {}),
  };
  let meterId = 0;
  let id = 0;
  repo.transaction(() => {
    meterId = repo.addMeter({
      spec: `import:${basename(abs)}`,
      driver: 'import',
      label: `Imported from ${basename(abs)} (${source.formatLabel})`,
      capabilities,
      settings: { imported: true, format: source.format, file: abs, importedAt },
    });
    id = repo.createSession({
      name,
      kind: 'power',
      // No host clock was running for these samples: there is no monotonic anchor to join logs with.
      startMonoNs: 0,
      meterId,
      simulated: false,
      channels: source.channels,
      sampleRateHz: source.sampleRateHz,
      notes: [`Imported from ${abs} (${source.formatLabel}) on ${importedAt}.`, ...source.notes].join(' '),
    });
  });

  let seq = 0;
  let samples = 0;
  let gaps = 0;
  let endNs = 0;
  type Op = { chunk: StorageChunk } | { gap: GapRow };
  let ops: Op[] = [];
  const flushOps = (): void => {
    const batch = ops;
    ops = [];
    repo.transaction(() => {
      for (const op of batch) {
        if ('chunk' in op) repo.insertChunk(id, seq++, op.chunk.t0Ns, op.chunk);
        else repo.insertGap(id, op.gap);
      }
    });
  };
  const rechunker = new Rechunker(STORAGE_CHUNK_SECONDS, (c) => {
    ops.push({ chunk: c });
    samples += c.count;
    endNs = Math.max(endNs, c.t0Ns + c.count * c.periodNs);
    if (ops.length >= CHUNKS_PER_TRANSACTION) flushOps();
  });
  const addGap = (g: { startNs: number; endNs: number; lostSamples: number; reason: string }): void => {
    rechunker.flush();
    ops.push({ gap: { start_ns: g.startNs, end_ns: g.endNs, lost_samples: g.lostSamples, reason: g.reason } });
    gaps++;
    endNs = Math.max(endNs, g.endNs);
  };
  try {
    for await (const part of source.parts()) {
      if ('gap' in part) {
        addGap(part.gap);
        continue;
      }
      // The same rule as recording: a number that is not a measurement is a gap, never stored.
      for (const p of splitNonFinite(part.chunk)) {
        if ('gap' in p) addGap(p.gap);
        else rechunker.push(p.chunk);
      }
    }
    rechunker.flush();
    flushOps();
    const durationS = endNs / 1e9;
    repo.transaction(() => {
      repo.finishSession(id, 'complete', durationS, importedAt);
      if (source.startedAt) db.prepare('UPDATE sessions SET started_at = ? WHERE id = ?').run(source.startedAt, id);
    });
    return { id, samples, gaps, durationS, format: source.format };
  } catch (e) {
    // The file was checked in pass 1: this is the disk or the database failing. Leave nothing behind.
    repo.transaction(() => {
      db.prepare('DELETE FROM sessions WHERE id = ?').run(id);
      db.prepare('DELETE FROM meters WHERE id = ?').run(meterId);
    });
    throw e;
  }
}
