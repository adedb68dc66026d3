import { TypedEmitter } from '../../main/util/emitter';
import type { Channel, MeterCounters, MeterEvents, MeterGap, MeterState, PowerMeter, SampleChunk } from '../../main/meters/types';

/** A meter the test drives by hand: push exact chunks and gaps, observe what the app stores. */
export class FakeMeter extends TypedEmitter<MeterEvents> implements PowerMeter {
  readonly driver = 'fake';
  readonly spec = 'fake';
  readonly label = 'Fake meter (test)';
  state: MeterState = 'idle';
  private samples = 0;
  constructor(
    readonly capabilities = {
      channels: ['current', 'voltage', 'power'] as Channel[],
      sampleRateHz: 1000,
      digitalInputs: 0,
      deviceClock: false,
      simulated: false,
    },
  ) {
    super();
  }
  async open(): Promise<void> {
    this.state = 'streaming';
    this.emit('state', { state: 'streaming' });
  }
  async close(): Promise<void> {
    this.state = 'closed';
    this.emit('state', { state: 'closed' });
  }
  counters(): MeterCounters {
    return { samples: this.samples, lostSamples: 0, gaps: 0, badFrames: 0, reconnects: 0 };
  }
  push(chunk: SampleChunk): void {
    this.samples += chunk.count;
    this.emit('chunk', chunk);
  }
  gap(g: MeterGap): void {
    this.emit('gap', g);
  }
  /** The meter reports an error (a pulled cable) and stays in it. */
  fail(message: string): void {
    this.state = 'error';
    this.emit('state', { state: 'error', message, retryable: true });
  }
}

/** A chunk of `count` samples at `rateHz` starting at t0Ns whose channel values come from fn(sampleIndex). */
export function makeChunk(t0Ns: number, rateHz: number, count: number, fn: (i: number) => [number, number, number], offset = 0): SampleChunk {
  const data = [new Float32Array(count), new Float32Array(count), new Float32Array(count)];
  for (let i = 0; i < count; i++) {
    const v = fn(offset + i);
    data[0]![i] = v[0];
    data[1]![i] = v[1];
    data[2]![i] = v[2];
  }
  return { t0Ns, periodNs: 1e9 / rateHz, count, channels: ['current', 'voltage', 'power'], data };
}
