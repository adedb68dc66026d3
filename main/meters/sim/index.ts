import { UserError } from '../../util/errors';
import { checkRange } from '../base-meter';
import type { MeterDriver } from '../types';
import { SimMeter, type SimMeterOptions } from './sim-meter';

export const simDriver: MeterDriver = {
  name: 'sim',
  description: "Simulated meter: a 5 V board whose power follows this app's CPU use (SIMULATED, not a measurement)",
  simulated: true,
  needsPort: false,
  settings: [
    { key: 'rateHz', label: 'Sample rate', type: 'number', default: 10_000, unit: 'S/s', min: 1, max: 1_000_000 },
    // A simulated board, so any bench-supply-sized power goes; the cap keeps every sample finite in float32.
    { key: 'idleW', label: 'Idle power', type: 'number', default: 1.8, unit: 'W', min: 0, max: 1000 },
    { key: 'busyW', label: 'Extra power at one busy core', type: 'number', default: 3.2, unit: 'W', min: 0, max: 1000 },
  ],
  create(spec, options = {}) {
    if (spec.port) {
      throw new UserError(`The simulated meter takes no port; write just "sim" instead of "${spec.text}".`);
    }
    const known = new Set(['rateHz', 'chunkMs', 'idleW', 'busyW', 'seed']);
    for (const [key, value] of Object.entries(options)) {
      if (known.has(key) && typeof value !== 'number') throw new UserError(`The simulated meter setting "${key}" must be a number.`);
    }
    for (const key of Object.keys(options)) {
      if (!known.has(key)) throw new UserError(`The simulated meter has no setting "${key}"; known settings: ${[...known].join(', ')}.`);
    }
    // The two hidden settings (tests use them) get ranges too: every number that enters is physical.
    if (options.chunkMs !== undefined) checkRange('sim', 'chunkMs', options.chunkMs as number, 1, 1000, ' ms');
    if (options.seed !== undefined) checkRange('sim', 'seed', options.seed as number, 0, 2 ** 32 - 1);
    return new SimMeter(spec.text, options as SimMeterOptions);
  },
};
