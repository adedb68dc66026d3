/**
 * Nordic Power Profiler Kit II over its USB CDC port. Open: stop any stream left running, read the
 * metadata/calibration block, set the regulator, select source or ampere mode, switch DUT power,
 * then start the 100 kS/s stream (sequence as in NordicSemiconductor/pc-nrfconnect-ppk
 * `src/actions/deviceActions.ts`, `open`). Each read is framed and checked
 * against the 6-bit counter as it arrives, with its own arrival time (SampleTimeline places the
 * samples and finds loss the counter cannot show); every ~30 ms the placed samples are converted with
 * the calibration and emitted as contiguous chunks with gaps between them where samples were lost.
 */
import { monotonicNs } from '../../util/clock';
import { UserError } from '../../util/errors';
import { BaseMeter } from '../base-meter';
import { readReply, SerialLink, sleep, type ByteLink } from '../link';
import type { MeterCapabilities } from '../types';
import { PPK2_CMD, PPK2_MODE, PPK2_SAMPLE_RATE_HZ, PPK2_VDD_MAX_MV, PPK2_VDD_MIN_MV, regulatorSet, setUserGain } from './commands';
import { Ppk2Converter } from './converter';
import { findMetadataEnd, parsePpk2Metadata, type Ppk2Calibration } from './metadata';
import { Ppk2StreamDecoder } from './sample-decoder';
import { SampleTimeline, type TimelineItem, type TimelineOptions } from './sample-timeline';

export interface Ppk2Options {
  mode?: 'source' | 'ampere';
  /** Regulator set-point in mV (source mode: the DUT supply). Default: the device's current one. */
  voltageMv?: number;
  /** Switch DUT power on after opening (default true). */
  dutPower?: boolean;
  spikeFilter?: boolean;
  /** How long to collect decoded samples before emitting them as one chunk (default 30 ms). */
  batchMs?: number;
  /**
   * Start a serial read at most every this many ms while no backlog builds (default 5; 0 = on every
   * arrival). The device sends a 64-byte USB packet every 160 µs at 100 kS/s; reading each on its
   * own cost about a third of a core (bench:read-pacing). 5 ms is 2 kB, within one tty read.
   */
  readIntervalMs?: number;
  /** Metadata reply timeout (default 2000 ms). */
  metadataTimeoutMs?: number;
  /**
   * Tuning of the catch-up that finds loss in whole 64-sample counter cycles after the host stopped
   * reading (see sample-timeline.ts; the defaults suit USB and ptys).
   */
  timeline?: Partial<Omit<TimelineOptions, 'periodNs'>>;
  /** For tests: a ready link instead of opening a serial port. */
  link?: ByteLink;
}

const PERIOD_NS = 1e9 / PPK2_SAMPLE_RATE_HZ;

export class Ppk2Meter extends BaseMeter {
  readonly driver = 'ppk2';
  readonly label: string;
  readonly capabilities: MeterCapabilities;
  protected readonly expectedDevice = 'a Nordic PPK2';
  calibration: Ppk2Calibration | undefined;
  private decoder = new Ppk2StreamDecoder();
  private converter: Ppk2Converter | undefined;
  private vddMv = 0;
  /** Sample placement since AverageStart (index counts lost samples); made anew by start(). */
  private timeline = new SampleTimeline({ periodNs: PERIOD_NS });
  /** Placed samples and gaps waiting for the next emission. */
  private pending: TimelineItem[] = [];
  private emitTimer: NodeJS.Timeout | undefined;
  private lastBadBytes = 0;
  private streaming = false;
  /** End of the last sample before pause(), for the "measurement paused" gap. */
  private pausedAtNs: number | undefined;

  constructor(
    spec: string,
    private readonly path: string,
    private readonly options: Ppk2Options = {},
  ) {
    super(spec);
    this.label = `Nordic PPK2 on ${path}`;
    if (options.voltageMv !== undefined && (options.voltageMv < PPK2_VDD_MIN_MV || options.voltageMv > PPK2_VDD_MAX_MV)) {
      throw new UserError(`PPK2 voltage ${options.voltageMv} mV is out of range; use ${PPK2_VDD_MIN_MV} to ${PPK2_VDD_MAX_MV} mV.`);
    }
    this.capabilities = {
      channels: ['current'],
      sampleRateHz: PPK2_SAMPLE_RATE_HZ,
      digitalInputs: 8,
      digitalNames: ['D0', 'D1', 'D2', 'D3', 'D4', 'D5', 'D6', 'D7'],
      deviceClock: true,
      deviceTimeUnit: 'samples',
      simulated: false,
    };
  }

  protected override watchdogOptions() {
    return { silenceMs: 1500 };
  }

