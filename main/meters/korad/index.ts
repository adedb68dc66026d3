import { checkOptions } from '../base-meter';
import type { MeterDriver } from '../types';
import { KoradMeter, type KoradOptions } from './korad-meter';

export const koradDriver: MeterDriver = {
  name: 'korad',
  description: 'Korad KA3005P and clones (Tenma, RND, Velleman): output V and I polled over USB serial, ~4 Hz',
  simulated: false,
  needsPort: true,
  settings: [
    { key: 'pollMs', label: 'Poll interval', type: 'number', default: 250, unit: 'ms', min: 160, max: 60_000 },
    {
      key: 'minSpacingMs',
      label: 'Minimum gap between commands',
      type: 'number',
      default: 80,
      unit: 'ms',
      min: 20,
      max: 2000,
      help: 'Raise to ~500 for slow units such as the Velleman PS3005D V1.3.',
    },
    { key: 'statusEvery', label: 'Read STATUS every N polls', type: 'number', default: 4, min: 0, max: 100 },
    { key: 'baudRate', label: 'Baud rate', type: 'number', min: 300, max: 4_000_000, default: 9600 },
  ],
  create(spec, options = {}) {
    const o = checkOptions<{ pollMs: number; minSpacingMs: number; statusEvery: number; baudRate: number; replyTimeoutMs: number }>('korad', options, {
      pollMs: 'number',
      minSpacingMs: 'number',
      statusEvery: 'number',
      baudRate: 'number',
      replyTimeoutMs: 'number',
    });
    return new KoradMeter(spec.text, spec.port!, { ...o, baudRate: o.baudRate ?? spec.baudRate } as KoradOptions);
  },
  suggestFor(port) {
    // Korad-protocol supplies commonly enumerate as a Nuvoton/Winbond CDC device (0416:5011);
    // that id is widespread community knowledge, not in our reference (unconfirmed).
    return port.vendorId === '0416' && port.productId === '5011';
  },
};
