/**
 * Writes a small .ppk2 file from the published format (pc-nrfconnect-ppk: src/utils/saveFileHandler.ts,
 * src/globals.ts), so no binary has to be committed: a ZIP of metadata.json, session.raw (6-byte
 * frames: float32 LE current in µA, uint16 BE digital bits, two per line, D0 lowest) and
 * minimap.raw. The ZIP is written like the app's archiver does it, streaming: local headers with
 * zero sizes and the data-descriptor flag, sizes and CRC in a descriptor after the data and in the
 * central directory.
 */
import { writeFileSync } from 'node:fs';
import { crc32, deflateRawSync } from 'node:zlib';

export interface Ppk2Fixture {
  rate: number;
  /** Current in µA per sample (NaN allowed: the app writes it where samples were lost). */
  currentUa: Float32Array;
  /** Digital line states (bit n = Dn) per sample; written as the app's bit pairs. */
  lines: Uint8Array;
  startSystemTime?: number;
  formatVersion?: number;
}

/** The app's pairs: 01 = low, 10 = high for each of D0..D7 (pc-nrfconnect-ppk convertBits16). */
export function bitPairs(lines: number): number {
  let out = 0;
  for (let n = 0; n < 8; n++) out |= ((lines >> n) & 1 ? 0b10 : 0b01) << (2 * n);
  return out;
}

export function sessionRaw(f: Ppk2Fixture): Buffer {
  const buf = Buffer.alloc(f.currentUa.length * 6);
  for (let i = 0; i < f.currentUa.length; i++) {
    buf.writeFloatLE(f.currentUa[i]!, i * 6);
    buf.writeUInt16BE(bitPairs(f.lines[i]!), i * 6 + 4);
  }
  return buf;
}

export function writePpk2(path: string, f: Ppk2Fixture, tamper?: (files: Map<string, Buffer>) => void): void {
  const files = new Map<string, Buffer>([
    [
      'metadata.json',
      Buffer.from(
        JSON.stringify({
          metadata: { samplesPerSecond: f.rate, ...(f.startSystemTime ? { startSystemTime: f.startSystemTime } : {}) },
          formatVersion: f.formatVersion ?? 2,
        }),
      ),
    ],
    ['session.raw', sessionRaw(f)],
    ['minimap.raw', Buffer.from(JSON.stringify({ data: [] }))],
  ]);
  tamper?.(files);
  writeFileSync(path, zip(files));
}

/** A ZIP (deflate) as a streaming archiver writes it: local header without sizes, data descriptor, central directory. */
export function zip(files: Map<string, Buffer>, corruptCrcOf?: string): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBuf = Buffer.from(name, 'utf8');
    const comp = deflateRawSync(data, { level: 6 });
    const crc = name === corruptCrcOf ? (crc32(data) ^ 1) >>> 0 : crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0808, 6); // data descriptor + UTF-8 names, as archiver writes
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(nameBuf.length, 26); // CRC and sizes stay 0 here: they follow in the descriptor
    const desc = Buffer.alloc(16);
    desc.writeUInt32LE(0x08074b50, 0);
    desc.writeUInt32LE(crc, 4);
    desc.writeUInt32LE(comp.length, 8);
    desc.writeUInt32LE(data.length, 12);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0808, 8);
    cd.writeUInt16LE(8, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(comp.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(nameBuf.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, nameBuf);
    parts.push(local, nameBuf, comp, desc);
    offset += 30 + nameBuf.length + comp.length + 16;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.size, 8);
  end.writeUInt16LE(files.size, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBuf, end]);
}
