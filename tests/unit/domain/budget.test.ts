import { describe, expect, it } from 'vitest';
import { parseBudget } from '../../../main/domain/budget';
import { isUserError } from '../../../main/util/errors';

describe('parseBudget', () => {
  it.each([
    ['20MMAC', 'macs', 20e6],
    ['500kMAC', 'macs', 5e5],
    ['1.5GMAC', 'macs', 1.5e9],
    ['1234MAC', 'macs', 1234],
    ['3ms', 'latency', 3e-3],
    ['800us', 'latency', 8e-4],
    ['800µs', 'latency', 8e-4],
    ['0.5s', 'latency', 0.5],
    ['1.5mJ', 'energy', 1.5e-3],
    ['20uJ', 'energy', 2e-5],
    ['2J', 'energy', 2],
    [' 7 ms ', 'latency', 7e-3],
  ] as const)('%s → %s %d', (text, kind, value) => {
    const b = parseBudget(text);
    expect(b.kind).toBe(kind);
    expect(b.value).toBeCloseTo(value, 12);
    expect(b.text).toBe(text.trim());
  });
  it.each(['20', 'MMAC', '20 furlongs', '-3ms', '0ms', '20mmac', 'abc', ''])('rejects %j with a UserError naming the format', (text) => {
    let err: unknown;
    try {
      parseBudget(text);
    } catch (e) {
      err = e;
    }
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toMatch(/20MMAC|MAC/);
  });
  it('explains that FLOPs are 2×MACs', () => {
    expect(() => parseBudget('40MFLOP')).toThrow(/FLOPs = 2×MACs/);
  });
});
