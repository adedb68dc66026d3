/**
 * DIY INA219/INA226/INA260 boards on a serial port. Accepts our framed format (sequence number +
 * device µs timestamp + V + A + CRC: exact timing and loss detection) and, tolerantly, the text
 * formats hobby sketches print (CSV, plotter label:value, Adafruit blocks, bare "V I" pairs).
 * Text gives only host arrival times and no loss detection; the driver says so in its label.
 */
import { monotonicNs } from '../../util/clock';
import { BaseMeter } from '../base-meter';
import { DeviceClockMapper } from '../clock-mapper';
import { SerialLink, type ByteLink } from '../link';
import type { MeterCapabilities } from '../types';
import type { InaFrame } from './frame';
import { InaStreamParser } from './stream-parser';
import type { TextParserOptions } from './text-parser';

export interface InaOptions extends TextParserOptions {
  baudRate?: number;
  /** Nominal samples/s, used until the stream's own rate is measured (default 100). */
  rateHz?: number;
  batchMs?: number;
  /** Error out after this long without a valid sample (default 5000 ms). */
  silenceMs?: number;
  link?: ByteLink;
}

export class InaMeter extends BaseMeter {
  readonly driver = 'ina';
  readonly label: string;
  readonly capabilities: MeterCapabilities;
  protected readonly expectedDevice = 'an INA219/INA226/INA260 board (DDI frames or text lines)';
  private parser: InaStreamParser;
  private readonly clock = new DeviceClockMapper();
  private expectedSeq = -1;
  private lastFrameHostNs = 0;
  private devPeriodUs = 0;
  private textPeriodNs: number;
  private lastTextNs = 0;
  private lastBad = 0;
  /** Which kind of data the board sends, once seen: 'framed' gives exact timing. */
  format: 'unknown' | 'framed' | 'text' = 'unknown';

  constructor(
    spec: string,
    private readonly path: string,
    private readonly options: InaOptions = {},
  ) {
    super(spec);
    this.label = `DIY INA meter on ${path}`;
    this.parser = new InaStreamParser(options);
    this.textPeriodNs = 1e9 / (options.rateHz ?? 100);
    this.capabilities = {
      channels: ['current', 'voltage', 'power'],
      sampleRateHz: options.rateHz ?? 100,
      digitalInputs: 0,
      deviceClock: true,
      deviceTimeUnit: 'us',
      simulated: false,
    };
  }

  protected override watchdogOptions() {
    return { silenceMs: this.options.silenceMs ?? 5000 };
  }

  protected async start(): Promise<void> {
    this.parser = new InaStreamParser(this.options);
    this.clock.reset();
    this.expectedSeq = -1;
    this.lastBad = 0;
    const link = await this.openLink(
      this.options.link ?? new SerialLink({ path: this.path, baudRate: this.options.baudRate ?? 115200, batchMs: this.options.batchMs ?? 30 }),
    );
    this.listenToLink(
      link,
      (why) => `The INA board on ${this.path} was disconnected (${why}); plug it back in.`,
      (d) => this.onData(d),
    );
  }

  protected async stop(): Promise<void> {
    await this.closeLink();
  }

  private onData(bytes: Buffer): void {
    const arrivalNs = monotonicNs();
    const { frames, text } = this.parser.push(bytes);
    const bad = this.parser.badFrames + this.parser.badLines;
    if (bad > this.lastBad) {
      this.counts.badFrames += bad - this.lastBad;
      this.lastBad = bad;
    }
    // Bytes that produced nothing tell the watchdog "something is talking, but not an INA board".
    if (frames.length === 0 && text.length === 0) this.bytesSinceGood += bytes.length;
    if (frames.length > 0) this.onFrames(frames, arrivalNs);
    if (text.length > 0) {
      if (this.format === 'unknown') this.format = 'text';
      const n = text.length;
      if (this.lastTextNs > 0) {
        // Follow the stream's real rate: lines arrive in bursts, so average over batches.
        const measured = (arrivalNs - this.lastTextNs) / n;
        this.textPeriodNs += 0.2 * (measured - this.textPeriodNs);
      }
      this.lastTextNs = arrivalNs;
      const current = new Float32Array(n);
      const voltage = new Float32Array(n);
      const power = new Float32Array(n);
      text.forEach((s, k) => {
        current[k] = s.currentA;
        voltage[k] = s.voltageV;
        power[k] = s.powerW;
      });
      this.emitChunk({
        t0Ns: arrivalNs - (n - 1) * this.textPeriodNs,
        periodNs: this.textPeriodNs,
        count: n,
        channels: this.capabilities.channels,
        data: [current, voltage, power],
      });
    }
  }

  private onFrames(frames: InaFrame[], arrivalNs: number): void {
    this.format = 'framed';
    const devUs = frames.map((f) => this.clock.extend(f.tUs));
    // The last frame of a batch arrived at arrivalNs at the latest: the tightest observation.
    this.clock.observe(devUs[devUs.length - 1]!, arrivalNs);
    let runStart = 0;
    const flush = (end: number) => {
      const n = end - runStart;
      if (n <= 0) return;
      const firstUs = devUs[runStart]!;
      const lastUs = devUs[end - 1]!;
      if (n > 1) this.devPeriodUs = (lastUs - firstUs) / (n - 1);
      const periodNs = (this.devPeriodUs || 1e6 / (this.options.rateHz ?? 100)) * 1000;
      const current = new Float32Array(n);
      const voltage = new Float32Array(n);
      const power = new Float32Array(n);
      for (let k = 0; k < n; k++) {
        const f = frames[runStart + k]!;
        current[k] = f.currentA;
        voltage[k] = f.voltageV;
        power[k] = f.currentA * f.voltageV;
      }
      const t0Ns = this.clock.toHostNs(firstUs);
      this.capabilities.sampleRateHz = Math.round(1e9 / periodNs);
      this.emitChunk({ t0Ns, periodNs, count: n, channels: this.capabilities.channels, data: [current, voltage, power], deviceTime: firstUs });
      this.lastFrameHostNs = this.clock.toHostNs(lastUs);
    };
    for (let k = 0; k < frames.length; k++) {
      const seq = frames[k]!.seq;
      if (this.expectedSeq >= 0 && seq !== this.expectedSeq) {
        flush(k);
        runStart = k;
        const lost = (seq - this.expectedSeq) & 0xffff;
        const periodNs = (this.devPeriodUs || 1e6 / (this.options.rateHz ?? 100)) * 1000;
        this.emitGap({
          startNs: this.lastFrameHostNs + periodNs,
          endNs: this.clock.toHostNs(devUs[k]!),
          lostSamples: lost,
          reason: 'samples lost (INA frame sequence jump)',
        });
      }
      this.expectedSeq = (seq + 1) & 0xffff;
    }
    flush(frames.length);
  }
}
