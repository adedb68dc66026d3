/**
 * SCPI instruments (bench supplies, DMMs, power analysers) over raw TCP (port 5025, newline
 * terminated) or a serial port. Each poll sends the configured queries; replies are lines ending
 * in \n (\r\n accepted). The error queue (SYST:ERR?) is read after setup and every N polls, and
 * instrument errors are surfaced as notices without stopping the measurement.
 */
import { UserError } from '../../util/errors';
import { SerialLink, sleep, TcpLink, type ByteLink } from '../link';
import { Mailbox, PolledMeter, type PolledMeterOptions, type Reading } from '../polled-meter';
import type { Channel } from '../types';
import { parseScpiError, parseScpiNumber, SCPI_PRESETS } from './presets';

export interface ScpiOptions extends PolledMeterOptions {
  preset?: string;
  channel?: number;
  setupCommands?: string;
  currentQuery?: string;
  voltageQuery?: string;
  powerQuery?: string;
  combinedQuery?: string;
  combinedFields?: string;
  timeoutMs?: number;
  errorQueryEvery?: number;
  errorQuery?: string;
  terminator?: 'LF' | 'CRLF';
}

const MAX_LINE = 4096;

export function parseTcpTarget(port: string): { host: string; port: number } | undefined {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/i.exec(port);
  if (!m) return undefined;
  const host = m[1]!.replace(/^\[|\]$/g, '');
  const p = m[2] ? Number(m[2]) : 5025;
  if (!(p > 0 && p < 65536)) return undefined;
  return { host, port: p };
}

interface ScpiQueries {
  setup: string[];
  current?: string[];
  voltage?: string[];
  power?: string[];
  combined?: string[];
  fields: Channel[];
}

/** Outside the class because the channels it yields must be known before super() fixes capabilities. */
function planQueries(options: ScpiOptions): { queries: ScpiQueries; channels: Channel[] } {
  const presetName = options.preset ?? 'generic-pps';
  const preset = SCPI_PRESETS[presetName];
  if (!preset) throw new UserError(`SCPI preset "${presetName}" is unknown; use one of: ${Object.keys(SCPI_PRESETS).join(', ')}.`);
  const ch = String(options.channel ?? 1);
  const split = (s: string | undefined) =>
    s
      ? s
          .split('|')
          .map((c) => c.trim().replaceAll('{ch}', ch))
          .filter(Boolean)
      : undefined;
  const combined = split(options.combinedQuery ?? preset.combined);
  const fieldsText = options.combinedFields ?? preset.combinedFields ?? '';
  const fields = fieldsText
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean) as Channel[];
  for (const f of fields) {
    if (!['current', 'voltage', 'power'].includes(f))
      throw new UserError(`SCPI combinedFields entry "${f}" is unknown; use current, voltage or power separated by commas.`);
  }
  // Explicit per-channel queries replace the preset's; a combined query covers its fields.
  const anyExplicit = options.currentQuery ?? options.voltageQuery ?? options.powerQuery;
  const queries: ScpiQueries = {
    setup: split(options.setupCommands ?? preset.setup) ?? [],
    current: split(options.currentQuery ?? (anyExplicit ? undefined : preset.current)),
    voltage: split(options.voltageQuery ?? (anyExplicit ? undefined : preset.voltage)),
    power: split(options.powerQuery ?? (anyExplicit ? undefined : preset.power)),
    combined: anyExplicit && !options.combinedQuery ? undefined : combined,
    fields: anyExplicit && !options.combinedQuery ? [] : fields,
  };
  const channels = (['current', 'voltage', 'power'] as Channel[]).filter((c) => queries[c] || queries.fields.includes(c));
  if (channels.length === 0) throw new UserError('The SCPI meter has no query to run; set currentQuery, voltageQuery, powerQuery or a preset.');
  if (queries.combined && queries.fields.length === 0) throw new UserError('The SCPI combinedQuery needs combinedFields, e.g. "voltage,current,power".');
  return { queries, channels };
}

export class ScpiMeter extends PolledMeter {
  readonly driver = 'scpi';
  label: string;
  protected readonly expectedDevice = 'a SCPI instrument';
  private readonly lines = new Mailbox<string>();
  private partial = '';
  private polls = 0;
  private readonly queries: ScpiQueries;
  identity: string | undefined;
  instrumentErrors: string[] = [];

  constructor(
    spec: string,
    private readonly port: string,
    private readonly options: ScpiOptions = {},
  ) {
    const { queries, channels } = planQueries(options);
    super(spec, options.pollMs ?? 500, channels);
    this.queries = queries;
    if (!(this.pollMs >= 20 && this.pollMs <= 3_600_000)) throw new UserError(`SCPI poll interval ${this.pollMs} ms is out of range; use 20 to 3600000 ms.`);
    this.label = `SCPI instrument at ${port}`;
  }

