import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc16Ccitt, decodeInaFrame, encodeInaFrame } from '../../../main/meters/ina/frame';
import { InaStreamParser } from '../../../main/meters/ina/stream-parser';

interface Vectors {
  crc: { check123456789: string };
  valid: Array<{
    name: string;
    seq: number;
    tUs: number;
    flags: number;
    voltageF32: string;
    currentF32: string;
    voltageV: number;
    currentA: number;
    hex: string;
  }>;
  invalid: Array<{ name: string; hex: string }>;
}
const vectors: Vectors = JSON.parse(readFileSync(join(__dirname, '../../../data/meters/ina-frame-vectors.json'), 'utf8'));
const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const FW = join(__dirname, '../../../native/firmware/ina226-framed');

describe('DDI INA frame v1 (shared test vectors)', () => {
  it('CRC-16/CCITT-FALSE matches the standard check value', () => {
    expect(crc16Ccitt(new TextEncoder().encode('123456789')).toString(16)).toBe(vectors.crc.check123456789);
  });

  for (const v of vectors.valid) {
    it(`decodes and re-encodes: ${v.name}`, () => {
      const f = decodeInaFrame(fromHex(v.hex));
      expect(f).toEqual({ seq: v.seq, tUs: v.tUs, flags: v.flags, voltageV: v.voltageV, currentA: v.currentA });
      expect(Buffer.from(encodeInaFrame(f!)).toString('hex')).toBe(v.hex);
    });
  }

  for (const v of vectors.invalid) {
    it(`rejects: ${v.name}`, () => {
      expect(decodeInaFrame(fromHex(v.hex))).toBeUndefined();
      const p = new InaStreamParser();
      const r = p.push(fromHex(v.hex));
      expect(r.frames).toEqual([]);
    });
  }

  it('the stream parser finds frames split anywhere, between text lines and after a bad frame', () => {
    const good = vectors.valid.map((v) => fromHex(v.hex));
    const bad = fromHex(vectors.invalid[0]!.hex);
    const stream = Buffer.concat([Buffer.from('# ddi-ina226 v1\r\n'), bad, ...good.slice(0, 5), Buffer.from('noise\n'), ...good.slice(5)]);
    const p = new InaStreamParser();
    const frames = [];
    for (let i = 0; i < stream.length; i += 7) frames.push(...p.push(stream.subarray(i, i + 7)).frames);
    expect(frames.map((f) => f.seq)).toEqual(vectors.valid.map((v) => v.seq));
    expect(p.badFrames).toBeGreaterThanOrEqual(1);
  });

  it('the firmware encoder (C, compiled on the host) produces exactly the vector bytes', () => {
    const gcc = spawnSync('gcc', ['--version']);
    if (gcc.status !== 0) {
      console.warn('SKIPPED firmware encoder check: gcc is not installed on this machine');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'ddi-fw-'));
    try {
      const exe = join(dir, 'host_encode');
      execFileSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O2', '-o', exe, join(FW, 'host_encode.c'), join(FW, 'ddi_frame.c')]);
      const input = vectors.valid.map((v) => `${v.seq} ${v.tUs} ${v.flags} ${v.voltageF32} ${v.currentF32}`).join('\n') + '\n';
      const out = execFileSync(exe, { input }).toString().trim().split('\n');
      expect(out[0]).toBe(`crc ${vectors.crc.check123456789}`);
      expect(out.slice(1)).toEqual(vectors.valid.map((v) => v.hex));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
