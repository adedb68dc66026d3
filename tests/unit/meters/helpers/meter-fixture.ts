/**
 * The fixture every serial-driver test shares: a socat pty pair with a device emulator on one end
 * and the driver on the other, run through the real serialport stack. Whatever a test starts is
 * undone after it in reverse order, even when the test fails half-way, so a leftover socat, open
 * port or timer cannot disturb the next test.
 */
import { afterEach, expect } from 'vitest';
import { withReconnect } from '../../../../main/meters/reconnecting-meter';
import type { MeterGap, MeterStateEvent, PowerMeter, SampleChunk } from '../../../../main/meters/types';
import { waitFor, type DevicePort } from '../emulators/device-port';
import { PtyPair } from './pty-pair';

export interface Recording {
  chunks: SampleChunk[];
  gaps: MeterGap[];
  states: MeterStateEvent[];
  samples(): number;
}

/** Subscribe before open(): the open's own state events (notices, errors) are part of what tests check. */
export function record(meter: PowerMeter): Recording {
  const chunks: SampleChunk[] = [];
  const gaps: MeterGap[] = [];
  const states: MeterStateEvent[] = [];
  meter.on('chunk', (c) => chunks.push(c));
  meter.on('gap', (g) => gaps.push(g));
  meter.on('state', (s) => states.push(s));
  return { chunks, gaps, states, samples: () => chunks.reduce((a, c) => a + c.count, 0) };
}

export interface Started<E, M> {
  pty: PtyPair;
  emu: E;
  meter: M;
  rec: Recording;
}

export type MeterFixture = ReturnType<typeof meterFixture>;

/** Call once at the top of a test file: it registers the afterEach that undoes everything. */
export function meterFixture() {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
  });

  const defer = (cleanup: () => Promise<void> | void): void => {
    cleanups.push(async () => cleanup());
  };

  /** The emulator is attached to the device end; the driver opens `pty.hostPath`. */
  const plug = async (emu: DevicePort): Promise<PtyPair> => {
    const pty = await PtyPair.create();
    defer(() => pty.dispose());
    await emu.attach(pty.devicePath);
    defer(() => emu.detach());
    return pty;
  };

  const open = async (meter: PowerMeter): Promise<Recording> => {
    defer(() => meter.close());
    const rec = record(meter);
    await meter.open();
    return rec;
  };

  /** For tests where open() must fail: returns what it threw. Closed anyway, as a real caller would. */
  const openError = async (meter: PowerMeter): Promise<unknown> => {
    defer(() => meter.close());
    return meter.open().catch((e: unknown) => e);
  };

  const start = async <E extends DevicePort, M extends PowerMeter>(emu: E, createMeter: (hostPath: string) => M): Promise<Started<E, M>> => {
    const pty = await plug(emu);
    const meter = createMeter(pty.hostPath);
    const rec = await open(meter);
    return { pty, emu, meter, rec };
  };

  return { defer, plug, open, openError, start };
}

/**
 * Pull the cable mid-stream (socat dies, the device nodes vanish) and plug it back in: withReconnect
 * must resume the same stream and record the outage as a 'disconnected' gap. Being back in state
 * 'streaming' is not enough: `readingsAfter` new readings prove that data flows again.
 */
export async function expectReconnectAfterUnplug(
  fx: MeterFixture,
  emu: DevicePort,
  createMeter: (hostPath: string) => PowerMeter,
  readingsAfter: number,
): Promise<void> {
  const { pty, meter, rec } = await fx.start(emu, (path) => withReconnect(createMeter(path), { initialDelayMs: 100, maxDelayMs: 200 }));
  await waitFor(() => rec.chunks.length >= 2, 4000, 'readings');
  await pty.unplug();
  await waitFor(() => meter.state === 'error', 3000, 'error');
  await pty.replug();
  await emu.attach(pty.devicePath);
  await waitFor(() => meter.state === 'streaming', 5000, 'reconnect');
  const n = rec.chunks.length;
  await waitFor(() => rec.chunks.length >= n + readingsAfter, 3000, `${readingsAfter} reading(s) after reconnect`);
  expect(meter.counters().reconnects).toBe(1);
  expect(rec.gaps.some((g) => /disconnected/.test(g.reason))).toBe(true);
}
