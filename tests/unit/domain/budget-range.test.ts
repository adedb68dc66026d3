import { describe, expect, it } from 'vitest';
import { BUDGET_MAX, parseBudget } from '../../../main/domain/budget';
import { isUserError } from '../../../main/util/errors';

function refusal(text: string): string {
  try {
    parseBudget(text);
  } catch (e) {
    expect(isUserError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error(`"${text}" was accepted`);
}

describe('budget ranges: every budget is finite and physical', () => {
  it('refuses a budget that overflows to Infinity with one sentence giving the limit', () => {
    const msg = refusal('1e308GMAC');
    expect(msg).toBe('The budget 1e308 GMAC is larger than any model here could use; give at most 1e15 MAC (1e6 GMAC).');
  });

  it('calls 1e99 MAC a number that is too large, not "not a number"', () => {
    expect(refusal('1e99 MAC')).toBe('The budget 1e99 MAC is larger than any model here could use; give at most 1e15 MAC.');
    expect(refusal('1e99MAC')).not.toMatch(/not a number/);
  });

  it('states the limit of each kind, in the base unit', () => {
    expect(refusal('5000s')).toMatch(/at most 3600 s\.$/);
    expect(refusal('1e400us')).toMatch(/at most 3600 s \(3.6e9 us\)\./);
    expect(refusal('20000J')).toMatch(/at most 10000 J\.$/);
    expect(refusal('1e8mJ')).toMatch(/at most 10000 J \(1e7 mJ\)\./);
  });

  it('accepts the limits themselves and the exponent notation below them', () => {
    expect(parseBudget('1e15MAC').value).toBe(BUDGET_MAX.macs.value);
    expect(parseBudget('1e6GMAC').value).toBe(1e15);
    expect(parseBudget('3600s').value).toBe(3600);
    expect(parseBudget('2.5e6 MAC').value).toBe(2.5e6);
  });

  it('refuses a budget that underflows to zero as not positive', () => {
    expect(refusal('1e-400MAC')).toMatch(/must be a positive number/);
  });

  it('never returns a non-finite value for any number the grammar accepts', () => {
    for (const exp of [0, 10, 100, 200, 300, 308, 309, 400]) {
      for (const unit of ['MAC', 'GMAC', 'us', 's', 'uJ', 'J']) {
        const text = `1e${exp}${unit}`;
        try {
          expect(Number.isFinite(parseBudget(text).value)).toBe(true);
        } catch (e) {
          expect(isUserError(e)).toBe(true);
        }
      }
    }
  });
});

describe('durations: finite and within what a timer can wait for', () => {
  it('refuses 1e99s as too long (not as "not a duration"), accepts the limit', async () => {
    const { parseDurationSeconds, MAX_DURATION_S } = await import('../../../main/util/clock');
    expect(() => parseDurationSeconds('1e99s')).toThrow('"1e99s" is longer than anything here can wait for; give at most 576h (24 days).');
    expect(() => parseDurationSeconds('1e400')).toThrow(/give at most 576h/);
    expect(() => parseDurationSeconds('600h')).toThrow(/give at most 576h/);
    expect(parseDurationSeconds('576h')).toBe(MAX_DURATION_S);
    expect(parseDurationSeconds('1.5e3ms')).toBe(1.5);
    // 576 h stays below Node's timer limit (2^31 − 1 ms), beyond which a timer fires at once.
    expect(MAX_DURATION_S * 1000).toBeLessThan(2 ** 31 - 1);
  });
});
