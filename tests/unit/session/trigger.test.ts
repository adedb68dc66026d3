/** Recording triggers: exact crossing times, pre-trigger, hold-off, digital edges, stop triggers. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TriggerStatusDto } from '../../../main/api/contract';
import { AppCore } from '../../../main/core/app-core';
import type { SampleChunk } from '../../../main/meters/types';
import { CrossingDetector, parseTrigger } from '../../../main/session/trigger';
import { readChunks } from '../../../main/store/chunk-reader';
import { monotonicNs } from '../../../main/util/clock';
import { FakeMeter, makeChunk } from '../../helpers/fake-meter';

let core: AppCore | undefined;
afterEach(async () => {
  await core?.close();
  core = undefined;
});

async function setup(meter = new FakeMeter()): Promise<{ c: AppCore; meter: FakeMeter; statuses: TriggerStatusDto[] }> {
  core = AppCore.open({ dbPath: join(mkdtempSync(join(tmpdir(), 'ddi-trig-')), 'db.sqlite'), transport: 'browser' });
  await core.attachMeter(meter);
  const statuses: TriggerStatusDto[] = [];
  core.on('recording.trigger', (s) => s && statuses.push(s));
  return { c: core, meter, statuses };
}

/** Pushes `total` samples at 1 kS/s from t0 in 100-sample chunks; power from fn(i), at 5 V. */
function stream(meter: FakeMeter, t0: number, total: number, fn: (i: number) => number): void {
  for (let off = 0; off < total; off += 100) {
    meter.push(makeChunk(t0 + off * 1e6, 1000, Math.min(100, total - off), (i) => [fn(i) / 5, 5, fn(i)], off));
  }
}

function storedSamples(c: AppCore, id: number): { firstNs: number; count: number; power: number[] } {
  const chunks = readChunks(c.db, id).filter((x) => !x.damaged) as Extract<ReturnType<typeof readChunks>[number], { damaged: false }>[];
  const power = chunks.flatMap((x) => Array.from(x.planes.power!));
  return { firstNs: chunks[0]!.t0Ns, count: power.length, power };
}

/** Waits until the host clock has passed `ns`, so a stop by hand now lies after every pushed sample. */
async function pastNs(ns: number): Promise<void> {
  await new Promise((r) => setTimeout(r, Math.max(0, (ns - monotonicNs()) / 1e6) + 5));
}

async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(pred()).toBe(true);
}

describe('trigger syntax', () => {
  it('parses levels with SI prefixes and digital edges, and refuses the rest in one sentence', () => {
    expect(parseTrigger('power>0.5W')).toMatchObject({ kind: 'level', channel: 'power', edge: 'rising', level: 0.5 });
    expect(parseTrigger(' Current < 10mA ')).toMatchObject({ channel: 'current', edge: 'falling', level: 0.01 });
    expect(parseTrigger('current>250uA').kind === 'level' && parseTrigger('current>250uA')).toMatchObject({ level: 250e-6 });
    expect(parseTrigger('D3 rising')).toMatchObject({ kind: 'digital', line: 3, edge: 'rising' });
    expect(parseTrigger('d0 falling')).toMatchObject({ kind: 'digital', line: 0, edge: 'falling' });
    expect(() => parseTrigger('power>0.5A')).toThrow(/power is measured in W, not A/);
    expect(() => parseTrigger('power>10m')).toThrow(/give the unit/);
    expect(() => parseTrigger('power>0.5MW')).toThrow(/not a trigger/);
    expect(() => parseTrigger('D8 rising')).toThrow(/not a trigger; write a level like power>0.5W/);
  });

  it('fires on the crossing only: a level that already holds must be left first', () => {
    const det = new CrossingDetector(parseTrigger('power>1W'));
    const chunk = makeChunk(0, 1000, 10, (i) => {
      const p = [2, 2, 0.5, 0.5, 1, 3, 3, 0, 0, 0][i]!;
      return [p, 1, p];
    });
    expect(det.scan(chunk)).toBe(5); // 2 W at arming does not fire; 1 W is not above 1 W; 3 W at sample 5 does
  });
});

