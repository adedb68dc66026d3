import { describe, expect, it } from 'vitest';
import { Ppk2Converter } from '../../../main/meters/ppk2/converter';
import { parsePpk2Metadata, PPK2_DEFAULTS, findMetadataEnd } from '../../../main/meters/ppk2/metadata';
import { Ppk2StreamDecoder, ppk2Word, type Ppk2Event } from '../../../main/meters/ppk2/sample-decoder';

function bytesOf(words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  const dv = new DataView(b.buffer);
  words.forEach((w, k) => dv.setUint32(k * 4, w, true));
  return b;
}
const seq = (from: number, n: number, adc = 1000, range = 1) => Array.from({ length: n }, (_, k) => ppk2Word.make(adc + k, range, from + k, k & 0xff));

function collect(events: Ppk2Event[]): { words: number[]; gaps: number[] } {
  const words: number[] = [];
  const gaps: number[] = [];
  for (const e of events) {
    if (e.type === 'words') words.push(...e.words);
    else gaps.push(e.lost);
  }
  return { words, gaps };
}

describe('PPK2 stream decoder', () => {
  it('decodes words split across arbitrary reads, keeping the partial word', () => {
    const words = seq(5, 40);
    const bytes = bytesOf(words);
    const d = new Ppk2StreamDecoder();
    const out: Ppk2Event[] = [];
    for (const cut of [3, 7, 1, 33, 2, 60]) out.push(...d.push(bytes.subarray(0, 0))); // no-op pushes are fine
    let p = 0;
    for (const size of [3, 7, 1, 33, 2, 60, 1000]) {
      out.push(...d.push(bytes.subarray(p, Math.min(bytes.length, p + size))));
      p = Math.min(bytes.length, p + size);
    }
    const { words: got, gaps } = collect(out);
    // The last LOOKAHEAD-1 words wait for their successors.
    expect(got).toEqual(words.slice(0, got.length));
    expect(got.length).toBeGreaterThanOrEqual(words.length - 4);
    expect(gaps).toEqual([]);
    expect(d.badBytes).toBe(0);
  });

  it('reports a counter jump as a gap of the missing count, across the 64 wrap', () => {
    const a = seq(60, 10); // counters 60..69 → wraps to 5
    const b = seq(60 + 10 + 17, 20); // 17 samples missing
    const { words, gaps } = collect(new Ppk2StreamDecoder().push(bytesOf([...a, ...b])));
    expect(gaps).toEqual([17]);
    expect(words.slice(0, 10)).toEqual(a);
    expect(words.slice(10)).toEqual(b.slice(0, words.length - 10));
  });

  it('skips garbage and misalignment without turning it into samples', () => {
    const a = seq(0, 12);
    const b = seq(12, 12);
    const garbage = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xde, 0xad, 0x01);
    const bytes = new Uint8Array([...bytesOf(a), ...garbage, ...bytesOf(b)]);
    const d = new Ppk2StreamDecoder();
    const { words, gaps } = collect(d.push(bytes));
    expect(gaps).toEqual([]);
    expect(words).toEqual([...a, ...b].slice(0, words.length));
    expect(words.length).toBeGreaterThanOrEqual(20);
    expect(d.badBytes).toBe(garbage.length);
  });

  it('treats ranges 5-7 as corrupt words and reports the lost sample', () => {
    const words = seq(0, 20);
    words[8] = ppk2Word.make(100, 6, 8); // corrupt range
    const { words: got, gaps } = collect(new Ppk2StreamDecoder().push(bytesOf(words)));
    expect(got).not.toContain(words[8]);
    expect(gaps).toEqual([1]);
  });
});

describe('PPK2 metadata', () => {
  const text = [
    'Calibrated: 1',
    'R0: 1010.5',
    'R1: 0',
    'R2: 10.2',
    'R3: 900', // implausible for range 3 (nominal 0.94 Ω)
    'GS1: 42.5',
    'GI1: -nan',
    'O2: 77.25',
    'VDD: 3300',
    'HW: 9173',
    'mode: 1',
    'UG0: 1.05',
    'IA: 56',
    'END',
  ].join('\r\n');

  it('parses keys case-insensitively and falls back for 0, -nan and missing values', () => {
    expect(findMetadataEnd(text)).toBe(text.length);
    expect(findMetadataEnd(text.slice(0, 40))).toBe(-1);
    const cal = parsePpk2Metadata(text);
    expect(cal.calibrated).toBe(true);
    expect(cal.r[0]).toBe(1010.5);
    expect(cal.r[1]).toBe(PPK2_DEFAULTS.r[1]);
    expect(cal.r[3]).toBe(PPK2_DEFAULTS.r[3]);
    expect(cal.gs[1]).toBe(42.5);
    expect(cal.gi[1]).toBe(1);
    expect(cal.o[2]).toBe(77.25);
    expect(cal.ug[0]).toBe(1.05);
    expect(cal.vddMv).toBe(3300);
    expect(cal.mode).toBe(1);
    expect(cal.hw).toBe(9173);
    expect(cal.warnings.join(' ')).toMatch(/R3/);
  });
});

