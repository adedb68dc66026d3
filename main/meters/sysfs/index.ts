import { UserError } from '../../util/errors';
import { checkOptions } from '../base-meter';
import type { MeterDriver } from '../types';
import { HwmonMeter } from './hwmon';
import { PowercapMeter } from './powercap';

export const powercapDriver: MeterDriver = {
  name: 'powercap',
  description: "Linux RAPL powercap energy counters of this machine's CPU package/DRAM (not the whole board)",
  simulated: false,
  needsPort: false,
  settings: [
    {
      key: 'zone',
      label: 'Zone',
      type: 'string',
      help: 'A zone name (package-0, dram, psys) or directory (intel-rapl:0:1); default: all CPU packages. Also accepted as powercap:ZONE.',
    },
    { key: 'rateHz', label: 'Read rate', type: 'number', default: 10, unit: 'Hz', min: 0.1, max: 1000 },
  ],
  create(spec, options = {}) {
    const o = checkOptions<{ zone: string; rateHz: number; root: string }>('powercap', options, { zone: 'string', rateHz: 'number', root: 'string' });
    return new PowercapMeter(spec.text, { ...o, zone: o.zone ?? spec.port } as { zone?: string; rateHz?: number; root?: string });
  },
};

export const hwmonDriver: MeterDriver = {
  name: 'hwmon',
  description: 'Linux hwmon power/current/voltage sensor chosen by chip and rail label, e.g. hwmon:ina3221/VDD_IN on a Jetson',
  simulated: false,
  needsPort: false,
  settings: [
    { key: 'chip', label: 'Chip name', type: 'string', help: 'The hwmon "name", e.g. ina3221; optional. Also accepted as hwmon:CHIP/LABEL.' },
    { key: 'label', label: 'Rail label', type: 'string', help: 'e.g. VDD_IN (Jetson module input), or #N for an unlabelled sensor N.' },
    { key: 'rateHz', label: 'Read rate', type: 'number', default: 10, unit: 'Hz', min: 0.1, max: 1000 },
  ],
  create(spec, options = {}) {
    const o = checkOptions<{ chip: string; label: string; rateHz: number; root: string }>('hwmon', options, {
      chip: 'string',
      label: 'string',
      rateHz: 'number',
      root: 'string',
    });
    let chip = o.chip;
    let label = o.label;
    if (spec.port) {
      const i = spec.port.lastIndexOf('/');
      if (i >= 0) {
        chip ??= spec.port.slice(0, i);
        label ??= spec.port.slice(i + 1);
      } else label ??= spec.port;
    }
    if (!label) throw new UserError('The hwmon meter needs a rail label; write hwmon:CHIP/LABEL, e.g. hwmon:ina3221/VDD_IN.');
    return new HwmonMeter(spec.text, { ...o, chip, label } as { chip?: string; label: string; rateHz?: number; root?: string });
  },
};
