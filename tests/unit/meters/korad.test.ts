import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KoradMeter, type KoradOptions } from '../../../main/meters/korad/korad-meter';
import { parseKoradIdn, parseKoradNumber, parseKoradStatus } from '../../../main/meters/korad/protocol';
import { isUserError } from '../../../main/util/errors';
import { waitFor } from './emulators/device-port';
import { KoradEmulator } from './emulators/korad-emulator';
import { expectReconnectAfterUnplug, meterFixture } from './helpers/meter-fixture';

describe('Korad reply parsing', () => {
  it('accepts exactly 5-character numbers and rejects the rest', () => {
    expect(parseKoradNumber(Buffer.from('0.123'))).toBe(0.123);
    expect(parseKoradNumber(Buffer.from('05.00'))).toBe(5);
    expect(parseKoradNumber(Buffer.from('0.12'))).toBeUndefined();
    expect(parseKoradNumber(Buffer.from('0.1234'))).toBeUndefined();
    expect(parseKoradNumber(Buffer.from('ERR!?'))).toBeUndefined();
  });
  it('strips stray bytes after *IDN? and decodes STATUS bits', () => {
    expect(parseKoradIdn(Buffer.from('KORAD KA3005P V5.8 SN:1\x01', 'latin1'))).toBe('KORAD KA3005P V5.8 SN:1');
    expect(parseKoradIdn(Buffer.from('TENMA 72-2540 V2.0\xbc', 'latin1'))).toBe('TENMA 72-2540 V2.0');
    expect(parseKoradIdn(Buffer.from([0xff, 0x00, 0x13]))).toBeUndefined();
    expect(parseKoradStatus(0x41)).toMatchObject({ cv: true, outputOn: true, ocp: false, ovp: false });
    expect(parseKoradStatus(0xa0)).toMatchObject({ cv: false, outputOn: false, ocp: true, ovp: true });
  });
  it('fuzz: arbitrary replies never throw; numbers come only from well-formed replies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (b) => {
        const n = parseKoradNumber(b);
        if (n !== undefined) expect(Buffer.from(b).toString('latin1')).toMatch(/^\d{1,2}\.\d{2,3}$/);
        parseKoradIdn(b);
      }),
      { numRuns: 500 },
    );
  });
});

const fx = meterFixture();
const streamingKorad = (options: KoradOptions) => fx.start(new KoradEmulator(), (path) => new KoradMeter('korad:test', path, options));

describe('Korad driver against the emulator over a pty', () => {
  it('identifies the supply, polls V and I with ≥ 80 ms spacing and computes power', async () => {
    const { emu, meter, rec } = await streamingKorad({ pollMs: 200 });
    expect(meter.identity).toBe('KORAD KA3005P V5.8 SN:03379314');
    await waitFor(() => rec.chunks.length >= 3, 4000, 'readings');
    const c = rec.chunks.at(-1)!;
    expect(c.data[0]![0]).toBeCloseTo(0.123, 6);
    expect(c.data[1]![0]).toBeCloseTo(5.0, 6);
    expect(c.data[2]![0]).toBeCloseTo(0.615, 5);
    expect(c.aux?.outputOn, JSON.stringify({ aux: c.aux, cmds: emu.commands.slice(0, 12), fast: emu.tooFast })).toBe(1);
    expect(emu.tooFast).toBe(0);
    expect(emu.commands).toContain('STATUS?');
    emu.current = 1.234;
    emu.voltage = 12.5;
    await waitFor(() => Math.abs(rec.chunks.at(-1)!.data[0]![0]! - 1.234) < 1e-6, 2000, 'new reading');
    expect(rec.chunks.at(-1)!.data[1]![0]).toBeCloseTo(12.5, 5);
  });

  it('garbage replies count as bad frames and then fail with the expected device named', async () => {
    const { emu, meter, rec } = await streamingKorad({ pollMs: 200, replyTimeoutMs: 150 });
    await waitFor(() => rec.chunks.length >= 1, 4000, 'reading');
    emu.garbageReplies = true;
    await waitFor(() => meter.state === 'error', 5000, 'error');
    expect(meter.counters().badFrames).toBeGreaterThanOrEqual(3);
    const err = rec.states.find((s) => s.state === 'error')!;
    expect(err.message).toMatch(/Korad KA3005P-compatible/);
    expect(err.retryable).toBe(false);
  });

  it('a supply that stops answering for a while leaves a gap, not repeated values', async () => {
    const { emu, meter, rec } = await streamingKorad({ pollMs: 200, replyTimeoutMs: 150 });
    await waitFor(() => rec.chunks.length >= 1, 4000, 'reading');
    emu.silent = true;
    await new Promise((r) => setTimeout(r, 700));
    const during = rec.chunks.length;
    emu.silent = false;
    await waitFor(() => rec.gaps.length >= 1, 4000, 'gap');
    expect(rec.gaps[0]!.lostSamples).toBeGreaterThanOrEqual(1);
    expect(rec.gaps[0]!.reason).toMatch(/no valid reply/);
    expect(meter.state).toBe('streaming');
    // Nothing was emitted while it was silent (at most one reading in flight when it went quiet).
    expect(during - rec.chunks.filter((c) => c.t0Ns < rec.gaps[0]!.startNs + 1).length).toBeLessThanOrEqual(1);
  });

  it('no answer to *IDN? is a clear open error', async () => {
    const emu = new KoradEmulator();
    emu.silent = true;
    const pty = await fx.plug(emu);
    const err = await fx.openError(new KoradMeter('korad:test', pty.hostPath, { replyTimeoutMs: 200 }));
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toMatch(/No reply to \*IDN\?/);
  });

  it('reconnects after unplug and records the outage', async () => {
    await expectReconnectAfterUnplug(fx, new KoradEmulator(), (path) => new KoradMeter('korad:test', path, { pollMs: 200 }), 1);
  });
});
