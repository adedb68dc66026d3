import { UserError } from '../../util/errors';
import { checkOptions, checkRange } from '../base-meter';
import type { MeterDriver } from '../types';
import { InaMeter, type InaOptions } from './ina-meter';

/** USB-serial bridges on hobby boards: CH340, CP210x, FTDI; plus RP2040 and Arduino CDC ids. */
const DIY_USB_IDS = new Set(['1a86:7523', '1a86:55d4', '10c4:ea60', '0403:6001', '0403:6015', '2e8a:000a', '2e8a:00c0', '2341:0043', '2341:8036', '2341:0058']);

export const inaDriver: MeterDriver = {
  name: 'ina',
  description: 'DIY INA219/INA226/INA260 board: DDI frames (exact timing, loss detection) or CSV / label:value / "V I" text (serial)',
  simulated: false,
  needsPort: true,
  settings: [
    {
      key: 'baudRate',
      label: 'Baud rate',
      type: 'number',
      default: 115200,
      min: 300,
      max: 4_000_000,
      help: "Only matters for USB-serial bridges (CH340, CP210x, FTDI); the spec's @BAUD sets it too.",
    },
    {
      key: 'rateHz',
      label: 'Expected sample rate',
      type: 'number',
      default: 100,
      unit: 'S/s',
      min: 0.1,
      max: 100_000,
      help: "Used until the stream's own rate is measured.",
    },
    { key: 'plainVoltageUnit', label: 'Unit of bare voltage numbers', type: 'enum', choices: ['V', 'mV'], default: 'V' },
    { key: 'plainCurrentUnit', label: 'Unit of bare current numbers', type: 'enum', choices: ['A', 'mA', 'uA'], default: 'A' },
  ],
  create(spec, options = {}) {
    const o = checkOptions<{ baudRate: number; rateHz: number; plainVoltageUnit: string; plainCurrentUnit: string; batchMs: number; silenceMs: number }>(
      'ina',
      options,
      {
        baudRate: 'number',
        rateHz: 'number',
        plainVoltageUnit: 'string',
        plainCurrentUnit: 'string',
        batchMs: 'number',
        silenceMs: 'number',
      },
    );
    if (o.plainVoltageUnit !== undefined && !['V', 'mV'].includes(o.plainVoltageUnit)) {
      throw new UserError(`INA setting plainVoltageUnit "${o.plainVoltageUnit}" is unknown; use V or mV.`);
    }
    if (o.plainCurrentUnit !== undefined && !['A', 'mA', 'uA'].includes(o.plainCurrentUnit)) {
      throw new UserError(`INA setting plainCurrentUnit "${o.plainCurrentUnit}" is unknown; use A, mA or uA.`);
    }
    if (o.rateHz !== undefined) checkRange('ina', 'rateHz', o.rateHz, 0.1, 100_000, ' S/s');
    const opts = { ...o, baudRate: o.baudRate ?? spec.baudRate } as InaOptions;
    return new InaMeter(spec.text, spec.port!, opts);
  },
  suggestFor(port) {
    return DIY_USB_IDS.has(`${port.vendorId}:${port.productId}`);
  },
};