describe('recording triggers on the sample stream', () => {
  it('starts the session at the crossing minus the pre-trigger, within a sample, and stops it at the stop crossing', async () => {
    const { c, meter, statuses } = await setup();
    const armed = c.armTrigger({ start: 'power>0.5W', stop: 'power<0.1W', pretriggerS: 0.1 });
    expect(armed.phase).toBe('armed');
    const t0 = monotonicNs() + 1e6;
    // 0.2 W until sample 300, 1 W until sample 800, then 0.05 W.
    stream(meter, t0, 1000, (i) => (i < 300 ? 0.2 : i < 800 ? 1 : 0.05));
    await until(() => statuses.some((s) => s.phase === 'done'));
    const done = statuses.at(-1)!;
    expect(done.triggerAtS).toBeCloseTo(0.1, 6);
    expect(done.stopAtS).toBeCloseTo(0.6, 6);
    const row = c.repo.get(done.sessionId!);
    // Session zero = crossing (sample 300) − 100 ms = sample 200.
    expect(Math.abs(row.start_mono_ns - (t0 + 200e6))).toBeLessThanOrEqual(1e6);
    const s = storedSamples(c, done.sessionId!);
    expect(Math.abs(s.firstNs)).toBeLessThanOrEqual(1e6);
    expect(s.count).toBe(600); // samples 200..799: the stop crossing (sample 800) is not in the session
    expect(s.power[99]).toBeCloseTo(0.2, 5);
    expect(s.power[100]).toBeCloseTo(1, 5);
    expect(row.status).toBe('complete');
    expect(row.duration_s).toBeCloseTo(0.6, 6);
  });

  it('ignores crossings during the hold-off and fires at the first one after it', async () => {
    const { c, meter, statuses } = await setup();
    const armedAt = monotonicNs();
    c.armTrigger({ start: 'power>0.5W', stop: null, holdoffS: 0.2 });
    const t0 = armedAt + 1e6;
    // Pulses above 0.5 W at samples 50–59 (inside the hold-off) and 400–409.
    stream(meter, t0, 600, (i) => ((i >= 50 && i < 60) || (i >= 400 && i < 410) ? 1 : 0.2));
    await until(() => statuses.some((s) => s.phase === 'recording'));
    const rec = statuses.find((s) => s.phase === 'recording')!;
    const row = c.repo.get(rec.sessionId!);
    expect(Math.abs(row.start_mono_ns - (t0 + 400e6))).toBeLessThanOrEqual(1e6);
    await pastNs(t0 + 600e6);
    const summary = await c.stopRecording();
    expect(summary.samples).toBe(200); // samples 400..599
  });

  it('starts on a digital-input edge (D3 rising)', async () => {
    const meter = new FakeMeter({ channels: ['current', 'voltage', 'power'], sampleRateHz: 1000, digitalInputs: 8, deviceClock: false, simulated: false });
    const { c, statuses } = await setup(meter);
    expect(() => c.armTrigger({ start: 'power>0.5W', stop: null, pretriggerS: 11 })).toThrow(/pre-trigger must be from 0 to 10 s/);
    c.armTrigger({ start: 'D3 rising', stop: null, pretriggerS: 0.05 });
    const t0 = monotonicNs() + 1e6;
    for (let off = 0; off < 400; off += 100) {
      const chunk: SampleChunk = makeChunk(t0 + off * 1e6, 1000, 100, () => [0.1, 5, 0.5], off);
      // D1 toggles all the time (must not fire); D3 goes high at sample 250.
      chunk.digital = Uint8Array.from({ length: 100 }, (_, k) => ((off + k) % 2 ? 0b10 : 0) | (off + k >= 250 ? 0b1000 : 0));
      meter.push(chunk);
    }
    await until(() => statuses.some((s) => s.phase === 'recording'));
    const rec = statuses.find((s) => s.phase === 'recording')!;
    expect(rec.triggerAtS).toBeCloseTo(0.05, 6);
    expect(Math.abs(c.repo.get(rec.sessionId!).start_mono_ns - (t0 + 200e6))).toBeLessThanOrEqual(1e6);
    await pastNs(t0 + 400e6);
    const summary = await c.stopRecording();
    expect(summary.samples).toBe(200); // samples 200..399
  });

  it('refuses a condition the meter cannot evaluate, and a manual Record while armed', async () => {
    const { c } = await setup();
    expect(() => c.armTrigger({ start: 'D0 rising', stop: null })).toThrow(/has no digital inputs; trigger on a level instead/);
    expect(() => c.armTrigger({ start: null, stop: null })).toThrow(/Give a start or a stop condition/);
    c.armTrigger({ start: 'power>5W', stop: null });
    expect(() => c.startRecording()).toThrow(/A trigger is armed/);
    c.disarmTrigger();
    expect(c.startRecording().status).toBe('recording');
  });

  it('records at once and stops on the stop condition when there is no start condition', async () => {
    const { c, meter, statuses } = await setup();
    const status = c.armTrigger({ start: null, stop: 'current>1A' });
    expect(status.phase).toBe('recording');
    const row = c.repo.get(status.sessionId!);
    const t0 = row.start_mono_ns + 1e6;
    stream(meter, t0, 500, (i) => (i < 321 ? 1 : 10)); // current = P / 5: 0.2 A, then 2 A at sample 321
    await until(() => statuses.some((s) => s.phase === 'done'));
    expect(storedSamples(c, status.sessionId!).count).toBe(321);
  });
});
