import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUmFrame, UmFrameParser } from '../../../main/meters/um/frame';
import { UmMeter } from '../../../main/meters/um/um-meter';
import { isUserError } from '../../../main/util/errors';
import { waitFor } from './emulators/device-port';
import { buildUmFrame, UmEmulator } from './emulators/um-emulator';
import { expectReconnectAfterUnplug, meterFixture } from './helpers/meter-fixture';

const state = { voltageV: 5.12, currentA: 0.456, tempC: 27, group: 3, groupMah: 1234, groupMwh: 6170 };

describe('UM frame decoding', () => {
  for (const model of ['UM24C', 'UM25C', 'UM34C'] as const) {
    it(`${model}: model detection and its scaling`, () => {
      const r = decodeUmFrame(buildUmFrame(model, state))!;
      expect(r.model).toBe(model);
      expect(r.voltageV).toBeCloseTo(5.12, 5);
      expect(r.currentA).toBeCloseTo(0.456, 5);
      expect(r.powerW).toBeCloseTo(Math.round(5.12 * 0.456 * 1000) / 1000, 6);
      expect(r.temperatureC).toBe(27);
      expect(r.group).toBe(3);
      expect(r.groupChargeC).toBeCloseTo(1234 * 3.6, 6);
      expect(r.groupEnergyJ).toBeCloseTo(6170 * 3.6, 6);
    });
  }

  it('UM25C keeps its extra digit (mV, 0.1 mA)', () => {
    const r = decodeUmFrame(buildUmFrame('UM25C', { ...state, voltageV: 5.123, currentA: 0.4567 }))!;
    expect(r.voltageV).toBeCloseTo(5.123, 6);
    expect(r.currentA).toBeCloseTo(0.4567, 6);
  });

  it('rejects a bad end marker (UM24C/25C) and a bad XOR checksum (UM34C)', () => {
    const a = buildUmFrame('UM25C', state);
    a[129] = 0xf2;
    expect(decodeUmFrame(a)).toBeUndefined();
    const b = buildUmFrame('UM34C', state);
    b[7] = b[7]! ^ 0x10; // a checksummed byte
    expect(decodeUmFrame(b)).toBeUndefined();
  });

  it('the stream parser resyncs after garbage and counts the bad frame', () => {
    const good = buildUmFrame('UM24C', state);
    const bad = buildUmFrame('UM24C', state);
    bad[128] = 0;
    const p = new UmFrameParser();
    const stream = Buffer.concat([Buffer.from([1, 2, 3]), bad, good.subarray(0, 40)]);
    expect(p.push(stream)).toHaveLength(0);
    expect(p.push(good.subarray(40))).toHaveLength(1);
    expect(p.badFrames).toBe(1);
  });

  it('fuzz: arbitrary bytes never throw and only checked frames come out', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), fc.array(fc.nat(1500), { maxLength: 5 }), fc.boolean(), (bytes, cuts, embed) => {
        const input = embed ? Buffer.concat([Buffer.from(bytes), buildUmFrame('UM34C', state), Buffer.from(bytes)]) : Buffer.from(bytes);
        const p = new UmFrameParser();
        const got = [];
        let prev = 0;
        for (const c of [...cuts.sort((a, b) => a - b), input.length]) {
          got.push(...p.push(input.subarray(prev, Math.max(prev, Math.min(c, input.length)))));
          prev = Math.max(prev, Math.min(c, input.length));
        }
        for (const r of got) expect(['UM24C', 'UM25C', 'UM34C']).toContain(r.model);
        if (embed) expect(got.some((r) => r.model === 'UM34C' && Math.abs(r.voltageV - 5.12) < 1e-9)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

const fx = meterFixture();

describe('UM driver against the emulator over a pty', () => {
  it('polls, detects the model and reports scaled values with the meter accumulators', async () => {
    const { emu, meter, rec } = await fx.start(new UmEmulator('UM34C'), (path) => new UmMeter('um:test', path, { pollMs: 100 }));
    expect(meter.model).toBe('UM34C');
    expect(meter.label).toMatch(/UM34C/);
    await waitFor(() => rec.chunks.length >= 3, 4000, 'readings');
    const c = rec.chunks.at(-1)!;
    expect(c.channels).toEqual(['current', 'voltage', 'power']);
    expect(c.data[0]![0]).toBeCloseTo(0.456, 5);
    expect(c.data[1]![0]).toBeCloseTo(5.12, 5);
    expect(c.aux?.groupEnergyJ).toBeCloseTo(6170 * 3.6, 3);
    expect(c.aux?.temperatureC).toBe(27);
    emu.state = { ...emu.state, currentA: 1.5 };
    await waitFor(() => Math.abs(rec.chunks.at(-1)!.data[0]![0]! - 1.5) < 1e-6, 2000, 'new current');
  });

  it('corrupt and missing replies become bad frames and a gap, never a stale value', async () => {
    const { emu, meter, rec } = await fx.start(new UmEmulator('UM25C'), (path) => new UmMeter('um:test', path, { pollMs: 100, replyTimeoutMs: 150 }));
    await waitFor(() => rec.chunks.length >= 2, 4000, 'readings');
    emu.corruptNext = 2;
    await waitFor(() => meter.counters().badFrames >= 2, 3000, 'bad frames');
    // Let it recover first: corrupt replies and silence in one unbroken run could reach the
    // 5-misses error limit on a slow machine, which is a different test.
    const afterBad = rec.chunks.length;
    await waitFor(() => rec.chunks.length > afterBad, 5000, 'recovery after bad frames');
    const gapsBefore = rec.gaps.length;
    emu.silent = true;
    await new Promise((r) => setTimeout(r, 450));
    emu.silent = false;
    await waitFor(() => rec.gaps.length > gapsBefore, 5000, 'gap').catch((e: Error) => {
      throw new Error(`${e.message}; state ${meter.state}, ${JSON.stringify(meter.counters())}, ${JSON.stringify(rec.states)}`);
    });
    expect(rec.gaps.at(-1)!.lostSamples).toBeGreaterThanOrEqual(2);
    expect(meter.state).toBe('streaming');
  });

  it('refuses a port where something else answers', async () => {
    const emu = new UmEmulator('UM25C');
    emu.silent = true;
    const pty = await fx.plug(emu);
    const t = setInterval(() => emu.write('OK\r\n'), 30);
    fx.defer(() => clearInterval(t));
    const err = await fx.openError(new UmMeter('um:test', pty.hostPath, { replyTimeoutMs: 150 }));
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toMatch(/not with RDTech UM status frames/);
  });

  it('reconnects after the link drops', async () => {
    await expectReconnectAfterUnplug(fx, new UmEmulator('UM24C'), (path) => new UmMeter('um:test', path, { pollMs: 100 }), 2);
  });
});
