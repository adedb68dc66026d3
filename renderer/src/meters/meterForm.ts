/**
 * The Meters form's state (driver, port, each driver's settings as typed) kept outside the page,
 * so leaving the page and coming back, or reloading it, finds the form as it was left. Stored in
 * localStorage when there is one (browser mode and the Electron window both have it); a module
 * copy covers the rest.
 */
import type { DriverInfo } from '../common/types';
import { initialValues, type FormValues } from './settings';

export interface MeterForm {
  driver: string;
  /** As typed or picked: a found serial port, a device path, or a URL such as tcp://HOST:5025. */
  port: string;
  /** Settings per driver, so switching to another driver and back keeps what was typed. */
  values: Record<string, FormValues>;
}

export interface FormStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const KEY = 'ddi-profiler.meter-form';
let memory: MeterForm | null = null;

function browserStorage(): FormStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // storage disabled by the browser: keep the form for this page's life only
  }
}

function isForm(x: unknown): x is MeterForm {
  if (typeof x !== 'object' || x === null) return false;
  const f = x as Record<string, unknown>;
  return typeof f.driver === 'string' && typeof f.port === 'string' && typeof f.values === 'object' && f.values !== null;
}

export function loadMeterForm(storage: FormStorage | null = browserStorage()): MeterForm | null {
  if (storage) {
    try {
      const parsed: unknown = JSON.parse(storage.getItem(KEY) ?? 'null');
      if (isForm(parsed)) return parsed;
    } catch {
      /* unreadable entry (edited by hand, older format): start from the defaults */
    }
  }
  return memory;
}

export function saveMeterForm(form: MeterForm, storage: FormStorage | null = browserStorage()): void {
  memory = form;
  try {
    storage?.setItem(KEY, JSON.stringify(form));
  } catch {
    /* quota or disabled storage: the module copy still covers page changes */
  }
}

/** A driver's settings: the saved ones where they still fit the driver's descriptors, else defaults. */
export function valuesFor(driver: DriverInfo, saved: FormValues | undefined): FormValues {
  const values = initialValues(driver.settings);
  if (!saved) return values;
  for (const s of driver.settings) {
    const v = saved[s.key];
    if (v === undefined || typeof v !== typeof values[s.key]) continue;
    if (s.type === 'enum' && s.choices && !s.choices.includes(String(v))) continue;
    values[s.key] = v;
  }
  return values;
}

/**
 * The form to show once the drivers are known. A connected meter wins (its spec names the driver
 * and port in use); then the saved form, if its driver still exists; else the simulated meter,
 * which works without hardware.
 */
export function restoreForm(drivers: readonly DriverInfo[], saved: MeterForm | null, connectedSpec: string | null): MeterForm | null {
  const connected = connectedSpec ? splitSpec(connectedSpec) : null;
  const name = [connected?.driver, saved?.driver].find((n) => n && drivers.some((d) => d.name === n)) ?? (drivers.find((d) => d.simulated) ?? drivers[0])?.name;
  if (!name) return null;
  const port = connected && connected.driver === name ? connected.port : saved?.driver === name ? saved.port : (saved?.port ?? '');
  return { driver: name, port, values: { ...(saved?.values ?? {}) } };
}

/** DRIVER[:PORT] → its parts (the port may hold colons itself: scpi:tcp://host:5025). */
function splitSpec(spec: string): { driver: string; port: string } {
  const i = spec.indexOf(':');
  return i < 0 ? { driver: spec, port: '' } : { driver: spec.slice(0, i), port: spec.slice(i + 1) };
}

/**
 * The port for the spec from what the user typed: trimmed, and without a leading "DRIVER:" when
 * the whole spec was pasted (scpi:tcp://HOST:5025 into the scpi driver's port field).
 */
export function portFromInput(driver: string, text: string): string {
  const t = text.trim();
  return t.toLowerCase().startsWith(`${driver.toLowerCase()}:`) ? t.slice(driver.length + 1).trim() : t;
}

/**
 * What a port scan that has just finished may change on the form. The scan runs while the user
 * works (the first one starts with the page and can take seconds on a loaded machine): what they
 * did meanwhile wins. An error shown after the scan started (e.g. "needs a port" from Connect) is
 * about the form as it is now and stays; a port typed or cleared meanwhile is not replaced.
 */
export class ScanGuard {
  private errors = 0;
  private edits = 0;

  /** Call whenever an error is shown. */
  errorShown(): void {
    this.errors++;
  }

  /** Call whenever the user types in the port field. */
  portEdited(): void {
    this.edits++;
  }

  /** Call as a scan starts; the answer says what its result may do when it arrives. */
  begin(): () => { clearError: boolean; fillPort: boolean } {
    const errors = this.errors;
    const edits = this.edits;
    return () => ({ clearError: this.errors === errors, fillPort: this.edits === edits });
  }
}
