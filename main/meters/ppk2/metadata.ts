/**
 * PPK2 metadata/calibration block: the ASCII "Key: value" reply to GetMetadata (0x19), ending with
 * a line "END". Defaults and fallbacks follow what Nordic's Power Profiler app does, so our
 * currents match its numbers (NordicSemiconductor/pc-nrfconnect-ppk `src/device/serialDevice.ts`,
 * `getMetadata` / `parseMeta`): keys are case-insensitive, and a value that is missing, 0, "-nan"
 * or not a number falls back to the default for that key.
 */

export interface Ppk2Calibration {
  calibrated: boolean;
  /** Shunt resistance per range (Ω), ranges 0..4. */
  r: number[];
  gs: number[];
  gi: number[];
  o: number[];
  s: number[];
  i: number[];
  ug: number[];
  /** Regulator set-point in mV reported by the device. */
  vddMv: number;
  /** 1 = ampere meter, 2 = source meter. */
  mode: 1 | 2;
  hw?: number;
  /** Keys that fell back to defaults, and sanity warnings, for the UI/log. */
  warnings: string[];
}

export const PPK2_DEFAULTS = {
  r: [1031.64, 101.65, 10.15, 0.94, 0.043],
  gs: [1, 1, 1, 1, 1],
  gi: [1, 1, 1, 1, 1],
  o: [0, 0, 0, 0, 0],
  s: [0, 0, 0, 0, 0],
  i: [0, 0, 0, 0, 0],
  ug: [1, 1, 1, 1, 1],
};

/** Where the metadata text ends ("END" line), or -1 while incomplete. Index is just past the line. */
export function findMetadataEnd(text: string): number {
  const m = /(^|[\r\n])END[ \t]*(\r?\n|$)/.exec(text);
  if (!m) return -1;
  // "END" at the very end without a newline may still be followed by "\n" in the next read; the
  // device sends END last, so accepting it here is safe.
  return m.index + m[0].length;
}

export function parsePpk2Metadata(text: string): Ppk2Calibration {
  const values = new Map<string, number | null>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^([A-Za-z][A-Za-z0-9]*)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const valueText = m[2]!.trim();
    const value = /^-?nan$/i.test(valueText) || valueText === '' ? null : Number(valueText);
    values.set(key, value === null || Number.isNaN(value) ? null : value);
  }
  const warnings: string[] = [];
  const pick = (prefix: string, defaults: number[]): number[] =>
    defaults.map((def, idx) => {
      const v = values.get(`${prefix}${idx}`);
      if (v === undefined || v === null || v === 0 || !Number.isFinite(v)) {
        if (v !== undefined && prefix !== 'o' && prefix !== 's' && prefix !== 'i')
          warnings.push(`${prefix.toUpperCase()}${idx} missing or 0; using default ${def}`);
        return def;
      }
      return v;
    });
  const cal: Ppk2Calibration = {
    calibrated: values.get('calibrated') === 1,
    r: pick('r', PPK2_DEFAULTS.r),
    gs: pick('gs', PPK2_DEFAULTS.gs),
    gi: pick('gi', PPK2_DEFAULTS.gi),
    o: pick('o', PPK2_DEFAULTS.o),
    s: pick('s', PPK2_DEFAULTS.s),
    i: pick('i', PPK2_DEFAULTS.i),
    ug: pick('ug', PPK2_DEFAULTS.ug),
    vddMv: values.get('vdd') || 3000,
    mode: values.get('mode') === 1 ? 1 : 2,
    warnings,
  };
  const hw = values.get('hw');
  if (typeof hw === 'number') cal.hw = hw;
  // Corrupt flash calibration has been reported (absurd R0; DevZone 92921). Each range's shunt must
  // be within a factor of 3 of the nominal value, else the default is safer than the stored one.
  cal.r = cal.r.map((r, idx) => {
    const nominal = PPK2_DEFAULTS.r[idx]!;
    if (!(r > nominal / 3 && r < nominal * 3)) {
      warnings.push(`R${idx} = ${r} Ω is implausible (nominal ${nominal} Ω); using the default`);
      return nominal;
    }
    return r;
  });
  return cal;
}

/** True when the text looks like a PPK2 metadata block at all (used by probing). */
export function looksLikePpk2Metadata(text: string): boolean {
  return findMetadataEnd(text) >= 0 && /(^|\n)\s*(R0|VDD|HW|mode)\s*:/i.test(text);
}
