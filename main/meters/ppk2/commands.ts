/** PPK2 host → device commands: raw bytes, no framing (NordicSemiconductor/pc-nrfconnect-ppk `src/constants.ts`). */
export const PPK2_CMD = {
  AverageStart: 0x06,
  AverageStop: 0x07,
  DeviceRunningSet: 0x0c,
  RegulatorSet: 0x0d,
  SetPowerMode: 0x11,
  GetMetadata: 0x19,
  SetUserGains: 0x25,
} as const;

export const PPK2_MODE = { ampere: 1, source: 2 } as const;
export const PPK2_VDD_MIN_MV = 800;
export const PPK2_VDD_MAX_MV = 5000;
export const PPK2_SAMPLE_RATE_HZ = 100_000;

export function regulatorSet(mv: number): Uint8Array {
  const v = Math.round(mv);
  return Uint8Array.of(PPK2_CMD.RegulatorSet, (v >> 8) & 0xff, v & 0xff);
}

export function setUserGain(range: number, gain: number): Uint8Array {
  const out = new Uint8Array(6);
  out[0] = PPK2_CMD.SetUserGains;
  out[1] = range;
  new DataView(out.buffer).setFloat32(2, gain, true);
  return out;
}
