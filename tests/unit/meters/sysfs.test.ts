import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hwmonDriver, powercapDriver } from '../../../main/meters/sysfs';
import { HwmonMeter } from '../../../main/meters/sysfs/hwmon';
import { listOnboardSensors } from '../../../main/meters/sysfs/list';
import { PowercapMeter } from '../../../main/meters/sysfs/powercap';
import { parseMeterSpec } from '../../../main/meters/spec';
import type { PowerMeter } from '../../../main/meters/types';
import { isUserError } from '../../../main/util/errors';
import { waitFor } from './emulators/device-port';
import { record, type Recording } from './helpers/meter-fixture';

const dirs: string[] = [];
const meters: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const m of meters.splice(0)) await m.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'ddi-sysfs-'));
  dirs.push(root);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), content);
  }
  return root;
}
const put = (root: string, p: string, v: string | number) => writeFileSync(join(root, p), String(v));

/** Recording starts before open() so that nothing the meter emits is missed; closed after the test. */
async function openRecorded(meter: PowerMeter): Promise<Recording> {
  meters.push(meter);
  const rec = record(meter);
  await meter.open();
  return rec;
}

describe('powercap (RAPL) on a fake sysfs tree', () => {
  const rapl = 'sys/class/powercap';
  const base = () =>
    tree({
      [`${rapl}/intel-rapl:0/name`]: 'package-0\n',
      [`${rapl}/intel-rapl:0/energy_uj`]: '1000000\n',
      [`${rapl}/intel-rapl:0/max_energy_range_uj`]: '262143328850\n',
      [`${rapl}/intel-rapl:0:0/name`]: 'core\n',
      [`${rapl}/intel-rapl:0:0/energy_uj`]: '5\n',
      [`${rapl}/intel-rapl:0:0/max_energy_range_uj`]: '262143328850\n',
      [`${rapl}/intel-rapl:1/name`]: 'package-1\n',
      [`${rapl}/intel-rapl:1/energy_uj`]: '0\n',
      [`${rapl}/intel-rapl:1/max_energy_range_uj`]: '1999999\n',
    });

  it('sums the package zones (not their children), converts µJ/s to W and handles wrap-around', async () => {
    const root = base();
    const meter = new PowercapMeter('powercap', { root, rateHz: 50 });
    const { chunks } = await openRecorded(meter);
    expect(meter.label).toMatch(/package-0 \+ package-1/);
    // Advance counters at a known rate: package-0 +2 W, package-1 +3 W with its counter wrapping
    // at 2 J; the child zone "core" races ahead and must be ignored. The exact energy written is
    // kept so the check below does not depend on how promptly this busy machine runs the timers.
    const t0 = Date.now();
    let written0 = 1e6;
    let unwrapped1 = 0;
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        const s = (Date.now() - t0) / 1000;
        written0 = Math.round(1e6 + 2e6 * s);
        unwrapped1 = Math.round(3e6 * s);
        put(root, `${rapl}/intel-rapl:0/energy_uj`, written0);
        put(root, `${rapl}/intel-rapl:1/energy_uj`, unwrapped1 % 2_000_000);
        put(root, `${rapl}/intel-rapl:0:0/energy_uj`, Math.round(9e9 * s));
        if (s > 0.8) {
          clearInterval(t);
          resolve();
        }
      }, 5);
    });
    // Once the counters stop, the meter's running total must reach exactly what was written
    // (µJ → J, package zones only, the wrap of package-1 unwrapped).
    const expectedJ = (written0 - 1e6 + unwrapped1) / 1e6;
    await waitFor(() => Math.abs((chunks.at(-1)?.aux?.energyJ ?? 0) - expectedJ) < 1e-5, 3000, 'energy total');
    expect(expectedJ).toBeGreaterThan(3);
    const all = chunks.flatMap((c) => [...c.data[0]!]);
    expect(Math.min(...all)).toBeGreaterThanOrEqual(0); // the wrap never shows as negative power
    // Power is in watts (not mW or µW): about 5 W, loosely, since timer jitter moves single readings.
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    expect(mean).toBeGreaterThan(1);
    expect(mean).toBeLessThan(12);
  });

  it('zone selection by name through the spec, and a listing when the zone is missing', async () => {
    const root = base();
    const m = powercapDriver.create(parseMeterSpec('powercap:package-1'), { root });
    meters.push(m);
    await m.open();
    expect(m.label).toMatch(/package-1/);
    expect(m.label).not.toMatch(/package-0/);
    const bad = powercapDriver.create(parseMeterSpec('powercap:dram'), { root });
    meters.push(bad);
    const err = await bad.open().catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/No powercap zone named "dram".*available: intel-rapl:0/);
  });

  it('root-only energy_uj gives the CVE-2020-8694 message with the fix', async () => {
    const root = base();
    // Tests run as root, where chmod cannot deny a read; inject the EACCES the kernel returns.
    const readText = (p: string) => {
      if (p.endsWith('energy_uj')) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return readFileSync(p, 'utf8');
    };
    const meter = new PowercapMeter('powercap', { root, readText });
    meters.push(meter);
    const err = await meter.open().catch((e: unknown) => e);
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toMatch(/needs root since Linux 5\.10 \(CVE-2020-8694\).*chmod a\+r/);
  });

  it('no powercap at all is explained', async () => {
    const meter = new PowercapMeter('powercap', { root: tree({ 'sys/class/other/x': '' }) });
    meters.push(meter);
    await expect(meter.open()).rejects.toThrow(/No RAPL zones/);
  });
});

