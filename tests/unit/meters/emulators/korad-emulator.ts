/**
 * Device side of a Korad KA3005P: recognises unterminated ASCII commands by their shape, answers
 * without terminators, and — like the real unit — ignores commands that arrive less than 80 ms
 * after the previous one (counted in `tooFast`).
 */
import { DevicePort } from './device-port';

export class KoradEmulator extends DevicePort {
  identity = 'KORAD KA3005P V5.8 SN:03379314';
  strayIdnByte = 0x01;
  current = 0.123;
  voltage = 5.0;
  status = 0x41; // CV, output on
  tooFast = 0;
  commands: string[] = [];
  silent = false;
  garbageReplies = false;
  private buf = '';
  private lastCmdMs = 0;

  protected onBytes(data: Buffer): void {
    this.buf += data.toString('latin1');
    for (;;) {
      const m = /(\*IDN\?|IOUT1\?|VOUT1\?|ISET1\?|VSET1\?|STATUS\?|ISET1:\d\.\d{3}|VSET1:\d\d\.\d\d|OUT[01]|BEEP[01])/.exec(this.buf);
      if (!m) {
        // Keep only a tail that could still become a command; junk before a command is skipped.
        if (this.buf.length > 16) this.buf = this.buf.slice(-16);
        return;
      }
      this.buf = this.buf.slice(m.index + m[0].length);
      this.handle(m[0]);
    }
  }

  private handle(cmd: string): void {
    const now = Date.now();
    const fast = this.lastCmdMs > 0 && now - this.lastCmdMs < 80;
    this.lastCmdMs = now;
    this.commands.push(cmd);
    if (fast) {
      this.tooFast++;
      return;
    }
    if (this.silent) return;
    const num = (v: number, intDigits: number, dec: number) => v.toFixed(dec).padStart(intDigits + 1 + dec, '0');
    if (this.garbageReplies) {
      this.write('ERR!?');
      return;
    }
    switch (cmd) {
      case '*IDN?':
        this.write(Buffer.concat([Buffer.from(this.identity, 'latin1'), Buffer.from([this.strayIdnByte])]));
        return;
      case 'IOUT1?':
        this.write(num(this.current, 1, 3));
        return;
      case 'VOUT1?':
        this.write(num(this.voltage, 2, 2));
        return;
      case 'STATUS?':
        this.write(Buffer.from([this.status]));
        return;
    }
  }
}
