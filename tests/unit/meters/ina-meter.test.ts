import { describe, expect, it } from 'vitest';
import { InaMeter, type InaOptions } from '../../../main/meters/ina/ina-meter';
import { withReconnect } from '../../../main/meters/reconnecting-meter';
import { waitFor } from './emulators/device-port';
import { InaEmulator } from './emulators/ina-emulator';
import { meterFixture } from './helpers/meter-fixture';

const fx = meterFixture();
const startIna = (emu: InaEmulator, options: InaOptions = {}) => fx.start(emu, (path) => new InaMeter('ina:test', path, options));

describe('INA driver against the emulator over a pty', () => {
  it('framed: exact values, device-clock spacing across the µs wrap, sequence gaps', async () => {
    const emu = new InaEmulator(1000);
    emu.voltageV = 5.04;
    emu.currentA = -0.0375;
    const { meter, rec } = await startIna(emu);
    emu.start();
    await waitFor(() => rec.samples() > 300, 5000, 'samples');
    expect(meter.format).toBe('framed');
    const c = rec.chunks.at(-1)!;
    expect(c.data[0]![0]).toBe(Math.fround(-0.0375));
    expect(c.data[1]![0]).toBe(Math.fround(5.04));
    expect(c.data[2]![0]).toBeCloseTo(5.04 * -0.0375, 5);
    expect(c.periodNs).toBeCloseTo(1e6, -3); // 1 kS/s from the device clock
    expect(c.deviceTime).toBeGreaterThan(2 ** 32 - 200_000); // extended across the u32 wrap
    emu.drop(25);
    await waitFor(() => rec.gaps.length > 0, 3000, 'a gap');
    expect(rec.gaps[0]!.lostSamples).toBe(25);
    const durMs = (rec.gaps[0]!.endNs - rec.gaps[0]!.startNs) / 1e6;
    expect(durMs).toBeGreaterThan(20);
    expect(durMs).toBeLessThan(30);
    expect(meter.counters().lostSamples).toBe(25);
  });

  it('text CSV with a header: values in SI units, host-timed', async () => {
    const emu = new InaEmulator(200);
    emu.mode = 'csv';
    emu.voltageV = 3.3;
    emu.currentA = 0.0125;
    const { meter, rec } = await startIna(emu);
    emu.start();
    await waitFor(() => rec.samples() > 50, 5000, 'samples');
    expect(meter.format).toBe('text');
    const c = rec.chunks.at(-1)!;
    expect(c.data[0]![0]).toBeCloseTo(0.0125, 6);
    expect(c.data[1]![0]).toBeCloseTo(3.3, 5);
    // Power is the board's own mW column (printed with one decimal), not recomputed.
    expect(c.data[2]![0]).toBeCloseTo(Number((3.3 * 0.0125 * 1000).toFixed(1)) / 1000, 6);
  });

  it('garbage between frames is counted, not turned into samples', async () => {
    const { emu, meter, rec } = await startIna(new InaEmulator(1000));
    emu.start();
    await waitFor(() => rec.samples() > 100, 5000, 'samples');
    emu.write(Uint8Array.from([0xa5, 0x5a, 0x01, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0xff, 0x00]));
    emu.write('\u0001\u0002 garbage line 1 2 3 4 5\n');
    const n = rec.samples();
    await waitFor(() => rec.samples() > n + 100, 5000, 'more samples');
    expect(meter.counters().badFrames).toBeGreaterThan(0);
    for (const c of rec.chunks) for (let k = 0; k < c.count; k++) if (c.data[0]![k] !== Math.fround(0.25)) throw new Error(`bad sample ${c.data[0]![k]}`);
  });

  it('says which device it expected when the port sends only nonsense', async () => {
    const { emu, meter, rec } = await startIna(new InaEmulator(1000), { silenceMs: 400 });
    const t = setInterval(() => emu.write(Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff)), 20);
    fx.defer(() => clearInterval(t));
    await waitFor(() => meter.state === 'error', 3000, 'error');
    const msg = rec.states.find((s) => s.state === 'error')!;
    expect(msg.message).toMatch(/INA219\/INA226\/INA260/);
    expect(msg.retryable).toBe(false);
  });

  it('unplug and reconnect: one session with the outage recorded as a gap', async () => {
    const { pty, emu, meter, rec } = await fx.start(new InaEmulator(1000), (path) =>
      withReconnect(new InaMeter('ina:test', path, {}), { initialDelayMs: 100, maxDelayMs: 200 }),
    );
    emu.start();
    await waitFor(() => rec.samples() > 100, 5000, 'samples');
    await pty.unplug();
    const tUnplug = Date.now();
    await waitFor(() => meter.state === 'error', 10_000, 'error').catch((e: Error) => {
      throw new Error(`${e.message}; state ${meter.state}, states ${JSON.stringify(rec.states)}, ${Date.now() - tUnplug} ms`);
    });
    await new Promise((r) => setTimeout(r, 300));
    await pty.replug();
    await emu.attach(pty.devicePath);
    emu.start();
    await waitFor(() => meter.state === 'streaming', 5000, 'reconnected');
    const n = rec.samples();
    await waitFor(() => rec.samples() > n + 100, 5000, 'samples after reconnect');
    expect(meter.counters().reconnects).toBe(1);
    const outage = rec.gaps.find((g) => /disconnected/.test(g.reason));
    expect(outage).toBeDefined();
    expect((outage!.endNs - outage!.startNs) / 1e6).toBeGreaterThan(250);
  });
});
