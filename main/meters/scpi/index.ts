import { UserError } from '../../util/errors';
import { checkOptions } from '../base-meter';
import type { MeterDriver } from '../types';
import { SCPI_PRESETS } from './presets';
import { ScpiMeter, type ScpiOptions } from './scpi-meter';

export const scpiDriver: MeterDriver = {
  name: 'scpi',
  description: 'SCPI power supply, DMM or power analyser over raw TCP (scpi:tcp://HOST:5025) or a serial port, with presets',
  simulated: false,
  needsPort: true,
  settings: [
    {
      key: 'preset',
      label: 'Instrument preset',
      type: 'enum',
      choices: Object.keys(SCPI_PRESETS),
      default: 'generic-pps',
      help: Object.entries(SCPI_PRESETS)
        .map(([k, p]) => `${k}: ${p.description}`)
        .join('; '),
    },
    { key: 'channel', label: 'Channel', type: 'number', default: 1, min: 1, max: 8 },
    { key: 'setupCommands', label: 'Setup commands', type: 'string', help: "Sent once after connecting; separate several with |. Default: the preset's." },
    {
      key: 'currentQuery',
      label: 'Current query',
      type: 'string',
      help: "e.g. MEAS:CURR? — replaces the preset's queries; several commands with |, the last one is read.",
    },
    { key: 'voltageQuery', label: 'Voltage query', type: 'string' },
    { key: 'powerQuery', label: 'Power query', type: 'string' },
    { key: 'combinedQuery', label: 'Combined query', type: 'string', help: 'One query answering several values, e.g. :MEAS:ALL? CH1' },
    { key: 'combinedFields', label: 'Combined query fields', type: 'string', help: 'Order of the combined reply, e.g. voltage,current,power' },
    { key: 'pollMs', label: 'Poll interval', type: 'number', default: 500, unit: 'ms', min: 20, max: 3_600_000 },
    { key: 'timeoutMs', label: 'Reply timeout', type: 'number', default: 2000, unit: 'ms', min: 50, max: 60_000 },
    { key: 'errorQueryEvery', label: 'Read the error queue every N polls', type: 'number', default: 10, min: 0, max: 10_000, help: '0 turns it off.' },
    { key: 'terminator', label: 'Command terminator', type: 'enum', choices: ['LF', 'CRLF'], default: 'LF', help: 'Yokogawa WT310 over RS-232 wants CRLF.' },
    { key: 'baudRate', label: 'Baud rate (serial only)', type: 'number', default: 9600, min: 300, max: 4_000_000 },
  ],
  create(spec, options = {}) {
    const o = checkOptions<Record<keyof Omit<ScpiOptions, 'link'>, unknown>>('scpi', options, {
      preset: 'string',
      channel: 'number',
      setupCommands: 'string',
      currentQuery: 'string',
      voltageQuery: 'string',
      powerQuery: 'string',
      combinedQuery: 'string',
      combinedFields: 'string',
      pollMs: 'number',
      timeoutMs: 'number',
      errorQueryEvery: 'number',
      errorQuery: 'string',
      terminator: 'string',
      baudRate: 'number',
    }) as ScpiOptions;
    if (o.terminator !== undefined && o.terminator !== 'LF' && o.terminator !== 'CRLF') {
      throw new UserError(`SCPI terminator "${o.terminator}" is unknown; use LF or CRLF.`);
    }
    return new ScpiMeter(spec.text, spec.port!, { ...o, baudRate: o.baudRate ?? spec.baudRate });
  },
  suggestFor(port) {
    // USB-serial adapters used for RS-232 instruments; ambiguous, so only a suggestion.
    return ['0403:6001', '067b:2303'].includes(`${port.vendorId}:${port.productId}`);
  },
};
