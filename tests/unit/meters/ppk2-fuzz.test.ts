import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ppk2StreamDecoder, ppk2Word } from '../../../main/meters/ppk2/sample-decoder';

function feed(d: Ppk2StreamDecoder, bytes: Uint8Array, cuts: number[]) {
  const words: number[] = [];
  const gaps: number[] = [];
  let p = 0;
  for (const c of [...cuts, bytes.length]) {
    const end = Math.min(bytes.length, Math.max(p, c));
    for (const e of d.push(bytes.subarray(p, end))) {
      if (e.type === 'words') words.push(...e.words);
      else gaps.push(e.lost);
    }
    p = end;
  }
  return { words, gaps };
}

describe('PPK2 decoder fuzz', () => {
  it('never throws on arbitrary bytes and only emits words with a valid range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(2000), { maxLength: 8 }), (bytes, cuts) => {
        const d = new Ppk2StreamDecoder();
        const { words, gaps } = feed(
          d,
          bytes,
          cuts.sort((a, b) => a - b),
        );
        for (const w of words) expect(ppk2Word.range(w)).toBeLessThanOrEqual(4);
        for (const g of gaps) expect(g).toBeGreaterThan(0);
        expect(words.length * 4).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 300 },
    );
  });

  const wordsArb = (n: number) =>
    fc.array(fc.record({ adc: fc.integer({ min: 100, max: 16000 }), range: fc.nat(4), digital: fc.nat(255) }), {
      minLength: n,
      maxLength: n,
    });
  const toBytes = (words: number[], junkAt: Map<number, Uint8Array> = new Map()) => {
    const out: number[] = [];
    words.forEach((w, k) => {
      const junk = junkAt.get(k);
      if (junk) out.push(...junk);
      out.push(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24);
    });
    return Uint8Array.from(out);
  };

  it('with dropped samples and arbitrary read splits, keeps every sample at its exact position', () => {
    fc.assert(
      fc.property(
        wordsArb(400),
        // Up to 4 drops of 1-62 samples, well apart. (A drop of 63 right after an unconfirmable word is
        // indistinguishable from an inserted duplicate word, like any multiple of 64: see the decoder.)
        fc.array(fc.record({ slot: fc.nat(3), off: fc.nat(20), n: fc.integer({ min: 1, max: 62 }) }), { maxLength: 4 }),
        fc.array(fc.nat(2000), { maxLength: 6 }),
        (fields, drops, cuts) => {
          const all = fields.map((f, k) => ppk2Word.make(f.adc, f.range, k, f.digital));
          const droppedIdx = new Set<number>();
          const slots = new Map(drops.map((d) => [d.slot, d] as const));
          for (const d of slots.values()) for (let k = 0; k < d.n; k++) droppedIdx.add(10 + d.slot * 95 + d.off + k);
          const sent = all.map((w, k) => ({ w, k })).filter((x) => !droppedIdx.has(x.k));
          const d = new Ppk2StreamDecoder();
          const { words, gaps } = feed(
            d,
            toBytes(sent.map((x) => x.w)),
            cuts.sort((a, b) => a - b),
          );
          void gaps;
          // Replay: position = first index + words + lost.
          let index = 0;
          let p = 0;
          const bytes = toBytes(sent.map((x) => x.w));
          const d2 = new Ppk2StreamDecoder();
          for (const c of [...cuts, bytes.length]) {
            const end = Math.min(bytes.length, Math.max(p, c));
            for (const e of d2.push(bytes.subarray(p, end))) {
              if (e.type === 'gap') index += e.lost;
              else for (const w of e.words) expect(w).toBe(all[index++]);
            }
            p = end;
          }
          // Nothing but the unconfirmable word before each drop and the last 4 words go missing.
          expect(words.length).toBeGreaterThanOrEqual(sent.length - slots.size - 4);
          expect(d.badBytes).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('with garbage inserted, never throws, keeps order, emits only original words and recovers the rest', () => {
    fc.assert(
      fc.property(
        wordsArb(300),
        fc.array(fc.record({ at: fc.integer({ min: 1, max: 290 }), junk: fc.uint8Array({ minLength: 1, maxLength: 12 }) }), { maxLength: 3 }),
        fc.array(fc.nat(1500), { maxLength: 6 }),
        (fields, injections, cuts) => {
          const all = fields.map((f, k) => ppk2Word.make(f.adc, f.range, k, f.digital));
          const junkAt = new Map(injections.map((i) => [i.at, i.junk] as const));
          const d = new Ppk2StreamDecoder();
          const { words } = feed(
            d,
            toBytes(all, junkAt),
            cuts.sort((a, b) => a - b),
          );
          const originals = new Set(all);
          // Garbage can imitate a word with the expected counter (about 1 in 10^4 per injection);
          // allow at most that one per injection, never more.
          const foreign = words.filter((w) => !originals.has(w)).length;
          expect(foreign).toBeLessThanOrEqual(junkAt.size);
          expect(words.length).toBeGreaterThanOrEqual(all.length - junkAt.size * 6 - 4);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('PPK2 metadata parser fuzz', () => {
  it('arbitrary text never throws and always yields usable calibration', async () => {
    const { parsePpk2Metadata, PPK2_DEFAULTS } = await import('../../../main/meters/ppk2/metadata');
    const keys = ['R0', 'R3', 'GS1', 'GI2', 'O0', 'S1', 'I4', 'UG0', 'VDD', 'mode', 'HW', 'Calibrated'];
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 30 }),
            fc.tuple(fc.constantFrom(...keys), fc.oneof(fc.double(), fc.constantFrom('-nan', '', 'x', '1e400'))).map(([k, v]) => `${k}: ${v}`),
          ),
          { maxLength: 40 },
        ),
        (lines) => {
          const cal = parsePpk2Metadata([...lines, 'END'].join('\n'));
          for (let r = 0; r < 5; r++) {
            // Shunts always within ×3 of nominal; every coefficient finite.
            expect(cal.r[r]!).toBeGreaterThan(PPK2_DEFAULTS.r[r]! / 3);
            expect(cal.r[r]!).toBeLessThan(PPK2_DEFAULTS.r[r]! * 3);
            for (const arr of [cal.gs, cal.gi, cal.o, cal.s, cal.i, cal.ug]) expect(Number.isFinite(arr[r]!)).toBe(true);
          }
          expect([1, 2]).toContain(cal.mode);
        },
      ),
      { numRuns: 300 },
    );
  });
});
