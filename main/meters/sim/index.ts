import { UserError } from '../../util/errors';
import type { MeterDriver } from '../types';
import { SimMeter, type SimMeterOptions } from './sim-meter';

export const simDriver: MeterDriver = {
  name: 'sim',
  description: 'Simulated meter: a 5 V board whose power follows this app\'s CPU use (SIMULATED, not a measurement)',
  simulated: true,
  needsPort: false,
  create(spec, options = {}) {
    if (spec.port) {
      throw new UserError(`The simulated meter takes no port; write just "sim" instead of "${spec.text}".`);
    }
    const known = new Set(['rateHz', 'chunkMs', 'idleW', 'busyW', 'seed']);
    for (const key of Object.keys(options)) {
      if (!known.has(key)) throw new UserError(`The simulated meter has no setting "${key}"; known settings: ${[...known].join(', ')}.`);
    }
    return new SimMeter(spec.text, options as SimMeterOptions);
  },
};
