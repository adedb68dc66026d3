import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rechunker, type StorageChunk } from '../../../main/session/rechunker';
import { BucketAccumulator } from '../../../main/util/decimate';
import { makeChunk } from '../../helpers/fake-meter';

describe('Rechunker', () => {
  it('cuts arbitrary driver batches into fixed-duration chunks with exact timing and no lost sample', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 30 }), (sizes) => {
        const out: StorageChunk[] = [];
        const r = new Rechunker(0.25, (c) => out.push(c));
        let offset = 0;
        const rate = 1000;
        for (const n of sizes) {
          r.push(makeChunk(offset * 1e6, rate, n, (i) => [i, 5, i * 5], offset));
          offset += n;
        }
        r.flush();
        const total = out.reduce((s, c) => s + c.count, 0);
        expect(total).toBe(offset);
        out.slice(0, -1).forEach((c) => expect(c.count).toBe(250));
        let expectIndex = 0;
        for (const c of out) {
          expect(c.t0Ns).toBeCloseTo(expectIndex * 1e6, 3);
          for (let i = 0; i < c.count; i++) expect(c.data[0]![i]).toBe(expectIndex + i);
          expectIndex += c.count;
        }
      }),
      { numRuns: 50 },
    );
  });

  it('closes a chunk early at a discontinuity so timing stays exact', () => {
    const out: StorageChunk[] = [];
    const r = new Rechunker(0.25, (c) => out.push(c));
    r.push(makeChunk(0, 1000, 100, () => [1, 1, 1]));
    r.push(makeChunk(500e6, 1000, 100, () => [2, 2, 2])); // half a second later: a gap
    r.flush();
    expect(out.map((c) => [c.t0Ns, c.count])).toEqual([
      [0, 100],
      [500e6, 100],
    ]);
  });
});

describe('BucketAccumulator', () => {
  it('keeps every spike: min and max of each bucket equal the brute-force values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ noNaN: true, min: -1e3, max: 1e3 }), { minLength: 1, maxLength: 500 }),
        fc.integer({ min: 1, max: 40 }),
        (values, per) => {
          const acc = new BucketAccumulator(per * 0.001, 0);
          acc.addRun(0, 0.001, values);
          const b = acc.finish();
          for (let k = 0; k < b.tS.length; k++) {
            const start = Math.round(b.tS[k]! / 0.001);
            const slice = values.slice(start, start + per);
            expect(b.min[k]).toBe(Math.min(...slice));
            expect(b.max[k]).toBe(Math.max(...slice));
          }
          expect(b.tS.length).toBe(Math.ceil(values.length / per));
        },
      ),
      { numRuns: 50 },
    );
  });
});
