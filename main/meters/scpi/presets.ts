/**
 * Query presets for common SCPI instruments (sources: sigrokproject/libsigrok
 * `src/hardware/scpi-pps/profiles.c` and `src/hardware/scpi-dmm/api.c`, intel/yoko-tool
 * `yokolibs/_wt310.py`, the vendors' programming manuals). "{ch}" is replaced by the
 * channel number. Several commands for one step are separated by "|" and sent in order; the last
 * one is the query whose reply is read. Every preset can be overridden field by field in settings.
 * Practical polling rates are instrument-dependent and unconfirmed; the default poll is 500 ms.
 */
export interface ScpiPreset {
  description: string;
  setup?: string;
  current?: string;
  voltage?: string;
  power?: string;
  /** One query returning several comma-separated values, in the order of combinedFields. */
  combined?: string;
  combinedFields?: string;
}

export const SCPI_PRESETS: Record<string, ScpiPreset> = {
  'generic-pps': { description: 'Generic SCPI power supply (MEAS:VOLT? / MEAS:CURR?)', voltage: 'MEAS:VOLT?', current: 'MEAS:CURR?' },
  'rigol-dp800': {
    description: 'Rigol DP800 series (DP821A, DP831A, DP832/A)',
    combined: ':MEAS:ALL? CH{ch}',
    combinedFields: 'voltage,current,power',
  },
  'siglent-spd3303x': {
    description: 'Siglent SPD3303X / X-E',
    voltage: 'MEASure:VOLTage? CH{ch}',
    current: 'MEASure:CURRent? CH{ch}',
    power: 'MEASure:POWEr? CH{ch}',
  },
  'keysight-e36300': { description: 'Keysight E36311A/12A/13A', setup: ':INST:NSEL {ch}', voltage: ':MEAS:VOLT?', current: ':MEAS:CURR?' },
  'keysight-344xx-dmm': { description: 'Keysight/Agilent 34405A, 34460A, 34465A DMM measuring DC current', setup: 'CONF:CURR:DC', current: 'INIT|FETC?' },
  'hp-34401a-dmm': { description: 'HP/Agilent 34401A, 34410A DMM measuring DC current', setup: 'CONF:CURR:DC', current: 'READ?' },
  'yokogawa-wt310': {
    description: 'Yokogawa WT310/WT310E power analyser (element 1: U, I, P)',
    setup:
      '*CLS|:NUM:FORM ASCII|:SYST:COMM:COMM WT300|:COMM:HEAD OFF|:COMM:VERB ON|:NUM:NORM:NUM 3|:NUM:NORM:ITEM1 U,1|:NUM:NORM:ITEM2 I,1|:NUM:NORM:ITEM3 P,1',
    combined: ':NUM:NORM:VAL?',
    combinedFields: 'voltage,current,power',
  },
};

/** Parses one SCPI numeric reply value; rejects SCPI's overflow/NaN markers (9.9E37, 9.91E37). */
export function parseScpiNumber(text: string): number | undefined {
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Z]{0,3})\s*$/.exec(text);
  if (!m) return undefined;
  const v = Number(m[1]);
  if (!Number.isFinite(v) || Math.abs(v) >= 9.9e37) return undefined;
  return v;
}

/** Parses a SYST:ERR? reply like `-113,"Undefined header"`; code 0 means no error. */
export function parseScpiError(text: string): { code: number; message: string } | undefined {
  const m = /^\s*([+-]?\d+)\s*,\s*"?(.*?)"?\s*$/.exec(text);
  if (!m) return undefined;
  return { code: Number(m[1]), message: m[2]! };
}
