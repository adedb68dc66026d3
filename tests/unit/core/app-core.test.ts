import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CALL_NAMES, calls, EVENT_NAMES, events, ipcChannelForCall } from '../../../main/api/contract';
import { AppCore, ApiError } from '../../../main/core/app-core';

let core: AppCore | undefined;
afterEach(async () => {
  await core?.close();
  core = undefined;
});

const open = (): AppCore => {
  core = AppCore.open({ dbPath: join(mkdtempSync(join(tmpdir(), 'ddi-core-')), 'db.sqlite'), transport: 'browser' });
  return core;
};

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error('expected a rejection');
}

describe('API contract', () => {
  it('gives every call an input and output schema and every event a payload schema, with distinct IPC channels', () => {
    expect(CALL_NAMES.length).toBeGreaterThan(5);
    for (const name of CALL_NAMES) {
      expect(typeof calls[name].input.safeParse).toBe('function');
      expect(typeof calls[name].output.safeParse).toBe('function');
    }
    for (const name of EVENT_NAMES) expect(typeof events[name].safeParse).toBe('function');
    expect(new Set(CALL_NAMES.map(ipcChannelForCall)).size).toBe(CALL_NAMES.length);
  });

  it('validates every incoming payload before anything runs', async () => {
    const c = open();
    expect((await rejection(c.handle('sessions.get', { id: 'one' }))).shape.code).toBe('invalid-input');
    expect((await rejection(c.handle('sessions.get', { id: 1, extra: true }))).shape.code).toBe('invalid-input');
    expect((await rejection(c.handle('sessions.trace', { id: 1, points: 1e9 }))).shape.message).toMatch(/points/);
    expect((await rejection(c.handle('meters.connect', { spec: '' }))).shape.code).toBe('invalid-input');
    expect((await rejection(c.handle('shell.exec', { cmd: 'rm -rf /' }))).shape.code).toBe('unknown-call');
    expect((await rejection(c.handle('__proto__', {}))).shape.code).toBe('unknown-call');
  });

  it('turns user errors into one-sentence API errors with a code', async () => {
    const c = open();
    const e = await rejection(c.handle('sessions.get', { id: 99 }));
    expect(e.shape).toEqual({ message: expect.stringMatching(/There is no session 99/), code: 'no-session' });
    expect((await rejection(c.handle('meters.connect', { spec: 'warp:/dev/x' }))).shape.code).toBe('unknown-driver');
    expect((await rejection(c.handle('sessions.start', {}))).shape.code).toBe('no-meter');
  });
});

describe('AppCore end to end with the simulated meter', () => {
  it('connects, streams live batches, records a session and reads its trace', async () => {
    const c = open();
    const live: number[] = [];
    const readouts: number[] = [];
    c.on('meter.live', (b) => {
      live.push(b.tS.length);
      readouts.push(b.latest.power! / (b.latest.voltage! * b.latest.current!));
    });
    const status = await c.call('meters.connect', { spec: 'sim', options: { rateHz: 5000 } });
    expect(status.simulated).toBe(true);
    expect(status.state).toBe('streaming');
    const started = await c.call('sessions.start', { name: 'core test' });
    expect(started.status).toBe('recording');
    await new Promise((r) => setTimeout(r, 700));
    const done = await c.call('sessions.stop', {});
    expect(done.status).toBe('complete');
    expect(done.samples).toBeGreaterThan(1000);
    expect(done.meter?.simulated).toBe(true);
    expect(done.energyJ! / done.durationS).toBeGreaterThan(1); // ≥ 1 W: the sim idles near 1.8 W
    expect(live.reduce((a, b) => a + b, 0)).toBeGreaterThan(20);
    // The readout carries every channel: P ≈ V·I (means of products vs products of means, so not exact).
    readouts.forEach((r) => expect(r).toBeCloseTo(1, 2));
    const list = await c.call('sessions.list', {});
    expect(list.map((s) => s.id)).toContain(done.id);
    const trace = await c.call('sessions.trace', { id: done.id, points: 50 });
    expect(trace.channel).toBe('power');
    expect(trace.tS.length).toBeGreaterThan(30);
    trace.min.forEach((mn, k) => expect(mn).toBeLessThanOrEqual(trace.max[k]!));
    const exp = await rejection(c.handle('sessions.export', { id: done.id, format: 'csv' }));
    expect(exp.shape.code).toBe('unsupported');
  });
});
