import { describe, expect, it } from 'vitest';
import { createMeter } from '../../../main/meters/registry';
import { processCpuLoad, SimMeter } from '../../../main/meters/sim/sim-meter';
import type { SampleChunk } from '../../../main/meters/types';
import { monotonicNs } from '../../../main/util/clock';

async function collect(meter: SimMeter, ms: number): Promise<SampleChunk[]> {
  const chunks: SampleChunk[] = [];
  meter.on('chunk', (c) => chunks.push(c));
  await meter.open();
  await new Promise((r) => setTimeout(r, ms));
  await meter.close();
  return chunks;
}

const meanPower = (chunks: SampleChunk[]): number => {
  let sum = 0;
  let n = 0;
  for (const c of chunks) for (let i = 0; i < c.count; i++, n++) sum += c.data[2]![i]!;
  return sum / n;
};

describe('simulated meter', () => {
  it('is labelled simulated everywhere it describes itself', () => {
    const m = createMeter('sim');
    expect(m.capabilities.simulated).toBe(true);
    expect(m.label.toLowerCase()).toContain('simulated');
  });

  it('streams contiguous, evenly timed batches at the configured rate on the host monotonic clock', async () => {
    const meter = new SimMeter('sim', { rateHz: 20_000, chunkMs: 20 });
    const before = monotonicNs();
    const chunks = await collect(meter, 300);
    const after = monotonicNs();
    expect(chunks.length).toBeGreaterThan(3);
    for (let k = 1; k < chunks.length; k++) {
      const prev = chunks[k - 1]!;
      expect(chunks[k]!.t0Ns).toBeCloseTo(prev.t0Ns + prev.count * prev.periodNs, 0);
    }
    const total = chunks.reduce((s, c) => s + c.count, 0);
    const elapsedS = (after - before) / 1e9;
    // Samples are emitted as their time comes: never more than elapsed × rate.
    expect(total).toBeLessThanOrEqual(Math.ceil(elapsedS * 20_000) + 1);
    expect(chunks[0]!.t0Ns).toBeGreaterThanOrEqual(before);
    expect(meter.counters().samples).toBe(total);
    // P = V·I holds sample by sample.
    const c = chunks[0]!;
    for (let i = 0; i < c.count; i += 97) expect(c.data[0]![i]! * c.data[1]![i]!).toBeCloseTo(c.data[2]![i]!, 4);
  });

  it('draws more power when the load is higher', async () => {
    const idle = await collect(new SimMeter('sim', { rateHz: 5000, chunkMs: 10, loadSource: () => 0 }), 150);
    const busy = await collect(new SimMeter('sim', { rateHz: 5000, chunkMs: 10, loadSource: () => 1 }), 150);
    expect(meanPower(idle)).toBeCloseTo(1.8, 1);
    expect(meanPower(busy)).toBeGreaterThan(meanPower(idle) + 2);
  });

  it("measures this process's own CPU use", () => {
    const load = processCpuLoad();
    // Burn 100 ms of CPU time (not wall time, which a busy shared machine would stretch).
    const start = process.cpuUsage();
    let x = 0;
    while (process.cpuUsage(start).user < 100_000) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    const busy = load();
    expect(busy).toBeGreaterThan(0.1);
    const idleUntil = Date.now() + 150;
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        expect(Date.now()).toBeGreaterThanOrEqual(idleUntil - 5);
        expect(load()).toBeLessThan(busy);
        resolve();
      }, 150),
    );
  });

  it('rejects bad settings with a sentence that names the fix', () => {
    expect(() => createMeter('sim', { rateHz: -5 })).toThrow(/"rateHz" is -5 S\/s; use 1 to 1000000 S\/s\./);
    expect(() => createMeter('sim', { volume: 3 })).toThrow(/no setting "volume"/);
    expect(() => createMeter('sim:/dev/ttyACM0')).toThrow(/takes no port/);
    expect(() => createMeter('nope')).toThrow(/Unknown meter driver "nope"/);
    expect(() => createMeter('??')).toThrow(/not a meter spec/);
  });
});
