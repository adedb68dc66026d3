import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scpiDriver } from '../../../main/meters/scpi';
import { parseScpiError, parseScpiNumber } from '../../../main/meters/scpi/presets';
import { parseTcpTarget, ScpiMeter } from '../../../main/meters/scpi/scpi-meter';
import { parseMeterSpec } from '../../../main/meters/spec';
import { withReconnect } from '../../../main/meters/reconnecting-meter';
import { isUserError } from '../../../main/util/errors';
import { waitFor } from './emulators/device-port';
import { ScpiSerialEmulator, ScpiTcpEmulator } from './emulators/scpi-emulator';
import { meterFixture } from './helpers/meter-fixture';

describe('SCPI parsing', () => {
  it('numbers, SCPI overflow markers, error replies and TCP targets', () => {
    expect(parseScpiNumber('+1.23450E-03')).toBeCloseTo(0.0012345, 10);
    expect(parseScpiNumber(' 12.000 ')).toBe(12);
    expect(parseScpiNumber('9.91E+37')).toBeUndefined();
    expect(parseScpiNumber('ERR')).toBeUndefined();
    expect(parseScpiError('-113,"Undefined header"')).toEqual({ code: -113, message: 'Undefined header' });
    expect(parseScpiError('+0,"No error"')!.code).toBe(0);
    expect(parseTcpTarget('tcp://10.0.0.5:5025')).toEqual({ host: '10.0.0.5', port: 5025 });
    expect(parseTcpTarget('tcp://psu.lab')).toEqual({ host: 'psu.lab', port: 5025 });
    expect(parseTcpTarget('tcp://[::1]:5555')).toEqual({ host: '::1', port: 5555 });
    expect(parseMeterSpec('scpi:tcp://10.0.0.5:5025').port).toBe('tcp://10.0.0.5:5025');
  });
  it('fuzz: arbitrary reply lines never throw and numbers are finite', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const v = parseScpiNumber(s);
        if (v !== undefined) expect(Number.isFinite(v)).toBe(true);
        parseScpiError(s);
      }),
      { numRuns: 500 },
    );
  });
  it('settings are validated with one-sentence errors', () => {
    expect(() => scpiDriver.create(parseMeterSpec('scpi:tcp://h:5025'), { preset: 'nope' })).toThrow(/preset "nope" is unknown/);
    expect(() => scpiDriver.create(parseMeterSpec('scpi:tcp://h:5025'), { pollMs: 'fast' })).toThrow(/must be a number/);
    expect(() => scpiDriver.create(parseMeterSpec('scpi:tcp://h:5025'), { combinedQuery: 'X?', combinedFields: 'volts' })).toThrow(/combinedFields/);
  });
});

const fx = meterFixture();

describe('SCPI driver over a serial pty', () => {
  it('generic preset: MEAS queries, computed power, and error-queue notices', async () => {
    const emu = new ScpiSerialEmulator();
    const pty = await fx.plug(emu);
    emu.instrument.errors.push('-222,"Data out of range"');
    const meter = new ScpiMeter('scpi:test', pty.hostPath, { pollMs: 50, errorQueryEvery: 2 });
    const rec = await fx.open(meter);
    expect(meter.identity).toMatch(/DP832/);
    expect(meter.instrumentErrors).toEqual(['-222,"Data out of range"']);
    expect(rec.states.some((s) => /-222/.test(s.message ?? ''))).toBe(true);
    await waitFor(() => rec.chunks.length >= 3, 3000, 'readings');
    const c = rec.chunks.at(-1)!;
    expect(c.channels).toEqual(['current', 'voltage']);
    expect(c.data[0]![0]).toBeCloseTo(0.5, 6);
    expect(c.data[1]![0]).toBeCloseTo(12, 6);
  });

  it('a DMM preset with a multi-command step (INIT then FETC?)', async () => {
    const emu = new ScpiSerialEmulator();
    emu.instrument.current = 0.0123456;
    const { meter, rec } = await fx.start(emu, (path) => new ScpiMeter('scpi:test', path, { preset: 'keysight-344xx-dmm', pollMs: 50 }));
    await waitFor(() => rec.chunks.length >= 2, 3000, 'readings');
    expect(meter.capabilities.channels).toEqual(['current']);
    expect(rec.chunks.at(-1)!.data[0]![0]).toBeCloseTo(0.0123456, 7);
    expect(emu.instrument.received).toContain('CONF:CURR:DC');
    expect(emu.instrument.received.filter((c) => c === 'INIT').length).toBeGreaterThanOrEqual(2);
  });
});