  protected override watchdogOptions() {
    return { silenceMs: Math.max(5000, this.pollMs * 6, (this.options.timeoutMs ?? 2000) * 3) };
  }

  private makeLink(): ByteLink {
    if (this.options.link) return this.options.link;
    if (/^tcp:/i.test(this.port)) {
      const t = parseTcpTarget(this.port);
      if (!t) throw new UserError(`"${this.port}" is not a TCP address; write scpi:tcp://HOST:5025.`);
      return new TcpLink({ host: t.host, port: t.port, connectTimeoutMs: this.options.timeoutMs ?? 3000 });
    }
    return new SerialLink({ path: this.port, baudRate: this.options.baudRate ?? 9600 });
  }

  private onData(d: Buffer): void {
    this.partial += d.toString('latin1');
    let i: number;
    while ((i = this.partial.indexOf('\n')) >= 0) {
      const line = this.partial.slice(0, i).replace(/\r$/, '');
      this.partial = this.partial.slice(i + 1);
      this.lines.put(line);
    }
    if (this.partial.length > MAX_LINE) {
      this.bytesSinceGood += this.partial.length;
      this.counts.badFrames++;
      this.partial = '';
    }
  }

  private async send(command: string): Promise<void> {
    await this.link?.write(command + (this.options.terminator === 'CRLF' ? '\r\n' : '\n'));
  }

  /** Sends the step's commands; returns the reply line to the last one (a query). */
  private async ask(commands: string[]): Promise<string | undefined> {
    for (let k = 0; k < commands.length - 1; k++) await this.send(commands[k]!);
    this.lines.clear();
    await this.send(commands[commands.length - 1]!);
    return this.lines.take(this.options.timeoutMs ?? 2000);
  }

  protected async connect(): Promise<void> {
    const link = this.makeLink();
    this.partial = '';
    this.lines.clear();
    await this.openLink(link);
    this.listenToLink(
      link,
      (why) => `The SCPI instrument at ${this.port} was disconnected (${why}); check the cable or network.`,
      (d) => this.onData(d),
    );
    const idn = await this.ask(['*IDN?']);
    if (idn === undefined || idn.trim() === '' || !/^[\x20-\x7e]+$/.test(idn.trim())) {
      throw new UserError(
        idn === undefined
          ? `No reply to *IDN? from ${this.port} within ${this.options.timeoutMs ?? 2000} ms; check the address/port, baud rate and line terminator.`
          : `${this.port} answered *IDN? with something that is not a SCPI identity; check the port and baud rate.`,
        'scpi-no-idn',
      );
    }
    this.identity = idn.trim();
    this.label = `${this.identity} at ${this.port}`;
    for (const c of this.queries.setup) {
      await this.send(c);
      await sleep(20);
    }
    await this.drainErrors();
  }

  protected override async disconnect(): Promise<void> {
    this.lines.cancel();
    await super.disconnect();
  }

  private async drainErrors(): Promise<void> {
    const q = this.options.errorQuery ?? 'SYST:ERR?';
    for (let k = 0; k < 10; k++) {
      const reply = await this.ask([q]);
      if (reply === undefined) return;
      const e = parseScpiError(reply);
      if (!e || e.code === 0) return;
      const text = `${e.code},"${e.message}"`;
      this.instrumentErrors.push(text);
      this.notice(`The instrument reported error ${text}; check the SCPI commands in the settings.`);
    }
  }

  protected async readOnce(): Promise<Reading | undefined> {
    const r: Reading = {};
    let invalid = false;
    if (this.queries.combined) {
      const line = await this.ask(this.queries.combined);
      if (line === undefined) return undefined;
      const parts = line.split(/[,;]/);
      this.queries.fields.forEach((f, k) => {
        const v = parts[k] !== undefined ? parseScpiNumber(parts[k]!) : undefined;
        if (v === undefined) invalid = true;
        else r[f] = v;
      });
    }
    for (const ch of ['current', 'voltage', 'power'] as const) {
      const q = this.queries[ch];
      if (!q) continue;
      const line = await this.ask(q);
      if (line === undefined) return undefined;
      const v = parseScpiNumber(line);
      if (v === undefined) invalid = true;
      else r[ch] = v;
    }
    const every = this.options.errorQueryEvery ?? 10;
    if (every > 0 && ++this.polls % every === 0) await this.drainErrors();
    if (invalid) {
      this.lastReplyInvalid = true;
      return undefined;
    }
    if (r.power === undefined && r.current !== undefined && r.voltage !== undefined && this.capabilities.channels.includes('power')) {
      r.power = r.current * r.voltage;
    }
    return r;
  }
}
