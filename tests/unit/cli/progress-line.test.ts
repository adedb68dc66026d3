import { describe, expect, it } from 'vitest';
import { progressBar, progressLine, type ProgressStream } from '../../../main/cli/context';

function fakeStream(isTTY: boolean | undefined): ProgressStream & { written: string[] } {
  const written: string[] = [];
  return { isTTY, written, write: (t: string) => written.push(t) };
}

describe('progressLine', () => {
  it('draws on a terminal, rewriting one line, and clears it when done', () => {
    const s = fakeStream(true);
    let t = 1_000;
    const p = progressLine(s, () => t);
    p.update('eval 1/10');
    t += 50;
    p.update('eval 2/10'); // within 100 ms of the last redraw: skipped
    t += 100;
    p.update('eval 3/10');
    p.done();
    expect(s.written).toEqual(['\r\x1b[2Keval 1/10', '\r\x1b[2Keval 3/10', '\r\x1b[2K']);
  });

  it('writes nothing at all to a pipe or a file (isTTY false or absent)', () => {
    for (const s of [fakeStream(false), fakeStream(undefined)]) {
      const p = progressLine(s, () => 0);
      p.update('eval 1/10');
      p.done();
      expect(s.written).toEqual([]);
    }
  });

  it('clears nothing on a terminal when nothing was drawn', () => {
    const s = fakeStream(true);
    progressLine(s, () => 0).done();
    expect(s.written).toEqual([]);
  });
});

describe('progressBar', () => {
  it('shows the count, a bar, the percentage and the time left at the rate so far', () => {
    expect(progressBar('eval', 4000, 10000, 8, 10)).toBe('eval 4000/10000 [####------] 40 % 12 s left');
    expect(progressBar('eval', 0, 10, 0, 4)).toBe('eval 0/10 [----] 0 %');
    expect(progressBar('eval', 10, 10, 3, 4)).toBe('eval 10/10 [####] 100 %');
  });
});