describe('SCPI garbage and loss', () => {
  it('non-numeric replies are bad frames and a gap; the stream continues when sane replies return', async () => {
    const { emu, meter, rec } = await fx.start(
      new ScpiSerialEmulator(),
      (path) => new ScpiMeter('scpi:test', path, { pollMs: 50, timeoutMs: 200, errorQueryEvery: 0 }),
    );
    await waitFor(() => rec.chunks.length >= 2, 3000, 'readings');
    const original = emu.instrument.handle.bind(emu.instrument);
    emu.instrument.handle = (line) => (/MEAS/.test(line) ? '#garbage\u0001' : original(line));
    await waitFor(() => meter.counters().badFrames >= 2, 3000, 'bad frames');
    emu.instrument.handle = original;
    await waitFor(() => rec.gaps.length >= 1, 3000, 'gap');
    expect(rec.gaps[0]!.lostSamples).toBeGreaterThanOrEqual(2);
    const n = rec.chunks.length;
    await waitFor(() => rec.chunks.length > n, 3000, 'readings again');
    expect(rec.chunks.at(-1)!.data[0]![0]).toBeCloseTo(0.5, 6);
  });
});

describe('SCPI driver over TCP', () => {
  it('scpi:tcp://127.0.0.1:PORT with the Rigol preset (combined query) and reconnect after the instrument drops', async () => {
    const emu = new ScpiTcpEmulator();
    const port = await emu.listen();
    fx.defer(() => emu.close());
    const meter = withReconnect(scpiDriver.create(parseMeterSpec(`scpi:tcp://127.0.0.1:${port}`), { preset: 'rigol-dp800', pollMs: 50 }), {
      initialDelayMs: 100,
      maxDelayMs: 200,
    });
    const rec = await fx.open(meter);
    await waitFor(() => rec.chunks.length >= 2, 3000, 'readings');
    const c = rec.chunks.at(-1)!;
    expect(c.channels).toEqual(['current', 'voltage', 'power']);
    expect(c.data[0]![0]).toBeCloseTo(0.5, 4);
    expect(c.data[1]![0]).toBeCloseTo(12, 3);
    expect(c.data[2]![0]).toBeCloseTo(6, 3);
    await emu.close();
    await waitFor(() => meter.state === 'error', 3000, 'error');
    expect(rec.states.find((s) => s.state === 'error')!.message).toMatch(/disconnected/);
    await emu.listen(port);
    await waitFor(() => meter.state === 'streaming', 5000, 'reconnect');
    const n = rec.chunks.length;
    await waitFor(() => rec.chunks.length > n, 3000, 'readings after reconnect');
    expect(meter.counters().reconnects).toBe(1);
    expect(rec.gaps.some((g) => /disconnected/.test(g.reason))).toBe(true);
  });

  it('connection refused and silent instruments give clear errors', async () => {
    const emu = new ScpiTcpEmulator();
    const port = await emu.listen();
    emu.instrument.silent = true;
    fx.defer(() => emu.close());
    const e1 = await fx.openError(new ScpiMeter('scpi:x', `tcp://127.0.0.1:${port}`, { timeoutMs: 200 }));
    expect(isUserError(e1)).toBe(true);
    expect((e1 as Error).message).toMatch(/No reply to \*IDN\?/);
    await emu.close();
    const e2 = await fx.openError(new ScpiMeter('scpi:x', `tcp://127.0.0.1:${port}`, { timeoutMs: 500 }));
    expect((e2 as Error).message).toMatch(/Cannot connect/);
  });
});