  protected async start(): Promise<void> {
    // Unbatched reads: each read's own arrival time is what tells buffered data from fresh data.
    // Paced reads keep that: a read takes everything buffered, whose newest packet is at most
    // one packet period (160 µs) old, so the lag floor is still the transport's.
    const link = await this.openLink(
      this.options.link ?? new SerialLink({ path: this.path, baudRate: 115200, batchMs: 0, readIntervalMs: this.options.readIntervalMs ?? 5 }),
    );
    // A previous session may have left the device streaming: stop it and drop what is in flight.
    await link.write(Uint8Array.of(PPK2_CMD.AverageStop));
    await sleep(50);
    link.discardInput();
    await sleep(20);
    link.discardInput();

    const replyPromise = readReply(link, (d) => findMetadataEnd(d.toString('latin1')) >= 0, this.options.metadataTimeoutMs ?? 2000);
    await link.write(Uint8Array.of(PPK2_CMD.GetMetadata));
    const reply = await replyPromise;
    if (!reply.complete) {
      throw new UserError(
        reply.data.length === 0
          ? `No reply to the PPK2 metadata request on ${this.path}; check that this is a PPK2's measurement port (firmware 1.2+ has two ports) and that it is powered.`
          : `${this.path} answered with ${reply.data.length} bytes that are not PPK2 metadata; a different device is probably on this port — pick the PPK2's port.`,
        'ppk2-no-metadata',
      );
    }
    const cal = parsePpk2Metadata(reply.data.toString('latin1'));
    this.calibration = cal;
    this.vddMv = this.options.voltageMv ?? Math.min(PPK2_VDD_MAX_MV, Math.max(PPK2_VDD_MIN_MV, cal.vddMv));

    // User gains outside 0.9-1.1 are reset to 1.0, as Nordic's app does.
    if (cal.ug.some((g) => g < 0.9 || g > 1.1)) {
      for (let r = 0; r < 5; r++) await link.write(setUserGain(r, 1));
      cal.ug = [1, 1, 1, 1, 1];
    }
    const mode = this.options.mode ?? (cal.mode === 1 ? 'ampere' : 'source');
    if (mode === 'source') {
      await link.write(Uint8Array.of(PPK2_CMD.DeviceRunningSet, 0));
      await link.write(Uint8Array.of(PPK2_CMD.SetPowerMode, PPK2_MODE.source));
      await link.write(regulatorSet(this.vddMv));
      if (this.options.dutPower ?? true) await link.write(Uint8Array.of(PPK2_CMD.DeviceRunningSet, 1));
      this.capabilities.nominalVoltageV = this.vddMv / 1000;
    } else {
      // The DUT would not start in ampere mode until a regulator value was sent (IRNAS/ppk2-api-python#42).
      await link.write(Uint8Array.of(PPK2_CMD.SetPowerMode, PPK2_MODE.ampere));
      await link.write(regulatorSet(this.vddMv));
      await link.write(Uint8Array.of(PPK2_CMD.DeviceRunningSet, 1));
      delete this.capabilities.nominalVoltageV;
    }

    this.converter = new Ppk2Converter(cal, this.vddMv, { enabled: this.options.spikeFilter ?? true });
    this.decoder = new Ppk2StreamDecoder();
    this.lastBadBytes = 0;
    this.timeline = this.newTimeline();
    this.dropPending();
    link.discardInput();
    this.listenToLink(
      link,
      (why) => `The PPK2 on ${this.path} was disconnected (${why}); plug it back in.`,
      (d) => this.onData(d),
    );
    await link.write(Uint8Array.of(PPK2_CMD.AverageStart));
    this.streaming = true;
  }

  protected async stop(): Promise<void> {
    // Samples held or not yet emitted are measurements: they go out before the port closes.
    this.release();
    await this.closeLink(async (link) => {
      if (this.streaming && link.isOpen) await link.write(Uint8Array.of(PPK2_CMD.AverageStop)).catch(() => undefined);
      this.streaming = false;
    });
  }

  /** Changes the regulator set-point while running (source mode: the DUT supply). */
  async setVoltage(mv: number): Promise<void> {
    if (!(mv >= PPK2_VDD_MIN_MV && mv <= PPK2_VDD_MAX_MV)) {
      throw new UserError(`PPK2 voltage ${mv} mV is out of range; use ${PPK2_VDD_MIN_MV} to ${PPK2_VDD_MAX_MV} mV.`);
    }
    if (!this.link) throw new UserError('The PPK2 is not open; connect it first.');
    await this.link.write(regulatorSet(mv));
    this.vddMv = mv;
    this.converter?.setVddMv(mv);
    if (this.capabilities.nominalVoltageV !== undefined) this.capabilities.nominalVoltageV = mv / 1000;
  }

