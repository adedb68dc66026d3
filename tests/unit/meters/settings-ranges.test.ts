import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { AppCore } from '../../../main/core/app-core';
import { createMeter, listDrivers } from '../../../main/meters/registry';
import { isUserError } from '../../../main/util/errors';
import { fieldError, toOptions } from '../../../renderer/src/meters/settings';

/** A port path for drivers that need one; create() never opens it. */
const specFor = (name: string, needsPort: boolean): string => (name === 'hwmon' ? 'hwmon:ina3221/VDD_IN' : needsPort ? `${name}:/dev/null-port` : name);

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isUserError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('driver settings: finite and within the stated physical range, checked centrally', () => {
  it('every numeric setting of every driver states a finite min and max', () => {
    for (const d of listDrivers()) {
      for (const s of d.settings.filter((x) => x.type === 'number')) {
        expect(Number.isFinite(s.min), `${d.name}.${s.key} min`).toBe(true);
        expect(Number.isFinite(s.max), `${d.name}.${s.key} max`).toBe(true);
        expect(s.min!).toBeLessThanOrEqual(s.max!);
      }
    }
  });

  it('refuses sim idle power 1e99 W in one sentence that gives the range', () => {
    expect(refusal(() => createMeter('sim', { idleW: 1e99 }))).toBe('The sim setting "idleW" is 1e99 W; use 0 to 1000 W.');
    expect(refusal(() => createMeter('sim', { busyW: -1 }))).toBe('The sim setting "busyW" is -1 W; use 0 to 1000 W.');
  });

  it('refuses NaN and Infinity (they arrive through Electron IPC), for described and hidden settings alike', () => {
    expect(refusal(() => createMeter('sim', { idleW: NaN }))).toBe('The sim setting "idleW" is NaN W; use 0 to 1000 W.');
    expect(refusal(() => createMeter('sim', { chunkMs: Infinity }))).toBe('The sim setting "chunkMs" must be a finite number, not Infinity.');
    expect(refusal(() => createMeter('sim', { seed: 1e99 }))).toMatch(/^The sim setting "seed" is 1e99; use 0 to 4294967295\.$/);
    expect(refusal(() => createMeter('ppk2:/dev/null-port', { batchMs: -Infinity }))).toBe(
      'The ppk2 setting "batchMs" must be a finite number, not -Infinity.',
    );
  });

  it('calls a number-like string too large for a double a number with a range, not garbage', () => {
    expect(refusal(() => createMeter('sim', { idleW: '1e999' }))).toBe('The sim setting "idleW" must be a number from 0 to 1000 W, not "1e999".');
  });

  it('refuses an unknown enum choice and a baud rate out of range', () => {
    expect(refusal(() => createMeter('scpi:tcp://127.0.0.1:5025', { terminator: 'CR' }))).toMatch(
      /^The scpi setting "terminator" is "CR"; use one of: LF, CRLF\.$/,
    );
    expect(refusal(() => createMeter('ina:/dev/null-port@99999999999'))).toBe(
      'The baud rate @99999999999 in "ina:/dev/null-port@99999999999" is out of range; use 300 to 4000000.',
    );
    expect(refusal(() => createMeter('korad:/dev/null-port', { baudRate: 1e30 }))).toBe('The korad setting "baudRate" is 1e30; use 300 to 4000000.');
  });

  it('for any double, every driver either accepts a value inside the range or refuses it with one sentence', () => {
    const numeric = listDrivers().flatMap((d) => d.settings.filter((s) => s.type === 'number').map((s) => ({ d, s })));
    fc.assert(
      fc.property(fc.constantFrom(...numeric), fc.double(), ({ d, s }, value) => {
        const inRange = Number.isFinite(value) && value >= s.min! && value <= s.max!;
        try {
          createMeter(specFor(d.name, d.needsPort), { [s.key]: value });
        } catch (e) {
          expect(isUserError(e)).toBe(true);
          const msg = (e as Error).message;
          expect(msg, 'one line, one sentence').toMatch(/^[^\n]+\.$/);
          if (!inRange) expect(msg).toContain(`"${s.key}"`);
          // In range may still be refused by a driver's own, stricter check (e.g. hwmon needs a label).
          return;
        }
        expect(inRange, `${d.name}.${s.key} = ${value} accepted`).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the Meters form', () => {
  const sim = listDrivers().find((d) => d.name === 'sim')!.settings;

  it('shows the range next to the field before anything is sent', () => {
    expect(toOptions(sim, { idleW: '1e99' }).errors.idleW).toBe('Idle power must be at most 1000 W.');
    expect(toOptions(sim, { idleW: '1e999' }).errors.idleW).toBe('Idle power must be at most 1000 W.');
    expect(toOptions(sim, { idleW: 'lots' }).errors.idleW).toBe('Idle power must be a number from 0 to 1000 W.');
    expect(toOptions(sim, { idleW: '1e99' }).options).not.toHaveProperty('idleW');
  });

  it('puts a core refusal that names a setting next to that field', () => {
    const e = new Error('The sim setting "idleW" is 1e99 W; use 0 to 1000 W.');
    expect(fieldError(e, sim)).toEqual({ key: 'idleW', message: e.message });
    expect(fieldError(new Error('The ppk2 driver needs a port.'), sim)).toBeNull();
  });
});

describe('through the API', () => {
  let core: AppCore | undefined;
  afterEach(async () => {
    await core?.close();
    core = undefined;
  });

  it('meters.connect with idle power 1e99 is refused before connecting; recording and the list keep working', async () => {
    core = AppCore.open({ dbPath: join(mkdtempSync(join(tmpdir(), 'ddi-settings-')), 'db.sqlite'), transport: 'browser' });
    await expect(core.handle('meters.connect', { spec: 'sim', options: { idleW: 1e99 } })).rejects.toMatchObject({
      shape: { code: 'bad-setting', message: 'The sim setting "idleW" is 1e99 W; use 0 to 1000 W.' },
    });
    expect(await core.handle('meters.status', {})).toBeNull();
    // Electron IPC (structured clone) can deliver Infinity; the contract refuses it in one sentence.
    await expect(core.handle('meters.connect', { spec: 'sim', options: { idleW: Infinity } })).rejects.toMatchObject({
      shape: { code: 'invalid-input' },
    });
    expect(await core.handle('sessions.list', {})).toEqual([]);
  });
});
