/**
 * RDTech UM24C / UM25C / UM34C USB testers over Bluetooth SPP (/dev/rfcomm*) or any serial link:
 * send 0xF0, read the 130-byte status frame, scale by the model it names. Readings carry V, I and
 * P plus the meter's own accumulators (selected group's charge/energy, temperature) in aux.
 * Back-to-back commands can be dropped by the meter (rdserialtool waits 0.5 s), so the poll
 * interval has a floor and a reply timeout of 1 s (as libsigrok).
 */
import { UserError } from '../../util/errors';
import { SerialLink } from '../link';
import { Mailbox, PolledMeter, type PolledMeterOptions, type Reading } from '../polled-meter';
import { UM_REQUEST, UmFrameParser, type UmModel, type UmReading } from './frame';

export interface UmOptions extends PolledMeterOptions {
  replyTimeoutMs?: number;
}

export class UmMeter extends PolledMeter {
  readonly driver = 'um';
  label: string;
  protected readonly expectedDevice = 'an RDTech UM24C/UM25C/UM34C';
  private parser = new UmFrameParser();
  private readonly frames = new Mailbox<UmReading>();
  private lastBadFrames = 0;
  model: UmModel | undefined;

  constructor(
    spec: string,
    private readonly path: string,
    private readonly options: UmOptions = {},
  ) {
    super(spec, options.pollMs ?? 250, ['current', 'voltage', 'power']);
    if (!(this.pollMs >= 100 && this.pollMs <= 60_000)) {
      throw new UserError(`UM poll interval ${this.pollMs} ms is out of range; use 100 to 60000 ms.`);
    }
    this.label = `RDTech UM meter on ${path}`;
  }

  protected override watchdogOptions() {
    return { silenceMs: Math.max(4000, this.pollMs * 8) };
  }

  protected async connect(): Promise<void> {
    this.parser = new UmFrameParser();
    this.lastBadFrames = 0;
    this.frames.clear();
    const link = await this.openLink(this.options.link ?? new SerialLink({ path: this.path, baudRate: this.options.baudRate ?? 115200 }));
    this.listenToLink(
      link,
      (why) => `The UM meter on ${this.path} was disconnected (${why}); check Bluetooth pairing/range and reconnect.`,
      (d) => {
        const before = this.parser.badBytes;
        for (const f of this.parser.push(d)) this.frames.put(f);
        if (this.parser.badBytes > before) this.bytesSinceGood += this.parser.badBytes - before;
        if (this.parser.badFrames > this.lastBadFrames) {
          this.counts.badFrames += this.parser.badFrames - this.lastBadFrames;
          this.lastBadFrames = this.parser.badFrames;
        }
      },
    );
    // Handshake: the first status frame names the model.
    let first: UmReading | undefined;
    for (let attempt = 0; attempt < 3 && !first; attempt++) {
      await link.write(Uint8Array.of(UM_REQUEST));
      first = await this.frames.take(this.options.replyTimeoutMs ?? 1000);
    }
    if (!first) {
      throw new UserError(
        this.parser.badBytes > 0
          ? `${this.path} answered, but not with RDTech UM status frames; check that this is the UM meter's port (Bluetooth SPP, /dev/rfcomm*).`
          : `No reply from a UM meter on ${this.path}; pair it (PIN 1234), bind it with "rfcomm bind", and check it is switched on.`,
        'um-no-reply',
      );
    }
    this.model = first.model;
    this.label = `RDTech ${first.model} on ${this.path}`;
  }

  protected override async disconnect(): Promise<void> {
    this.frames.cancel();
    await super.disconnect();
  }

  protected async readOnce(): Promise<Reading | undefined> {
    const link = this.link;
    if (!link) return undefined;
    this.frames.clear();
    const badBefore = this.parser.badBytes;
    await link.write(Uint8Array.of(UM_REQUEST));
    const f = await this.frames.take(this.options.replyTimeoutMs ?? 1000);
    if (!f) {
      this.lastReplyInvalid = this.parser.badBytes > badBefore;
      return undefined;
    }
    return {
      current: f.currentA,
      voltage: f.voltageV,
      power: f.powerW,
      aux: {
        temperatureC: f.temperatureC,
        groupChargeC: f.groupChargeC,
        groupEnergyJ: f.groupEnergyJ,
        group: f.group,
        dataPlusV: f.dataPlusV,
        dataMinusV: f.dataMinusV,
        loadOhm: f.loadOhm,
      },
    };
  }
}
