/**
 * Every meter driver the app knows. A driver module exports a MeterDriver; add it to DRIVERS and it
 * appears in discovery, the CLI (`--meter NAME:PORT`) and the Meters page.
 */
import { UserError } from '../util/errors';
import { inaDriver } from './ina';
import { koradDriver } from './korad';
import { ppk2Driver } from './ppk2';
import { scpiDriver } from './scpi';
import { simDriver } from './sim';
import { hwmonDriver, powercapDriver } from './sysfs';
import { umDriver } from './um';
import { checkSettingRanges } from './setting-ranges';
import { parseMeterSpec } from './spec';
import type { DriverInfo, MeterDriver, PowerMeter } from './types';

const DRIVERS: MeterDriver[] = [simDriver, ppk2Driver, inaDriver, umDriver, koradDriver, scpiDriver, powercapDriver, hwmonDriver];

export function listDrivers(): DriverInfo[] {
  return DRIVERS.map(({ name, description, simulated, needsPort, settings }) => ({
    name,
    description,
    simulated,
    needsPort,
    settings,
  }));
}

export function findDriver(name: string): MeterDriver | undefined {
  return DRIVERS.find((d) => d.name === name);
}

export function allDrivers(): readonly MeterDriver[] {
  return DRIVERS;
}

/** Checks a spec names a known driver (with a port if it needs one) without touching any device. */
export function validateMeterSpec(specText: string): MeterDriver {
  const spec = parseMeterSpec(specText);
  const driver = findDriver(spec.driver);
  if (!driver) {
    throw new UserError(`Unknown meter driver "${spec.driver}"; use one of: ${DRIVERS.map((d) => d.name).join(', ')}.`, 'unknown-driver');
  }
  if (driver.needsPort && !spec.port) {
    throw new UserError(`The ${driver.name} driver needs a port; write ${driver.name}:PORT (run "ddi-profiler meters" to list ports).`, 'missing-port');
  }
  return driver;
}

/** Creates (does not open) the meter a spec names, or explains what is wrong with the spec. */
export function createMeter(specText: string, options?: Record<string, unknown>): PowerMeter {
  const driver = validateMeterSpec(specText);
  const spec = parseMeterSpec(specText);
  checkSettingRanges(driver, spec, options ?? {});
  return driver.create(spec, options);
}
