import type { DriverInfo } from '../common/types';

/**
 * A driver describes its settings (type, unit, range, help); the form is generated from that, so
 * a new driver needs no UI code. Form values are kept as typed-in strings (numbers) or booleans
 * and converted to connect options only on submit, where range errors are reported per field.
 */
export type Setting = DriverInfo['settings'][number];
export type FormValues = Record<string, string | boolean>;
export type OptionValue = number | string | boolean;

export function initialValues(settings: readonly Setting[]): FormValues {
  const values: FormValues = {};
  for (const s of settings) {
    if (s.type === 'boolean') values[s.key] = s.default === true;
    else if (s.type === 'enum') values[s.key] = String(s.default ?? s.choices?.[0] ?? '');
    else values[s.key] = s.default === undefined ? '' : String(s.default);
  }
  return values;
}

export interface OptionsResult {
  options: Record<string, OptionValue>;
  /** Field key → one sentence; empty when the values can be sent. */
  errors: Record<string, string>;
}

export function toOptions(settings: readonly Setting[], values: FormValues): OptionsResult {
  const options: Record<string, OptionValue> = {};
  const errors: Record<string, string> = {};
  for (const s of settings) {
    const raw = values[s.key];
    if (s.type === 'boolean') {
      options[s.key] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    // Blank means "the driver's default": leave it out and let the core decide.
    if (text === '') continue;
    if (s.type === 'number') {
      const n = Number(text);
      const unit = s.unit ? ` ${s.unit}` : '';
      if (!Number.isFinite(n)) errors[s.key] = `${s.label} must be a number.`;
      else if (s.min !== undefined && n < s.min) errors[s.key] = `${s.label} must be at least ${s.min}${unit}.`;
      else if (s.max !== undefined && n > s.max) errors[s.key] = `${s.label} must be at most ${s.max}${unit}.`;
      else options[s.key] = n;
    } else if (s.type === 'enum') {
      if (s.choices && !s.choices.includes(text)) errors[s.key] = `${s.label} must be one of: ${s.choices.join(', ')}.`;
      else options[s.key] = text;
    } else {
      options[s.key] = text;
    }
  }
  return { options, errors };
}

/** The meter spec the core parses: DRIVER[:PORT]. */
export function meterSpec(driver: string, port: string | undefined): string {
  return port ? `${driver}:${port}` : driver;
}
