/**
 * Central check of connect options against a driver's setting descriptors, before any driver code
 * runs: every number is finite and inside the descriptor's [min, max], every enum one of its
 * choices. A driver can add stricter checks of its own, but none can forget these.
 */
import { UserError } from '../util/errors';
import { checkRange, formatSettingNumber } from './base-meter';
import type { DriverInfo, DriverSetting, MeterSpec } from './types';

/** Serial baud rates any USB-serial bridge here supports; the spec's @BAUD must be one of these. */
export const BAUD_MIN = 300;
export const BAUD_MAX = 4_000_000;

export function checkSettingRanges(driver: DriverInfo, spec: MeterSpec, options: Record<string, unknown>): void {
  if (spec.baudRate !== undefined) checkBaud(spec);
  const byKey = new Map<string, DriverSetting>(driver.settings.map((s) => [s.key, s]));
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const s = byKey.get(key);
    if (!s) {
      // Options outside the descriptors (test hooks such as batchMs) still may not be NaN/Infinity.
      if (typeof value === 'number' && !Number.isFinite(value)) {
        throw new UserError(`The ${driver.name} setting "${key}" must be a finite number, not ${value}.`, 'bad-setting');
      }
      continue;
    }
    if (s.type === 'number') checkNumber(driver.name, s, value);
    else if (s.type === 'enum' && s.choices && !s.choices.includes(value as string)) {
      throw new UserError(`The ${driver.name} setting "${key}" is ${JSON.stringify(value)}; use one of: ${s.choices.join(', ')}.`, 'bad-setting');
    }
  }
}

function checkNumber(driver: string, s: DriverSetting, value: unknown): void {
  const unit = s.unit ? ` ${s.unit}` : '';
  const min = s.min ?? -Number.MAX_VALUE;
  const max = s.max ?? Number.MAX_VALUE;
  if (typeof value !== 'number') {
    const range = s.min !== undefined && s.max !== undefined ? ` from ${s.min} to ${s.max}${unit}` : '';
    throw new UserError(`The ${driver} setting "${s.key}" must be a number${range}, not ${JSON.stringify(value)}.`, 'bad-setting');
  }
  checkRange(driver, s.key, value, min, max, unit);
}

function checkBaud(spec: MeterSpec): void {
  const baud = spec.baudRate!;
  if (!Number.isSafeInteger(baud) || baud < BAUD_MIN || baud > BAUD_MAX) {
    throw new UserError(`The baud rate @${formatSettingNumber(baud)} in "${spec.text}" is out of range; use ${BAUD_MIN} to ${BAUD_MAX}.`, 'bad-setting');
  }
}
