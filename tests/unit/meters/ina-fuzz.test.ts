import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeInaFrame } from '../../../main/meters/ina/frame';
import { InaStreamParser } from '../../../main/meters/ina/stream-parser';

describe('INA parser fuzz', () => {
  it('arbitrary bytes never throw, and every frame it returns is a valid frame present in the input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(3000), { maxLength: 6 }), (bytes, cuts) => {
        const p = new InaStreamParser();
        const hex = Buffer.from(bytes).toString('hex');
        let prev = 0;
        for (const c of [...cuts.sort((a, b) => a - b), bytes.length]) {
          const r = p.push(bytes.subarray(prev, Math.max(prev, c)));
          prev = Math.max(prev, Math.min(c, bytes.length));
          for (const f of r.frames) {
            // A returned frame re-encodes to 20 bytes that really occur in the input.
            expect(hex.includes(Buffer.from(encodeInaFrame(f)).toString('hex'))).toBe(true);
          }
          for (const s of r.text) {
            expect(Number.isFinite(s.voltageV) || Number.isNaN(s.voltageV)).toBe(true);
            expect(Number.isFinite(s.currentA) || Number.isNaN(s.currentA)).toBe(true);
            expect(Number.isFinite(s.voltageV) || Number.isFinite(s.currentA)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('valid frames with random corruption: corrupted frames are dropped, intact ones all survive', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ v: fc.float({ noNaN: true, noDefaultInfinity: true }), i: fc.float({ noNaN: true, noDefaultInfinity: true }) }), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.array(fc.record({ frame: fc.nat(), byte: fc.nat(19), xor: fc.integer({ min: 1, max: 255 }) }), { maxLength: 5 }),
        (values, corruptions) => {
          const frames = values.map((x, k) => encodeInaFrame({ seq: k, tUs: k * 1000, flags: 0, voltageV: x.v, currentA: x.i }));
          const originals = frames.map((f) => Buffer.from(f).toString('hex'));
          for (const c of corruptions) {
            const f = frames[c.frame % frames.length]!;
            f[c.byte] = f[c.byte]! ^ c.xor;
          }
          // Two flips of the same bit cancel out: compare with the original bytes.
          const corrupted = new Set(frames.map((f, k) => (Buffer.from(f).toString('hex') === originals[k] ? -1 : k)));
          const p = new InaStreamParser();
          const got = p.push(Buffer.concat(frames)).frames.map((f) => f.seq);
          for (const k of got) expect(corrupted.has(k)).toBe(false);
          for (let k = 0; k < frames.length; k++) if (!corrupted.has(k)) expect(got).toContain(k);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('arbitrary printable text lines never throw and never yield infinite values', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 60 }), { maxLength: 30 }), (lines) => {
        const p = new InaStreamParser({ plainCurrentUnit: 'mA' });
        const r = p.push(Buffer.from(lines.join('\n') + '\n'));
        for (const s of r.text) {
          expect(Math.abs(s.voltageV) === Infinity || Math.abs(s.currentA) === Infinity).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
