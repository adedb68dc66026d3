import { describe, expect, it } from 'vitest';
import { scanDeviceNodes, suggestDrivers } from '../../../main/meters/discovery';
import { probePort } from '../../../main/meters/probe';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DevicePort } from './emulators/device-port';
import { InaEmulator } from './emulators/ina-emulator';
import { KoradEmulator } from './emulators/korad-emulator';
import { Ppk2Emulator } from './emulators/ppk2-emulator';
import { ScpiSerialEmulator } from './emulators/scpi-emulator';
import { UmEmulator } from './emulators/um-emulator';
import { meterFixture } from './helpers/meter-fixture';

const fx = meterFixture();

async function probeWith(emu: DevicePort, before?: () => void) {
  const pty = await fx.plug(emu);
  before?.();
  return probePort(pty.hostPath, { timeoutMs: 300 });
}

describe('probePort identifies devices by their handshake over a pty', () => {
  it('PPK2', async () => {
    const r = await probeWith(new Ppk2Emulator());
    expect(r).toEqual([{ driver: 'ppk2', detail: 'Nordic PPK2 (HW 9173)', baudRate: 115200 }]);
  });
  it('RDTech UM', async () => {
    expect((await probeWith(new UmEmulator('UM34C')))[0]).toMatchObject({ driver: 'um', detail: 'RDTech UM34C' });
  });
  it('INA board streaming frames (passive)', async () => {
    const emu = new InaEmulator(200);
    const r = await probeWith(emu, () => emu.start());
    expect(r[0]).toMatchObject({ driver: 'ina' });
  });
  it('Korad (unterminated *IDN? reply)', async () => {
    expect((await probeWith(new KoradEmulator()))[0]).toMatchObject({ driver: 'korad', detail: 'KORAD KA3005P V5.8 SN:03379314' });
  });
  it('SCPI over serial', async () => {
    expect((await probeWith(new ScpiSerialEmulator()))[0]).toMatchObject({ driver: 'scpi', detail: expect.stringMatching(/DP832/) });
  });
  it('nothing answering, and a port that does not exist', async () => {
    const silent = new KoradEmulator();
    silent.silent = true;
    expect(await probeWith(silent)).toEqual([]);
    expect(await probePort('/nonexistent/ttyX')).toEqual([]);
  });
});

describe('discovery suggestions from USB ids (no udev)', () => {
  it('suggests drivers for PPK2, CH340, CP210x, FTDI and rfcomm ports', () => {
    const root = mkdtempSync(join(tmpdir(), 'ddi-disc-'));
    fx.defer(() => rmSync(root, { recursive: true, force: true }));
    const dev = join(root, 'dev');
    const sys = join(root, 'sys');
    mkdirSync(dev, { recursive: true });
    const ids: Record<string, [string, string]> = {
      ttyACM0: ['1915', 'c00a'],
      ttyUSB0: ['1a86', '7523'],
      ttyUSB1: ['10c4', 'ea60'],
      ttyUSB2: ['0403', '6001'],
    };
    for (const [name, [vid, pid]] of Object.entries(ids)) {
      writeFileSync(join(dev, name), '');
      const usb = join(sys, 'devices', name);
      mkdirSync(join(usb, 'iface'), { recursive: true });
      writeFileSync(join(usb, 'idVendor'), vid);
      writeFileSync(join(usb, 'idProduct'), pid);
      mkdirSync(join(sys, 'class', 'tty', name), { recursive: true });
      symlinkSync(join(usb, 'iface'), join(sys, 'class', 'tty', name, 'device'));
    }
    writeFileSync(join(dev, 'rfcomm0'), '');
    const ports = scanDeviceNodes(dev, sys).map((p) => ({ ...p, suggestedDrivers: suggestDrivers(p) }));
    const by = (n: string) => ports.find((p) => p.path.endsWith(n))!.suggestedDrivers;
    expect(by('ttyACM0')).toEqual(['ppk2']);
    expect(by('ttyUSB0')).toContain('ina');
    expect(by('ttyUSB1')).toContain('ina');
    expect(by('ttyUSB2')).toEqual(expect.arrayContaining(['ina', 'scpi']));
    expect(by('rfcomm0')).toEqual(['um']);
  });
});
