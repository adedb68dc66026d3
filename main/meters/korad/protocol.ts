/**
 * Korad KA3005P and clones (Tenma 72-27xx, RND 320-KA3005P, Velleman PS3005D, ...): ASCII commands
 * with no terminator and replies with no terminator either (sigrokproject/libsigrok
 * `src/hardware/korad-kaxxxxp/protocol.c`, `protocol.h`). A reply ends at its expected length or when the line goes quiet; the
 * device needs ≥ 80 ms between commands. These helpers are pure: reply validation and STATUS bits.
 */

/** IOUT1?/VOUT1? reply: exactly 5 characters such as "0.123" or "05.00". */
export function parseKoradNumber(reply: Uint8Array): number | undefined {
  const text = Buffer.from(reply).toString('latin1');
  if (!/^\d{1,2}\.\d{2,3}$/.test(text) || text.length !== 5) return undefined;
  return Number(text);
}

/** *IDN? reply without the stray trailing bytes some units add (0x01, 0xBC), or undefined. */
export function parseKoradIdn(reply: Uint8Array): string | undefined {
  let end = reply.length;
  while (end > 0 && (reply[end - 1]! < 0x20 || reply[end - 1]! > 0x7e)) end--;
  const text = Buffer.from(reply.subarray(0, end)).toString('latin1').trim();
  // Printable ASCII only, with at least a model-looking token.
  if (text.length < 3 || !/^[\x20-\x7e]+$/.test(text) || !/[A-Za-z]{2,}/.test(text)) return undefined;
  return text;
}

export interface KoradStatus {
  /** Channel 1 in constant-voltage (true) or constant-current (false) regulation. */
  cv: boolean;
  outputOn: boolean;
  ocp: boolean;
  ovp: boolean;
  beep: boolean;
}

export function parseKoradStatus(byte: number): KoradStatus {
  return {
    cv: (byte & 0x01) !== 0,
    beep: (byte & 0x10) !== 0,
    ocp: (byte & 0x20) !== 0,
    outputOn: (byte & 0x40) !== 0,
    ovp: (byte & 0x80) !== 0,
  };
}
