/**
 * Port discovery. serialport's Linux lister spawns `udevadm`; where udev is absent the spawn error
 * is emitted on a child process nobody listens to and the whole process dies. So on Linux we only
 * call it when udevadm is on PATH, and otherwise (or on any failure) scan the device nodes ourselves.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { allDrivers } from './registry';
import type { PortInfo } from './types';

export interface DiscoveryOptions {
  /** Root of /dev and /sys, for tests on a fake tree. */
  devRoot?: string;
  sysRoot?: string;
  /** Skip the serialport/udev lister (tests, or machines known to lack udev). */
  noSerialportList?: boolean;
  /** PATH to search for udevadm (defaults to process.env.PATH). */
  pathEnv?: string;
}

type RawPort = Omit<PortInfo, 'suggestedDrivers'>;

export async function listPorts(options: DiscoveryOptions = {}): Promise<PortInfo[]> {
  let ports: RawPort[] | undefined;
  if (!options.noSerialportList && canUseSerialportList(options.pathEnv ?? process.env.PATH ?? '')) {
    ports = await listWithSerialport().catch(() => undefined);
  }
  // The OS lister also reports every legacy /dev/ttyS* UART; those are never meters.
  ports = ports?.filter((p) => !/\/ttyS\d+$/.test(p.path));
  if (!ports || ports.length === 0) ports = scanDeviceNodes(options.devRoot ?? '/dev', options.sysRoot ?? '/sys');
  return ports.map((p) => ({ ...p, suggestedDrivers: suggestDrivers(p) }));
}

export function suggestDrivers(port: RawPort): string[] {
  return allDrivers()
    .filter((d) => d.suggestFor?.(port))
    .map((d) => d.name);
}

function canUseSerialportList(pathEnv: string): boolean {
  if (process.platform !== 'linux') return true;
  return pathEnv
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => existsSync(join(dir, 'udevadm')));
}

interface SerialPortInfo {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
}

async function listWithSerialport(): Promise<RawPort[]> {
  const { SerialPort } = await import('serialport');
  // serialport types its list with @serialport/bindings-interface, whose package `exports` name no
  // types, so under Bundler resolution the entries arrive untyped; these are the fields it documents.
  const list = (await SerialPort.list()) as SerialPortInfo[];
  return list.map((p) => {
    const port: RawPort = { path: p.path, source: 'serialport' };
    if (p.manufacturer) port.manufacturer = p.manufacturer;
    if (p.serialNumber) port.serialNumber = p.serialNumber;
    if (p.vendorId) port.vendorId = p.vendorId.toLowerCase();
    if (p.productId) port.productId = p.productId.toLowerCase();
    return port;
  });
}

const NODE_PATTERNS = [/^ttyACM\d+$/, /^ttyUSB\d+$/, /^rfcomm\d+$/];

/** Finds serial device nodes without udev, with USB ids from sysfs when it is there. */
export function scanDeviceNodes(devRoot: string, sysRoot: string): RawPort[] {
  const found = new Map<string, RawPort>();
  const byId = join(devRoot, 'serial', 'by-id');
  for (const name of safeReaddir(byId)) {
    const link = join(byId, name);
    let target = link;
    try {
      target = realpathSync(link);
    } catch {
      continue; // a dangling link: the device is gone
    }
    found.set(target, { path: target, manufacturer: name, source: 'scan' });
  }
  for (const name of safeReaddir(devRoot)) {
    if (!NODE_PATTERNS.some((re) => re.test(name))) continue;
    const path = join(devRoot, name);
    if (!found.has(path)) found.set(path, { path, source: 'scan' });
  }
  for (const port of found.values()) addUsbIds(port, sysRoot);
  return [...found.values()].sort((a, b) => a.path.localeCompare(b.path));
}

function addUsbIds(port: RawPort, sysRoot: string): void {
  const name = port.path.split('/').pop()!;
  // /sys/class/tty/ttyACM0/device is the USB interface; its parent holds idVendor/idProduct.
  let iface: string;
  try {
    iface = realpathSync(join(sysRoot, 'class', 'tty', name, 'device'));
  } catch {
    return; // not a USB device (or no sysfs): no ids to add
  }
  for (const dir of [dirname(iface), iface]) {
    const vid = readTrim(join(dir, 'idVendor'));
    const pid = readTrim(join(dir, 'idProduct'));
    if (vid && pid) {
      port.vendorId = vid.toLowerCase();
      port.productId = pid.toLowerCase();
      const manufacturer = readTrim(join(dir, 'manufacturer'));
      const serial = readTrim(join(dir, 'serial'));
      if (manufacturer && !port.manufacturer) port.manufacturer = manufacturer;
      if (serial) port.serialNumber = serial;
      port.source = 'sysfs';
      return;
    }
  }
}

function safeReaddir(dir: string): string[] {
  try {
    if (!statSync(dir).isDirectory()) return [];
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readTrim(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export { probePort, type ProbeResult } from './probe';
export { listOnboardSensors, type OnboardSensor } from './sysfs/list';
