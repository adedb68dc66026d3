/**
 * Reads the members of a ZIP archive without extracting it: the central directory gives each
 * member's sizes, CRC-32 and offset (local headers written by streaming archivers carry zero sizes
 * and a data descriptor, so only the central directory is trusted), and a member's bytes are
 * inflated as a stream so a large member never sits in memory whole.
 * Format: PKWARE APPNOTE.TXT 6.3.x, sections 4.3.7 (local header), 4.3.12 (central directory
 * header) and 4.3.16 (end of central directory record). Stored (0) and deflated (8) members are
 * read; ZIP64 archives (members over 4 GiB) and encrypted members are refused.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { createInflateRaw, inflateRawSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { crc32 } from '../store/chunk-crc';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** Why a file is not a ZIP archive this reader can use; the caller words the user's sentence. */
export class ZipFormatError extends Error {}

const EOCD_SIG = 0x06054b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;

export class ZipArchive {
  readonly entries: ZipEntry[];

  private constructor(
    readonly path: string,
    entries: ZipEntry[],
  ) {
    this.entries = entries;
  }

  static open(path: string): ZipArchive {
    const fd = openSync(path, 'r');
    try {
      return new ZipArchive(path, readCentralDirectory(fd));
    } finally {
      closeSync(fd);
    }
  }

  entry(name: string): ZipEntry | undefined {
    return this.entries.find((e) => e.name === name || e.name.endsWith(`/${name}`));
  }

  /** A small member read whole (e.g. metadata.json), its CRC-32 checked. */
  readSmall(entry: ZipEntry, maxBytes: number): Buffer {
    if (entry.uncompressedSize > maxBytes) throw new ZipFormatError(`${entry.name} is ${entry.uncompressedSize} bytes, more than ${maxBytes}`);
    const fd = openSync(this.path, 'r');
    try {
      const start = dataOffset(fd, entry);
      const raw = Buffer.alloc(entry.compressedSize);
      if (readSync(fd, raw, 0, raw.length, start) !== raw.length) throw new ZipFormatError(`${entry.name} is cut short`);
      const bytes = entry.method === 0 ? raw : inflate(raw, entry.name);
      if (bytes.length !== entry.uncompressedSize)
        throw new ZipFormatError(`${entry.name} holds ${bytes.length} bytes, the directory says ${entry.uncompressedSize}`);
      if (crc32(bytes) !== entry.crc32) throw new ZipFormatError(`${entry.name} fails its CRC-32 check`);
      return bytes;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The member's uncompressed bytes as a stream. The caller counts the bytes and checks the CRC-32
   * (see `checkedBytes`), since a stream cannot refuse its last piece.
   */
  stream(entry: ZipEntry): Readable {
    const fd = openSync(this.path, 'r');
    let start: number;
    try {
      start = dataOffset(fd, entry);
    } finally {
      closeSync(fd);
    }
    if (entry.compressedSize === 0) return Readable.from([]);
    // createReadStream's end is inclusive.
    const raw = createReadStream(this.path, { start, end: start + entry.compressedSize - 1 });
    return entry.method === 0 ? raw : raw.pipe(createInflateRaw());
  }
}

/** Iterates the member's bytes and throws at the end when their count or CRC-32 is not what the directory says. */
export async function* checkedBytes(zip: ZipArchive, entry: ZipEntry): AsyncGenerator<Buffer> {
  let crc = 0;
  let n = 0;
  try {
    for await (const piece of zip.stream(entry) as AsyncIterable<Buffer>) {
      crc = crc32(piece, crc);
      n += piece.length;
      yield piece;
    }
  } catch (e) {
    if (e instanceof ZipFormatError) throw e;
    throw new ZipFormatError(`${entry.name} cannot be decompressed (${(e as Error).message})`);
  }
  if (n !== entry.uncompressedSize) throw new ZipFormatError(`${entry.name} holds ${n} bytes, the directory says ${entry.uncompressedSize}`);
  if (crc !== entry.crc32) throw new ZipFormatError(`${entry.name} fails its CRC-32 check`);
}

function inflate(raw: Buffer, name: string): Buffer {
  try {
    return inflateRawSync(raw);
  } catch (e) {
    throw new ZipFormatError(`${name} cannot be decompressed (${(e as Error).message})`);
  }
}

function readCentralDirectory(fd: number): ZipEntry[] {
  const size = fstatSync(fd).size;
  // The end record is 22 bytes plus a comment of at most 65 535 bytes.
  const tailLen = Math.min(size, 22 + 0xffff);
  const tail = Buffer.alloc(tailLen);
  readSync(fd, tail, 0, tailLen, size - tailLen);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('it is not a ZIP archive (no end of central directory record)');
  const count = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw new ZipFormatError('it is a ZIP64 archive (over 4 GiB), which is not supported');
  }
  if (cdOffset + cdSize > size) throw new ZipFormatError('its central directory lies outside the file (truncated archive)');
  const cd = Buffer.alloc(cdSize);
  readSync(fd, cd, 0, cdSize, cdOffset);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CDH_SIG) throw new ZipFormatError('its central directory is damaged');
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const entry: ZipEntry = {
      name: cd.toString('utf8', p + 46, p + 46 + nameLen),
      method,
      flags,
      crc32: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      uncompressedSize: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
    };
    if (entry.compressedSize === 0xffffffff || entry.uncompressedSize === 0xffffffff || entry.localHeaderOffset === 0xffffffff) {
      throw new ZipFormatError(`${entry.name} is a ZIP64 member (over 4 GiB), which is not supported`);
    }
    if (flags & 1) throw new ZipFormatError(`${entry.name} is encrypted`);
    if (method !== 0 && method !== 8) throw new ZipFormatError(`${entry.name} uses compression method ${method} (only stored and deflate are read)`);
    entries.push(entry);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Where a member's data starts: after its local header, whose name and extra lengths may differ from the directory's. */
function dataOffset(fd: number, entry: ZipEntry): number {
  const h = Buffer.alloc(30);
  if (readSync(fd, h, 0, 30, entry.localHeaderOffset) !== 30 || h.readUInt32LE(0) !== LFH_SIG) {
    throw new ZipFormatError(`the local header of ${entry.name} is missing`);
  }
  return entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
}