  async setDutPower(on: boolean): Promise<void> {
    if (!this.link) throw new UserError('The PPK2 is not open; connect it first.');
    await this.link.write(Uint8Array.of(PPK2_CMD.DeviceRunningSet, on ? 1 : 0));
  }

  /**
   * Stops the sample stream (AverageStop) without closing the port; the state becomes 'idle'.
   * resume() restarts it (AverageStart) and emits a gap with lostSamples 0 and reason
   * "measurement paused" over the pause, so the hole is explicit but not counted as loss.
   */
  async pause(): Promise<void> {
    if (!this.link || !this.streaming) return;
    await this.link.write(Uint8Array.of(PPK2_CMD.AverageStop));
    this.streaming = false;
    this.setState('idle');
  }

  async resume(): Promise<void> {
    if (!this.link || this.streaming) return;
    // Samples still in flight at pause() have been processed by now: the pause starts after them.
    this.release();
    const t0 = this.timeline.startNs;
    this.pausedAtNs = t0 === undefined ? undefined : t0 + this.timeline.nextIndex * PERIOD_NS;
    this.decoder = new Ppk2StreamDecoder();
    this.lastBadBytes = 0;
    this.converter?.reset();
    this.timeline = this.newTimeline();
    this.link.discardInput();
    await this.link.write(Uint8Array.of(PPK2_CMD.AverageStart));
    this.streaming = true;
    this.setState('streaming');
  }

  private newTimeline(): SampleTimeline {
    return new SampleTimeline({ ...this.options.timeline, periodNs: PERIOD_NS });
  }

  private onData(bytes: Buffer): void {
    const arrivalNs = monotonicNs();
    if (!this.converter) return;
    const events = this.decoder.push(bytes);
    const newBad = this.decoder.badBytes - this.lastBadBytes;
    if (newBad > 0) {
      // One bad frame per skipped word's worth of bytes.
      this.counts.badFrames += Math.ceil(newBad / 4);
      this.lastBadBytes = this.decoder.badBytes;
      this.bytesSinceGood += newBad;
    }
    if (events.length === 0) return;
    const items = this.timeline.push(arrivalNs, events);
    // Held samples are valid data too: the silence watchdog must not fire while they wait.
    if (this.timeline.holding) this.noteValidData();
    if (items.length === 0) return;
    for (const item of items) this.pending.push(item);
    this.emitTimer ??= setTimeout(() => this.emitPending(), this.options.batchMs ?? 30);
  }

  /** Decides held samples and emits everything placed so far. */
  private release(): void {
    for (const item of this.timeline.flush()) this.pending.push(item);
    this.emitPending();
  }

  private dropPending(): void {
    if (this.emitTimer) clearTimeout(this.emitTimer);
    this.emitTimer = undefined;
    this.pending = [];
  }

  /** Emits pending items in order: each run of consecutive samples as one chunk, each loss as a gap. */
  private emitPending(): void {
    if (this.emitTimer) clearTimeout(this.emitTimer);
    this.emitTimer = undefined;
    const items = this.pending;
    this.pending = [];
    const t0 = this.timeline.startNs;
    const converter = this.converter;
    if (items.length === 0 || t0 === undefined || !converter) return;
    if (this.pausedAtNs !== undefined) {
      this.emitGap({ startNs: this.pausedAtNs, endNs: t0, lostSamples: 0, reason: 'measurement paused' });
      this.pausedAtNs = undefined;
    }
    let k = 0;
    while (k < items.length) {
      const item = items[k]!;
      if (item.type === 'gap') {
        this.emitGap({
          startNs: t0 + item.index * PERIOD_NS,
          endNs: t0 + (item.index + item.lost) * PERIOD_NS,
          lostSamples: item.lost,
          reason: item.reason,
        });
        k++;
        continue;
      }
      let end = k;
      let n = 0;
      while (end < items.length) {
        const next = items[end]!;
        if (next.type !== 'words' || next.index !== item.index + n) break;
        n += next.words.length;
        end++;
      }
      const current = new Float32Array(n);
      const digital = new Uint8Array(n);
      let offset = 0;
      for (let j = k; j < end; j++) {
        const words = (items[j] as Extract<TimelineItem, { type: 'words' }>).words;
        converter.convert(words, current, digital, offset);
        offset += words.length;
      }
      this.emitChunk({
        t0Ns: t0 + item.index * PERIOD_NS,
        periodNs: PERIOD_NS,
        count: n,
        channels: this.capabilities.channels,
        data: [current],
        digital,
        deviceTime: item.index,
      });
      k = end;
    }
  }
}
