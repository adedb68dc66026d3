/**
 * Splits an INA board's byte stream into our binary frames and text lines. Frames start with 0xA5
 * 0x5A (not ASCII), so a sketch that prints text and our firmware's frames can be told apart
 * byte by byte. Partial frames and partial lines are kept between pushes. A sync pattern that
 * fails validation (CRC, type, non-finite values) is a bad frame: the parser skips one byte and
 * searches again, so a corrupted frame can never hide the good frame right behind it.
 */
import { joinBytes } from '../bytes';
import { decodeInaFrame, INA_FRAME_SIZE, INA_SYNC0, INA_SYNC1, type InaFrame } from './frame';
import { InaTextParser, type TextParserOptions, type TextSample } from './text-parser';

export interface InaPushResult {
  frames: InaFrame[];
  text: TextSample[];
}

const MAX_LINE = 512;

export class InaStreamParser {
  private pending = new Uint8Array(0);
  private line: number[] = [];
  private lastWasCr = false;
  readonly text: InaTextParser;
  badFrames = 0;
  /** Bytes discarded: bad frames, overlong lines, binary noise. */
  badBytes = 0;

  constructor(options: TextParserOptions = {}) {
    this.text = new InaTextParser(options);
  }

  get badLines(): number {
    return this.text.badLines;
  }

  push(bytes: Uint8Array): InaPushResult {
    const data = joinBytes(this.pending, bytes);
    const frames: InaFrame[] = [];
    const text: TextSample[] = [];
    let p = 0;
    while (p < data.length) {
      const b = data[p]!;
      if (b === INA_SYNC0) {
        if (p + 1 >= data.length) break; // need the second sync byte
        if (data[p + 1] === INA_SYNC1) {
          if (p + INA_FRAME_SIZE > data.length) break; // wait for the rest of the frame
          const frame = decodeInaFrame(data, p);
          if (frame) {
            frames.push(frame);
            p += INA_FRAME_SIZE;
            continue;
          }
          this.badFrames++;
          this.badBytes++;
          p++;
          continue;
        }
      }
      if (b === 0x0a || b === 0x0d) {
        // CR, LF and CRLF all end a line; the LF of a CRLF must not count as an extra blank line.
        if (b === 0x0d || !this.lastWasCr) this.endLine(text);
        this.lastWasCr = b === 0x0d;
        p++;
        continue;
      }
      this.lastWasCr = false;
      if (b < 0x20 && b !== 0x09) {
        // Control bytes never appear in the text formats: noise (wrong baud rate, say).
        this.badBytes++;
        this.line = [];
        p++;
        continue;
      }
      this.line.push(b);
      if (this.line.length > MAX_LINE) {
        this.badBytes += this.line.length;
        this.text.badLines++;
        this.line = [];
      }
      p++;
    }
    this.pending = data.slice(p);
    return { frames, text };
  }

  private endLine(out: TextSample[]): void {
    const bytes = this.line;
    this.line = [];
    // Non-ASCII in a text line means garbage (the formats are ASCII; µ is accepted as UTF-8).
    const s = Buffer.from(bytes).toString('utf8');
    if (s.includes('\uFFFD')) {
      this.text.badLines++;
      return;
    }
    const sample = this.text.parseLine(s);
    if (sample) out.push(sample);
  }
}
