import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listPorts, scanDeviceNodes } from '../../../main/meters/discovery';
import { parseMeterSpec } from '../../../main/meters/spec';

function fakeTree(): { dev: string; sys: string } {
  const root = mkdtempSync(join(tmpdir(), 'ddi-disc-'));
  const dev = join(root, 'dev');
  const sys = join(root, 'sys');
  mkdirSync(join(dev, 'serial', 'by-id'), { recursive: true });
  for (const n of ['ttyACM0', 'ttyUSB3', 'rfcomm0', 'ttyS0', 'null']) writeFileSync(join(dev, n), '');
  symlinkSync(join(dev, 'ttyACM0'), join(dev, 'serial', 'by-id', 'usb-Nordic_Semiconductor_PPK2_ABC-if01'));
  const usbDev = join(sys, 'devices', 'usb1', '1-1');
  mkdirSync(join(usbDev, '1-1:1.0'), { recursive: true });
  writeFileSync(join(usbDev, 'idVendor'), '1915\n');
  writeFileSync(join(usbDev, 'idProduct'), 'C00A\n');
  writeFileSync(join(usbDev, 'serial'), 'ABC\n');
  mkdirSync(join(sys, 'class', 'tty', 'ttyACM0'), { recursive: true });
  symlinkSync(join(usbDev, '1-1:1.0'), join(sys, 'class', 'tty', 'ttyACM0', 'device'));
  return { dev, sys };
}

describe('port discovery without udev', () => {
  it('scans /dev/serial/by-id, ttyACM*, ttyUSB*, rfcomm* and reads USB ids from sysfs', () => {
    const { dev, sys } = fakeTree();
    const ports = scanDeviceNodes(dev, sys);
    expect(ports.map((p) => p.path.slice(dev.length))).toEqual(['/rfcomm0', '/ttyACM0', '/ttyUSB3']);
    const acm = ports.find((p) => p.path.endsWith('ttyACM0'))!;
    expect(acm.vendorId).toBe('1915');
    expect(acm.productId).toBe('c00a');
    expect(acm.serialNumber).toBe('ABC');
  });

  it('falls back to the scan when udevadm is not on PATH', async () => {
    const { dev, sys } = fakeTree();
    const ports = await listPorts({ devRoot: dev, sysRoot: sys, pathEnv: '/nonexistent' });
    expect(ports.length).toBe(3);
    expect(ports.every((p) => p.source !== 'serialport')).toBe(true);
  });

  it('does not crash a process whose PATH has no udevadm (the real serialport lister is never spawned)', () => {
    // Run the built CLI with a PATH that holds only node's own folder.
    const out = execFileSync(process.execPath, ['dist/main/cli.cjs', 'meters', '--json'], {
      env: { PATH: dirname(process.execPath), HOME: process.env.HOME ?? '/tmp' },
      encoding: 'utf8',
    });
    const parsed = JSON.parse(out) as { ports: unknown[]; drivers: { name: string }[] };
    expect(parsed.drivers.map((d) => d.name)).toContain('sim');
    expect(Array.isArray(parsed.ports)).toBe(true);
  });
});

describe('meter spec', () => {
  it('parses DRIVER[:PORT][@BAUD], including ports that contain colons', () => {
    expect(parseMeterSpec('sim')).toEqual({ driver: 'sim', text: 'sim' });
    expect(parseMeterSpec('ppk2:/dev/ttyACM0')).toMatchObject({ driver: 'ppk2', port: '/dev/ttyACM0' });
    expect(parseMeterSpec('um:/dev/rfcomm0@9600')).toMatchObject({ driver: 'um', port: '/dev/rfcomm0', baudRate: 9600 });
    expect(parseMeterSpec('scpi:tcp://10.0.0.5:5025')).toMatchObject({ driver: 'scpi', port: 'tcp://10.0.0.5:5025' });
    expect(() => parseMeterSpec(':x')).toThrow(/DRIVER\[:PORT\]\[@BAUD\]/);
  });
});