describe('PPK2 conversion', () => {
  const cal = parsePpk2Metadata('R1: 100\nGS1: 10\nGI1: 0.95\nO1: 96\nS1: 0.00000002\nI1: 0.000001\nUG1: 1.02\nVDD: 3000\nEND\n');

  it('applies the calibration formula per range', () => {
    const conv = new Ppk2Converter(cal, 2500, { enabled: false });
    const adc = 3000;
    const x = ((adc * 4 - 96) * (1.8 / 163840)) / 100;
    const expected = 1.02 * (x * (10 * x + 0.95) + 0.00000002 * 2.5 + 0.000001);
    const current = new Float32Array(1);
    const digital = new Uint8Array(1);
    conv.convert(Uint32Array.of(ppk2Word.make(adc, 1, 0, 0xa5)), current, digital);
    expect(current[0]).toBeCloseTo(expected, 9);
    expect(digital[0]).toBe(0xa5);
  });

  it('clamps results below 0.2 µA to zero', () => {
    const conv = new Ppk2Converter(parsePpk2Metadata('END\n'), 3000, { enabled: false });
    const current = new Float32Array(1);
    conv.convert(Uint32Array.of(ppk2Word.make(0, 0, 0)), current, new Uint8Array(1));
    expect(current[0]).toBe(0);
  });

  it('spike filter replaces the 3 samples after a range switch and passes the rest', () => {
    const plain = parsePpk2Metadata('END\n');
    const words = [...Array.from({ length: 20 }, (_, k) => ppk2Word.make(5000, 1, k)), ...Array.from({ length: 10 }, (_, k) => ppk2Word.make(9000, 2, 20 + k))];
    const raw = new Float32Array(words.length);
    const filtered = new Float32Array(words.length);
    new Ppk2Converter(plain, 3000, { enabled: false }).convert(Uint32Array.from(words), raw, new Uint8Array(words.length));
    new Ppk2Converter(plain, 3000, { enabled: true }).convert(Uint32Array.from(words), filtered, new Uint8Array(words.length));
    expect(filtered.subarray(0, 20)).toEqual(raw.subarray(0, 20));
    expect(filtered.subarray(23)).toEqual(raw.subarray(23));
    for (let k = 20; k < 23; k++) {
      // Between the old level and the new one: an average, not the raw overshoot value.
      expect(filtered[k]).toBeGreaterThan(raw[0]!);
      expect(filtered[k]).toBeLessThan(raw[20]!);
    }
  });
});

describe('PPK2 decoder regression: garbage at every counter phase', () => {
  it('never releases a held garbage word after a resync (found by the emulator garbage test)', () => {
    // 20 mA in range 2 with garbage runs of 7-11 bytes inserted at every one of the 64 counter phases.
    for (let k = 0; k < 5; k++) {
      const junk = Array.from({ length: 7 + k }, (_, i) => (i * 73 + k * 11) & 0xff);
      for (let c0 = 0; c0 < 64; c0++) {
        const words = Array.from({ length: 40 }, (_, i) => ppk2Word.make(5432, 2, c0 + i, 0));
        const bytes: number[] = [];
        words.forEach((w, i) => {
          if (i === 20) bytes.push(...junk);
          bytes.push(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24);
        });
        const { words: got, gaps } = collect(new Ppk2StreamDecoder().push(Uint8Array.from(bytes)));
        expect(got.every((w) => words.includes(w))).toBe(true);
        // Timeline: outputs + lost = the words up to the last output.
        const lastIndex = words.indexOf(got.at(-1)!);
        expect(got.length + gaps.reduce((a, b) => a + b, 0)).toBe(lastIndex + 1);
      }
    }
  });
});
