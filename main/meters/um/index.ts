import { checkOptions } from '../base-meter';
import type { MeterDriver } from '../types';
import { UmMeter, type UmOptions } from './um-meter';

export const umDriver: MeterDriver = {
  name: 'um',
  description: 'RDTech UM24C / UM25C / UM34C USB tester over Bluetooth (/dev/rfcomm*): V, I, P, temperature, mWh counters',
  simulated: false,
  needsPort: true,
  settings: [
    {
      key: 'pollMs',
      label: 'Poll interval',
      type: 'number',
      default: 250,
      unit: 'ms',
      min: 100,
      max: 60_000,
      help: 'The meter updates about 10 times a second at most; requests sent too fast can be dropped.',
    },
    { key: 'replyTimeoutMs', label: 'Reply timeout', type: 'number', default: 1000, unit: 'ms', min: 100, max: 10_000 },
    {
      key: 'baudRate',
      label: 'Baud rate',
      type: 'number',
      min: 300,
      max: 4_000_000,
      default: 115200,
      help: 'Nominal for Bluetooth SPP; only matters on a wired serial adapter.',
    },
  ],
  create(spec, options = {}) {
    const o = checkOptions<{ pollMs: number; replyTimeoutMs: number; baudRate: number }>('um', options, {
      pollMs: 'number',
      replyTimeoutMs: 'number',
      baudRate: 'number',
    });
    return new UmMeter(spec.text, spec.port!, { ...o, baudRate: o.baudRate ?? spec.baudRate } as UmOptions);
  },
  suggestFor(port) {
    return /\/rfcomm\d+$/.test(port.path);
  },
};
