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
      // Number('1e999') is Infinity: a number, just too large, so it gets the range, not "not a number".
      const n = Number(text);
      const unit = s.unit ? ` ${s.unit}` : '';
      const range = s.min !== undefined && s.max !== undefined ? ` from ${s.min} to ${s.max}${unit}` : '';
      if (Number.isNaN(n)) errors[s.key] = `${s.label} must be a number${range}.`;
      else if (s.min !== undefined && n < s.min) errors[s.key] = `${s.label} must be at least ${s.min}${unit}.`;
      else if (s.max !== undefined && n > s.max) errors[s.key] = `${s.label} must be at most ${s.max}${unit}.`;
      else if (!Number.isFinite(n)) errors[s.key] = `${s.label} must be a finite number${range}.`;
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

/**
 * A core refusal that names one of these settings (`The sim setting "idleW" …`) belongs next to that
 * field, like the form's own checks; anything else is shown under the form.
 */
export function fieldError(error: unknown, settings: readonly Setting[]): { key: string; message: string } | null {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  const m = /\bsetting "([^"]+)"/.exec(message);
  if (!m || !settings.some((s) => s.key === m[1])) return null;
  return { key: m[1]!, message };
}

/** The meter spec the core parses: DRIVER[:PORT]. */
export function meterSpec(driver: string, port: string | undefined): string {
  return port ? `${driver}:${port}` : driver;
}
