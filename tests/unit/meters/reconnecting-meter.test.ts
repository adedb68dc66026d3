import { describe, expect, it } from 'vitest';
import { withReconnect } from '../../../main/meters/reconnecting-meter';
import type { MeterCounters, MeterEvents, MeterState, MeterStateEvent, PowerMeter, SampleChunk } from '../../../main/meters/types';
import { TypedEmitter } from '../../../main/util/emitter';
import { waitFor } from './emulators/device-port';
import { record } from './helpers/meter-fixture';

/** A scriptable meter: tests decide when it streams, fails, and whether open() succeeds. */
class FakeMeter extends TypedEmitter<MeterEvents> implements PowerMeter {
  readonly driver = 'fake';
  readonly spec = 'fake';
  readonly label = 'fake';
  readonly capabilities = { channels: ['current' as const], sampleRateHz: 1000, digitalInputs: 0, deviceClock: false, simulated: false };
  state: MeterState = 'idle';
  opens = 0;
  openFails = 0;
  async open() {
    this.opens++;
    if (this.openFails > 0) {
      this.openFails--;
      this.set({ state: 'error', message: 'port missing' });
      throw new Error('port missing');
    }
    this.set({ state: 'streaming' });
  }
  async close() {
    if (this.state !== 'closed') this.set({ state: 'closed' });
  }
  counters(): MeterCounters {
    return { samples: 0, lostSamples: 0, gaps: 0, badFrames: 0, reconnects: 0 };
  }
  set(ev: MeterStateEvent) {
    this.state = ev.state;
    this.emit('state', ev);
  }
  chunk(t0Ns: number, count: number) {
    const c: SampleChunk = { t0Ns, periodNs: 1e6, count, channels: ['current'], data: [new Float32Array(count)] };
    this.emit('chunk', c);
  }
}

function wire(fake: FakeMeter, opts = {}) {
  const m = withReconnect(fake, { initialDelayMs: 10, maxDelayMs: 40, ...opts });
  return { m, ...record(m) };
}

describe('withReconnect', () => {
  it('retries with backoff through failed opens, then emits one gap from the last sample to the first new one', async () => {
    const fake = new FakeMeter();
    const { m, gaps, states, chunks } = wire(fake);
    await m.open();
    fake.chunk(1_000_000_000, 10); // ends at 1.010 s
    fake.openFails = 3;
    fake.set({ state: 'error', message: 'The port vanished.' });
    expect(m.state).toBe('error');
    expect(states.at(-1)!.message).toMatch(/The port vanished\. Reconnecting automatically/);
    await waitFor(() => fake.opens === 5, 2000, 'retries');
    expect(m.state).toBe('streaming');
    expect(gaps).toEqual([]); // the hole is closed by the first new sample, not before
    fake.chunk(3_010_000_000, 5);
    expect(gaps).toEqual([{ startNs: 1_010_000_000, endNs: 3_010_000_000, lostSamples: 2000, reason: 'disconnected: The port vanished.' }]);
    expect(chunks).toHaveLength(2);
    expect(m.counters()).toMatchObject({ reconnects: 1, gaps: 1, lostSamples: 2000 });
    // Intermediate failures stay internal: the outside saw error once, then streaming.
    expect(states.map((s) => s.state)).toEqual(['streaming', 'error', 'streaming']);
    await m.close();
  });

  it('does not retry a non-retryable error (a different device), and honours enabled: false', async () => {
    const fake = new FakeMeter();
    const { m } = wire(fake);
    await m.open();
    fake.set({ state: 'error', message: 'Not a PPK2.', retryable: false });
    await new Promise((r) => setTimeout(r, 80));
    expect(fake.opens).toBe(1);
    expect(m.state).toBe('error');

    const fake2 = new FakeMeter();
    const off = wire(fake2, { enabled: false });
    await off.m.open();
    fake2.set({ state: 'error', message: 'gone' });
    await new Promise((r) => setTimeout(r, 80));
    expect(fake2.opens).toBe(1);
  });

  it('closing during an outage records the gap up to that moment and stops retrying', async () => {
    const fake = new FakeMeter();
    const { m, gaps } = wire(fake);
    await m.open();
    fake.chunk(Number(process.hrtime.bigint()) - 1e6, 1);
    fake.openFails = 1000;
    fake.set({ state: 'error', message: 'gone' });
    await new Promise((r) => setTimeout(r, 50));
    await m.close();
    const opens = fake.opens;
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.endNs).toBeGreaterThan(gaps[0]!.startNs);
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.opens).toBe(opens);
    expect(m.state).toBe('closed');
  });

  it('gives up after maxAttempts with a clear message', async () => {
    const fake = new FakeMeter();
    const { m, states } = wire(fake, { maxAttempts: 2 });
    await m.open();
    fake.openFails = 10;
    fake.set({ state: 'error', message: 'gone' });
    await waitFor(() => /Gave up reconnecting after 2 attempts/.test(states.at(-1)?.message ?? ''), 2000, 'give up');
    expect(states.at(-1)!.retryable).toBe(false);
  });
});
