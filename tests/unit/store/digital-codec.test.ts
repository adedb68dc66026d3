import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDigital, encodeDigital } from '../../../main/store/digital-codec';

describe('digital-input run-length codec', () => {
  it('round-trips any byte sequence exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 255 })), { maxLength: 3000 }), (arr) => {
        const bytes = Uint8Array.from(arr);
        expect(Array.from(decodeDigital(encodeDigital(bytes), bytes.length))).toEqual(arr);
      }),
      { numRuns: 200 },
    );
  });

  it('stores a quiet logic port in a few bytes instead of one per sample', () => {
    const bytes = new Uint8Array(25_000);
    bytes.fill(0b0000_0001, 10_000, 10_200); // one pulse on D0
    const enc = encodeDigital(bytes);
    expect(enc.length).toBeLessThan(12);
    expect(decodeDigital(enc, bytes.length)).toEqual(bytes);
  });

  it('rejects a damaged blob instead of inventing samples', () => {
    const enc = encodeDigital(new Uint8Array(100));
    expect(() => decodeDigital(enc, 99)).toThrow(/more than the chunk/);
    expect(() => decodeDigital(enc.subarray(0, enc.length - 1), 100)).toThrow(/truncated/);
    expect(() => decodeDigital(Uint8Array.from([7, 0, 1]), 1)).toThrow(/unknown digital-input encoding/);
  });
});
