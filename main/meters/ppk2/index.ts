import { UserError } from '../../util/errors';
import { checkOptions } from '../base-meter';
import type { MeterDriver } from '../types';
import { PPK2_VDD_MAX_MV, PPK2_VDD_MIN_MV } from './commands';
import { Ppk2Meter, type Ppk2Options } from './ppk2-meter';

export const ppk2Driver: MeterDriver = {
  name: 'ppk2',
  description: 'Nordic Power Profiler Kit II: 100 kS/s current, source or ampere mode, 8 digital inputs (USB)',
  simulated: false,
  needsPort: true,
  settings: [
    {
      key: 'mode',
      label: 'Mode',
      type: 'enum',
      choices: ['source', 'ampere'],
      default: 'source',
      help: 'Source: the PPK2 powers the DUT at the set voltage. Ampere: an external supply in series.',
    },
    {
      key: 'voltageMv',
      label: 'Supply / regulator voltage',
      type: 'number',
      unit: 'mV',
      min: PPK2_VDD_MIN_MV,
      max: PPK2_VDD_MAX_MV,
      help: 'Default: the set-point stored in the PPK2. In source mode this powers the DUT.',
    },
    { key: 'dutPower', label: 'DUT power on', type: 'boolean', default: true },
    {
      key: 'spikeFilter',
      label: 'Spike filter at range switches',
      type: 'boolean',
      default: true,
      help: "Smooths the overshoot for 3 samples (30 µs) after each range switch, as Nordic's app does.",
    },
  ],
  create(spec, options = {}) {
    const o = checkOptions<{ mode: string; voltageMv: number; dutPower: boolean; spikeFilter: boolean; batchMs: number }>('ppk2', options, {
      mode: 'string',
      voltageMv: 'number',
      dutPower: 'boolean',
      spikeFilter: 'boolean',
      batchMs: 'number',
    });
    if (o.mode !== undefined && o.mode !== 'source' && o.mode !== 'ampere') {
      throw new UserError(`PPK2 mode "${o.mode}" is unknown; use "source" or "ampere".`);
    }
    return new Ppk2Meter(spec.text, spec.port!, o as Ppk2Options);
  },
  suggestFor(port) {
    return port.vendorId === '1915' && port.productId === 'c00a';
  },
};
