/**
 * PPK2 sample stream framing. After AverageStart (0x06) the device sends one little-endian u32 per
 * sample at 100 kS/s: bits 0-13 ADC, 14-16 range (0..4; 5-7 are corrupt), 17 unused, 18-23 a 6-bit
 * rolling counter, 24-31 logic inputs D0-D7 (the masks in NordicSemiconductor/pc-nrfconnect-ppk
 * `src/device/serialDevice.ts`; Nordic's bit diagram in IRNAS/ppk2-api-python#39). Reads do not align to words, so the
 * decoder keeps the leftover bytes between pushes.
 *
 * Loss and resync: the counter must advance by 1 per word. A jump where the following words are
 * again consecutive is real loss, reported as a gap of `(counter - expected) & 63` samples (loss of
 * exact multiples of 64 is invisible here; the meter cross-checks against the host clock). A word
 * with an invalid range, or a run that is not consecutive, means garbage or misalignment: the
 * decoder slides byte by byte until LOOKAHEAD consecutive valid words line up again, counting the
 * skipped bytes. Accepting a word needs the next word to agree; a word with the right counter
 * whose successor is unreadable is held until the stream resumes with the following counter value
 * (then it is kept) or with anything else (then it is dropped and counted as lost), so a single
 * stray word that happens to look valid does not become a sample.
 */
import { joinBytes } from '../bytes';

export type Ppk2Event = { type: 'words'; words: Uint32Array } | { type: 'gap'; lost: number };

const LOOKAHEAD = 4;

export const ppk2Word = {
  adc: (w: number) => w & 0x3fff,
  range: (w: number) => (w >>> 14) & 7,
  counter: (w: number) => (w >>> 18) & 63,
  digital: (w: number) => (w >>> 24) & 0xff,
  make: (adc: number, range: number, counter: number, digital = 0) =>
    ((adc & 0x3fff) | ((range & 7) << 14) | ((counter & 63) << 18) | ((digital & 0xff) << 24)) >>> 0,
};

export class Ppk2StreamDecoder {
  private leftover = new Uint8Array(0);
  private expected = -1;
  /** A word with the expected counter whose successor was unreadable; -1 when none. */
  private pending = -1;
  private slidSincePending = 0;
  private expectedBeforePending = -1;
  private justSlid = false;
  /** Bytes skipped while resynchronising (garbage, partial words, non-PPK2 data). */
  badBytes = 0;
  resyncs = 0;

  /** Forget alignment and counter state (after AverageStart, or a reconnect). */
  reset(): void {
    this.leftover = new Uint8Array(0);
    this.expected = -1;
    this.pending = -1;
    this.justSlid = false;
  }

  push(bytes: Uint8Array): Ppk2Event[] {
    const data = joinBytes(this.leftover, bytes);
    const events: Ppk2Event[] = [];
    const out = new Uint32Array(Math.floor(data.length / 4));
    let n = 0;
    const flushWords = () => {
      if (n > 0) events.push({ type: 'words', words: out.slice(0, n) });
      // slice copies, so out can be reused from the start
      n = 0;
    };
    const len = data.length;
    const word = (p: number) => (data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24)) >>> 0;
    const valid = (w: number) => ((w >>> 14) & 7) <= 4;
    const runOk = (p: number, count: number) => {
      let prev = word(p);
      if (!valid(prev)) return false;
      for (let k = 1; k < count; k++) {
        const w = word(p + 4 * k);
        if (!valid(w) || ((w >>> 18) & 63) !== ((((prev >>> 18) & 63) + 1) & 63)) return false;
        prev = w;
      }
      return true;
    };

    let p = 0;
    while (p + 4 * LOOKAHEAD <= len) {
      const w = word(p);
      const c = (w >>> 18) & 63;
      if (this.expected >= 0 && c === this.expected && runOk(p, 2)) {
        if (this.pending >= 0) out[n++] = this.pending; // continued by this word: confirmed
        this.pending = -1;
        out[n++] = w;
        this.expected = (c + 1) & 63;
        p += 4;
        continue;
      }
      if (runOk(p, LOOKAHEAD)) {
        const pending = this.pending;
        if (this.justSlid) {
          this.justSlid = false;
          const pc = (pending >>> 18) & 63;
          const slid = this.slidSincePending;
          const confirmsPending = pending >= 0 && (c === ((pc + 1) & 63) || (slid % 4 === 0 && c === ((pc + 1 + slid / 4) & 63)));
          if (!confirmsPending) {
            // The first word after skipped bytes may itself be garbage that happens to precede the
            // real continuation with a matching counter: never trust it; it is counted as lost.
            // A held word that this run does not continue is dropped too (it was likely garbage).
            if (pending >= 0) {
              this.pending = -1;
              this.expected = this.expectedBeforePending;
            }
            this.badBytes += 4;
            p += 4;
            continue;
          }
        }
        this.pending = -1;
        if (pending >= 0) {
          // The held word is confirmed when the run continues its counter across the disturbance,
          // when only whole corrupt words sit between them with matching counters, or when the run
          // follows it directly (real loss right after it). A run repeating the held word's own
          // counter means the held word was inserted garbage.
          const pc = (pending >>> 18) & 63;
          const slid = this.slidSincePending;
          if (c === ((pc + 1) & 63) || (slid === 0 && c !== pc) || (slid > 0 && slid % 4 === 0 && c === ((pc + 1 + slid / 4) & 63))) {
            out[n++] = pending;
          } else {
            this.expected = this.expectedBeforePending;
          }
        }
        if (this.expected >= 0) {
          const lost = (c - this.expected) & 63;
          if (lost > 0) {
            flushWords();
            events.push({ type: 'gap', lost });
          }
        }
        out[n++] = w;
        this.expected = (c + 1) & 63;
        p += 4;
        continue;
      }
      if (this.expected >= 0 && this.pending < 0 && c === this.expected && valid(w)) {
        // Right counter but nothing after it to confirm it (loss or garbage follows): hold it until
        // the stream resumes with the next counter value, otherwise drop it and count it as lost.
        this.pending = w;
        this.slidSincePending = 0;
        this.expectedBeforePending = this.expected;
        this.expected = (c + 1) & 63;
        p += 4;
        continue;
      }
      // Garbage or misalignment: slide until a consistent run starts.
      let s = 1;
      while (p + s + 4 * LOOKAHEAD <= len && !runOk(p + s, LOOKAHEAD)) s++;
      this.badBytes += s;
      this.resyncs += 1;
      this.slidSincePending += s;
      this.justSlid = true;
      p += s;
    }
    flushWords();
    this.leftover = data.slice(p);
    return events;
  }
}
