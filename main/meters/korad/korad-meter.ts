/**
 * Korad-protocol bench supplies as meters: poll IOUT1? and VOUT1? (and STATUS? every few polls),
 * never faster than the device's minimum command spacing; power is V × I on the host. The reply
 * widths give 1 mA / 10 mV resolution, and one V/I pair takes ≥ 160 ms, so this is a ~4 Hz meter.
 */
import { monotonicNs } from '../../util/clock';
import { UserError } from '../../util/errors';
import { readReply, SerialLink, sleep } from '../link';
import { PolledMeter, type PolledMeterOptions, type Reading } from '../polled-meter';
import { parseKoradIdn, parseKoradNumber, parseKoradStatus } from './protocol';

export interface KoradOptions extends PolledMeterOptions {
  /** Minimum gap between commands (default 80 ms; some Velleman units need more). */
  minSpacingMs?: number;
  /** Wait for the first reply byte (default 500 ms). */
  replyTimeoutMs?: number;
  /** Read STATUS? every N polls (0 = never; default 4). */
  statusEvery?: number;
}

export class KoradMeter extends PolledMeter {
  readonly driver = 'korad';
  label: string;
  protected readonly expectedDevice = 'a Korad KA3005P-compatible power supply';
  private lastCommandNs = 0;
  private polls = 0;
  private lastStatus: number | undefined;
  identity: string | undefined;

  constructor(
    spec: string,
    private readonly path: string,
    private readonly options: KoradOptions = {},
  ) {
    super(spec, options.pollMs ?? 250, ['current', 'voltage', 'power']);
    const spacing = options.minSpacingMs ?? 80;
    if (this.pollMs < 2 * spacing) {
      throw new UserError(`Korad poll interval ${this.pollMs} ms is too short; one V/I pair needs at least ${2 * spacing} ms (2 commands × ${spacing} ms).`);
    }
    this.label = `Korad power supply on ${path}`;
  }

  protected override watchdogOptions() {
    return { silenceMs: Math.max(3000, this.pollMs * 8) };
  }

  /** Sends a command after the required spacing and collects a reply of `length` bytes (or until idle). */
  private async query(command: string, length: number | 'idle'): Promise<Buffer> {
    const link = this.link;
    if (!link) return Buffer.alloc(0);
    const spacingNs = (this.options.minSpacingMs ?? 80) * 1e6;
    const wait = (this.lastCommandNs + spacingNs - monotonicNs()) / 1e6;
    // Timers work in whole milliseconds and may round down: round up, plus a little margin.
    if (wait > 0) await sleep(Math.ceil(wait) + 2);
    link.discardInput();
    const reply = readReply(
      link,
      (d) => length !== 'idle' && d.length >= length,
      this.options.replyTimeoutMs ?? 500,
      // After the first byte, ~3 character times of silence ends a reply; 9600 baud → ~3 ms, but
      // USB-serial latency dominates, so allow 40 ms.
      40,
    );
    await link.write(command);
    const r = await reply;
    // Spacing counts from the end of the reply: write completion says nothing about when the bytes
    // reached the device, and USB/pty delivery jitter could otherwise squeeze two commands together.
    this.lastCommandNs = monotonicNs();
    return r.data;
  }

  protected async connect(): Promise<void> {
    const link = await this.openLink(this.options.link ?? new SerialLink({ path: this.path, baudRate: this.options.baudRate ?? 9600 }));
    this.listenToLink(link, (why) => `The Korad supply on ${this.path} was disconnected (${why}); plug it back in.`);
    this.lastCommandNs = 0;
    const idn = await this.query('*IDN?', 'idle');
    const identity = parseKoradIdn(idn);
    if (!identity) {
      throw new UserError(
        idn.length === 0
          ? `No reply to *IDN? from a Korad supply on ${this.path}; check the USB cable, that the supply is on, and the baud rate (9600).`
          : `${this.path} answered *IDN? with ${idn.length} bytes that are not a Korad identity; check the port and baud rate (9600).`,
        'korad-no-idn',
      );
    }
    this.identity = identity;
    this.label = `${identity} on ${this.path}`;
  }

  protected async readOnce(): Promise<Reading | undefined> {
    const iRaw = await this.query('IOUT1?', 5);
    const current = parseKoradNumber(iRaw);
    const vRaw = await this.query('VOUT1?', 5);
    const voltage = parseKoradNumber(vRaw);
    const every = this.options.statusEvery ?? 4;
    if (every > 0 && this.polls++ % every === 0) {
      const s = await this.query('STATUS?', 1);
      if (s.length === 1) this.lastStatus = s[0]!;
    }
    if (current === undefined || voltage === undefined) {
      this.lastReplyInvalid = iRaw.length > 0 || vRaw.length > 0;
      return undefined;
    }
    const aux: Record<string, number> = {};
    if (this.lastStatus !== undefined) {
      const st = parseKoradStatus(this.lastStatus);
      aux.outputOn = st.outputOn ? 1 : 0;
      aux.constantVoltage = st.cv ? 1 : 0;
    }
    return { current, voltage, power: current * voltage, aux };
  }
}
