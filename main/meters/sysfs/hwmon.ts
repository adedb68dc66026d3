/**
 * Linux hwmon power/current/voltage inputs (Linux `Documentation/ABI/testing/sysfs-class-hwmon`,
 * `Documentation/hwmon/ina3221.rst`): e.g. the INA3221 rails on a Jetson
 * (VDD_IN, VDD_CPU_GPU_CV, ...). Sensors are chosen by chip `name` and rail label, never by the
 * unstable hwmonN index. Units: in*_input mV, curr*_input mA, power*_input µW; when there is no
 * power file (INA3221) power is V × I. Older Jetson kernels use the IIO-style ina3221x driver
 * (rail_name_N, in_voltageN_input mV, in_currentN_input mA, in_powerN_input mW): supported, but
 * those units come from third-party notes and are unconfirmed.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../util/errors';
import type { Reading } from '../polled-meter';
import type { Channel, MeterCapabilities } from '../types';
import { defaultReadText, SysfsMeter, type ReadText } from './sysfs-meter';

export interface HwmonOptions {
  root?: string;
  /** hwmon chip name (the `name` file), e.g. "ina3221"; optional. */
  chip?: string;
  /** Rail/sensor label, e.g. "VDD_IN"; or "#N" for sensor index N without a label. */
  label?: string;
  rateHz?: number;
  readText?: ReadText;
}

interface Files {
  voltage?: { path: string; scale: number };
  current?: { path: string; scale: number };
  power?: { path: string; scale: number };
}

export class HwmonMeter extends SysfsMeter {
  readonly driver = 'hwmon';
  label: string;
  readonly capabilities: MeterCapabilities;
  protected readonly expectedDevice = 'the hwmon sensor';
  protected readonly rateHz: number;
  private files: Files = {};
  private readonly read: ReadText;

  constructor(
    spec: string,
    private readonly options: HwmonOptions = {},
  ) {
    super(spec);
    this.rateHz = options.rateHz ?? 10;
    if (!(this.rateHz > 0 && this.rateHz <= 1000)) throw new UserError(`hwmon rate ${this.rateHz} Hz is out of range; use up to 1000 Hz.`);
    if (!options.label)
      throw new UserError('The hwmon meter needs a rail label; write hwmon:CHIP/LABEL, e.g. hwmon:ina3221/VDD_IN (run "ddi-profiler meters" to list them).');
    this.read = options.readText ?? defaultReadText;
    this.label = `hwmon ${options.chip ? options.chip + '/' : ''}${options.label}`;
    // Channels are fixed at construction (the interface needs them before open): all three, with
    // NaN for a quantity the sensor lacks — except power, which is V × I when not reported.
    this.capabilities = { channels: ['current', 'voltage', 'power'], sampleRateHz: this.rateHz, digitalInputs: 0, deviceClock: false, simulated: false };
  }

  protected override portName(): string {
    return this.label;
  }

  private tryRead(path: string): string | undefined {
    try {
      return this.read(path).trim();
    } catch {
      return undefined;
    }
  }

  protected locate(): void {
    const root = this.options.root ?? '/';
    const want = this.options.label!;
    const seen: string[] = [];
    const hwBase = join(root, 'sys/class/hwmon');
    for (const d of safeReaddir(hwBase).sort()) {
      const dir = join(hwBase, d);
      const name = this.tryRead(join(dir, 'name')) ?? '';
      if (this.options.chip && name !== this.options.chip) continue;
      const files = safeReaddir(dir);
      const index = want.startsWith('#')
        ? want.slice(1)
        : files
            .map((f) => /^(in|curr|power)(\d+)_label$/.exec(f))
            .filter((m): m is RegExpExecArray => !!m)
            .find((m) => {
              const l = this.tryRead(join(dir, m[0])) ?? '';
              seen.push(`${name}/${l}`);
              return l === want;
            })?.[2];
      if (index === undefined) continue;
      const f: Files = {};
      if (files.includes(`in${index}_input`)) f.voltage = { path: join(dir, `in${index}_input`), scale: 1e-3 };
      if (files.includes(`curr${index}_input`)) f.current = { path: join(dir, `curr${index}_input`), scale: 1e-3 };
      if (files.includes(`power${index}_input`)) f.power = { path: join(dir, `power${index}_input`), scale: 1e-6 };
      if (f.voltage || f.current || f.power) return this.use(f, `${name}/${want}`);
    }
    // Older Jetson kernels: IIO-style ina3221x (units unconfirmed, see header).
    const iioBase = join(root, 'sys/bus/i2c/drivers/ina3221x');
    for (const dev of safeReaddir(iioBase)) {
      for (const iio of safeReaddir(join(iioBase, dev)).filter((x) => x.startsWith('iio:device'))) {
        const dir = join(iioBase, dev, iio);
        for (const f of safeReaddir(dir)) {
          const m = /^rail_name_(\d+)$/.exec(f);
          if (!m) continue;
          const l = this.tryRead(join(dir, f)) ?? '';
          seen.push(`ina3221x/${l}`);
          if (l !== want) continue;
          const n = m[1];
          const files: Files = {};
          const p = (x: string) => join(dir, x);
          if (existsSync(p(`in_voltage${n}_input`))) files.voltage = { path: p(`in_voltage${n}_input`), scale: 1e-3 };
          if (existsSync(p(`in_current${n}_input`))) files.current = { path: p(`in_current${n}_input`), scale: 1e-3 };
          if (existsSync(p(`in_power${n}_input`))) files.power = { path: p(`in_power${n}_input`), scale: 1e-3 };
          return this.use(files, `ina3221x/${want}`);
        }
      }
    }
    throw new UserError(
      `No hwmon sensor labelled "${want}"${this.options.chip ? ` on chip "${this.options.chip}"` : ''}; ` +
        (seen.length ? `available: ${seen.join(', ')}.` : 'this machine exposes no labelled hwmon power sensors.'),
      'hwmon-not-found',
    );
  }

  private use(files: Files, label: string): void {
    this.files = files;
    this.label = `hwmon ${label}`;
    // Check readability now, so a permission problem is an open error, not a silent stream.
    for (const f of [files.voltage, files.current, files.power]) {
      if (f && this.tryRead(f.path) === undefined) {
        throw new UserError(`Cannot read ${f.path}; check permissions (hwmon inputs are normally world-readable).`, 'hwmon-read');
      }
    }
  }

  protected sample(): Reading | undefined {
    const r: Reading = {};
    for (const ch of ['voltage', 'current', 'power'] as Channel[]) {
      const f = this.files[ch];
      if (!f) continue;
      const v = Number(this.read(f.path).trim());
      if (!Number.isFinite(v)) throw new Error(`${f.path} does not hold a number`);
      r[ch] = v * f.scale;
    }
    if (r.power === undefined && r.voltage !== undefined && r.current !== undefined) r.power = r.voltage * r.current;
    return r;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