describe('hwmon on a fake sysfs tree', () => {
  const jetson = () =>
    tree({
      'sys/class/hwmon/hwmon0/name': 'cpu_thermal\n',
      'sys/class/hwmon/hwmon0/temp1_input': '45000\n',
      'sys/class/hwmon/hwmon3/name': 'ina3221\n',
      'sys/class/hwmon/hwmon3/in1_label': 'VDD_IN\n',
      'sys/class/hwmon/hwmon3/in1_input': '5080\n',
      'sys/class/hwmon/hwmon3/curr1_input': '1234\n',
      'sys/class/hwmon/hwmon3/in2_label': 'VDD_CPU_GPU_CV\n',
      'sys/class/hwmon/hwmon3/in2_input': '5070\n',
      'sys/class/hwmon/hwmon3/curr2_input': '400\n',
      'sys/class/hwmon/hwmon3/in4_input': '2468\n', // shunt µV: must not be mistaken for a rail
      'sys/class/hwmon/hwmon5/name': 'ina238\n',
      'sys/class/hwmon/hwmon5/power1_label': 'board\n',
      'sys/class/hwmon/hwmon5/power1_input': '7500000\n',
    });

  it('Jetson INA3221 rail by label: mV/mA to SI, power = V × I', async () => {
    const root = jetson();
    const m = hwmonDriver.create(parseMeterSpec('hwmon:ina3221/VDD_IN'), { root, rateHz: 100 });
    const { chunks } = await openRecorded(m);
    await waitFor(() => chunks.length > 0, 2000, 'chunk');
    const c = chunks[0]!;
    expect(c.count).toBeGreaterThan(1); // batched, not one chunk per read
    expect(c.data[0]![0]).toBeCloseTo(1.234, 6);
    expect(c.data[1]![0]).toBeCloseTo(5.08, 6);
    expect(c.data[2]![0]).toBeCloseTo(5.08 * 1.234, 5);
    put(root, 'sys/class/hwmon/hwmon3/curr1_input', '2000\n');
    await waitFor(() => Math.abs(chunks.at(-1)!.data[0]!.at(-1)! - 2) < 1e-9, 2000, 'new value');
  });

  it('a power-only sensor in µW', async () => {
    const m = new HwmonMeter('hwmon', { root: jetson(), label: 'board', rateHz: 50 });
    const { chunks } = await openRecorded(m);
    await waitFor(() => chunks.length > 0, 2000, 'chunk');
    expect(chunks[0]!.data[2]![0]).toBeCloseTo(7.5, 6);
    expect(Number.isNaN(chunks[0]!.data[0]![0]!)).toBe(true);
  });

  it('older Jetson kernels: IIO-style ina3221x rails', async () => {
    const base = 'sys/bus/i2c/drivers/ina3221x/1-0040/iio:device0';
    const root = tree({
      [`${base}/rail_name_0`]: 'POM_5V_IN\n',
      [`${base}/in_voltage0_input`]: '5000\n',
      [`${base}/in_current0_input`]: '800\n',
      [`${base}/in_power0_input`]: '4000\n',
    });
    const m = new HwmonMeter('hwmon', { root, label: 'POM_5V_IN', rateHz: 50 });
    const { chunks } = await openRecorded(m);
    await waitFor(() => chunks.length > 0, 2000, 'chunk');
    expect(chunks[0]!.data[0]![0]).toBeCloseTo(0.8, 6);
    expect(chunks[0]!.data[2]![0]).toBeCloseTo(4, 6);
  });

  it('unknown label lists what exists; a vanished sensor ends in an error state', async () => {
    const root = jetson();
    const bad = new HwmonMeter('hwmon', { root, label: 'VDD_GPU' });
    meters.push(bad);
    await expect(bad.open()).rejects.toThrow(/available: ina3221\/VDD_IN, ina3221\/VDD_CPU_GPU_CV/);
    const m = new HwmonMeter('hwmon', { root, chip: 'ina3221', label: 'VDD_IN', rateHz: 100 });
    const { states } = await openRecorded(m);
    rmSync(join(root, 'sys/class/hwmon/hwmon3'), { recursive: true });
    await waitFor(() => m.state === 'error', 2000, 'error');
    expect(states.at(-1)!.message).toMatch(/hwmon/);
  });
});

describe('listing on-board sensors', () => {
  it('offers RAPL zones and labelled hwmon rails as meter specs', () => {
    const root = tree({
      'sys/class/powercap/intel-rapl:0/name': 'package-0\n',
      'sys/class/powercap/intel-rapl:0:1/name': 'uncore\n',
      'sys/class/hwmon/hwmon3/name': 'ina3221\n',
      'sys/class/hwmon/hwmon3/in1_label': 'VDD_IN\n',
      'sys/class/hwmon/hwmon3/curr1_label': 'VDD_IN\n',
      'sys/class/hwmon/hwmon0/name': 'cpu_thermal\n',
    });
    expect(listOnboardSensors(root).map((s) => s.spec)).toEqual(['powercap:package-0', 'powercap:intel-rapl:0:1', 'hwmon:ina3221/VDD_IN']);
    expect(listOnboardSensors(join(root, 'missing'))).toEqual([]);
  });
});
