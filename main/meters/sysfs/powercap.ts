/**
 * Linux powercap / Intel RAPL (also AMD on recent kernels) energy counters: CPU package (and DRAM)
 * energy, not the whole board. Power = Δenergy_uj / Δt, with one wrap at max_energy_range_uj
 * handled (Linux `Documentation/ABI/testing/sysfs-class-powercap`). Since Linux 5.10 (commit
 * 949dd0104c49, CVE-2020-8694) energy_uj is root-only; the error
 * message says how to grant read access. Zones nest (intel-rapl:0:1 is inside intel-rapl:0), so
 * the default sums only top-level "package-*" zones, never a parent with its children.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../util/errors';
import type { Reading } from '../polled-meter';
import type { MeterCapabilities } from '../types';
import { defaultReadText, SysfsMeter, type ReadText } from './sysfs-meter';

export interface PowercapOptions {
  /** Filesystem root holding sys/ (default "/"; tests use a temp dir). */
  root?: string;
  /** Zone name ("package-0", "dram", "psys") or directory ("intel-rapl:0:1"); default: all packages. */
  zone?: string;
  rateHz?: number;
  readText?: ReadText;
}

interface Zone {
  dir: string;
  name: string;
  maxUj: number;
  last?: number;
}

export class PowercapMeter extends SysfsMeter {
  readonly driver = 'powercap';
  label: string;
  readonly capabilities: MeterCapabilities;
  protected readonly expectedDevice = 'the RAPL powercap energy counters';
  protected readonly rateHz: number;
  private zones: Zone[] = [];
  private lastNs = 0;
  private totalJ = 0;
  private readonly read: ReadText;

  constructor(
    spec: string,
    private readonly options: PowercapOptions = {},
  ) {
    super(spec);
    this.rateHz = options.rateHz ?? 10;
    if (!(this.rateHz > 0 && this.rateHz <= 1000)) throw new UserError(`powercap rate ${this.rateHz} Hz is out of range; use up to 1000 Hz.`);
    this.read = options.readText ?? defaultReadText;
    this.label = `CPU energy (RAPL ${options.zone ?? 'packages'})`;
    this.capabilities = { channels: ['power'], sampleRateHz: this.rateHz, digitalInputs: 0, deviceClock: false, simulated: false };
  }

  protected override portName(): string {
    return 'powercap';
  }

  protected locate(): void {
    const base = join(this.options.root ?? '/', 'sys/class/powercap');
    let entries: string[] = [];
    try {
      entries = readdirSync(base).filter((d) => /^[a-z-]+:\d+(:\d+)*$/.test(d));
    } catch {
      entries = [];
    }
    const zones: Zone[] = [];
    for (const dir of entries.sort()) {
      let name = dir;
      try {
        name = this.read(join(base, dir, 'name')).trim();
      } catch {
        continue;
      }
      const want = this.options.zone;
      const topLevel = dir.split(':').length === 2;
      if (want ? want === name || want === dir : topLevel && name.startsWith('package')) zones.push({ dir: join(base, dir), name, maxUj: 0 });
    }
    if (zones.length === 0) {
      throw new UserError(
        entries.length === 0
          ? `No RAPL zones under ${base}; this kernel/CPU does not expose powercap energy counters (run the agent on the device under test, or pick another meter).`
          : `No powercap zone named "${this.options.zone ?? 'package-*'}" under ${base}; available: ${entries.join(', ')}.`,
        'powercap-no-zone',
      );
    }
    for (const z of zones) {
      z.maxUj = Number(this.read(join(z.dir, 'max_energy_range_uj')).trim());
      z.last = this.readEnergy(z);
    }
    this.zones = zones;
    this.lastNs = Number(process.hrtime.bigint());
    this.totalJ = 0;
    this.label = `CPU energy (RAPL ${zones.map((z) => z.name).join(' + ')})`;
  }

  private readEnergy(z: Zone): number {
    const path = join(z.dir, 'energy_uj');
    try {
      return Number(this.read(path).trim());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') {
        throw new UserError(
          `Reading ${path} needs root since Linux 5.10 (CVE-2020-8694); grant read access with "sudo chmod a+r ${join(z.dir, '..', '*', 'energy_uj')}" (until reboot) or a udev rule, as docs/meters.md explains.`,
          'powercap-permission',
        );
      }
      throw e;
    }
  }

  protected sample(): Reading | undefined {
    const now = Number(process.hrtime.bigint());
    let deltaUj = 0;
    for (const z of this.zones) {
      const e = this.readEnergy(z);
      const prev = z.last ?? e;
      // One wrap at most between reads (poll faster than max_energy_range_uj / P_max).
      deltaUj += e >= prev ? e - prev : e + z.maxUj - prev;
      z.last = e;
    }
    const dtS = (now - this.lastNs) / 1e9;
    this.lastNs = now;
    if (dtS <= 0) return undefined;
    this.totalJ += deltaUj / 1e6;
    return { power: deltaUj / 1e6 / dtS, aux: { energyJ: this.totalJ } };
  }
}
