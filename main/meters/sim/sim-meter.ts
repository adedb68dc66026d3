/**
 * The simulated meter: a plausible 5 V USB-powered board whose power rises with this process's own
 * CPU use, so the app shows something real-looking without hardware. It is labelled simulated in
 * its label and capabilities, and the recorder stores that flag with every session it feeds.
 */
import { monotonicNs } from '../../util/clock';
import { TypedEmitter } from '../../util/emitter';
import { UserError } from '../../util/errors';
import { gaussian, mulberry32 } from '../../util/prng';
import type { MeterCapabilities, MeterCounters, MeterEvents, MeterState, PowerMeter } from '../types';

export interface SimMeterOptions {
  /** Samples per second (default 10 000). */
  rateHz?: number;
  /** Emit interval in ms (default 50): drivers hand over batches, never single samples. */
  chunkMs?: number;
  /** Idle power in W (default 1.8) and extra power at 100 % of one core (default 3.2). */
  idleW?: number;
  busyW?: number;
  /** Seed for the noise generator, for reproducible tests. */
  seed?: number;
  /** Override of the load source (0..1); defaults to this process's CPU use. */
  loadSource?: () => number;
}

const NOMINAL_V = 5.0;

export class SimMeter extends TypedEmitter<MeterEvents> implements PowerMeter {
  readonly driver = 'sim';
  readonly label = 'Simulated meter (sim) — not a real measurement';
  readonly capabilities: MeterCapabilities;
  private _state: MeterState = 'idle';
  private timer: NodeJS.Timeout | undefined;
  private startNs = 0;
  private emitted = 0;
  private rng: () => number;
  private counts: MeterCounters = { samples: 0, lostSamples: 0, gaps: 0, badFrames: 0, reconnects: 0 };
  private readonly rateHz: number;
  private readonly chunkMs: number;
  private readonly idleW: number;
  private readonly busyW: number;
  private readonly load: () => number;
  private lastPower: number;

  constructor(
    readonly spec: string = 'sim',
    options: SimMeterOptions = {},
  ) {
    super();
    this.rateHz = options.rateHz ?? 10_000;
    if (!Number.isFinite(this.rateHz) || this.rateHz < 1 || this.rateHz > 1_000_000) {
      throw new UserError(`Simulated meter rate ${options.rateHz} is out of range; use 1 to 1000000 samples per second.`);
    }
    this.chunkMs = options.chunkMs ?? 50;
    this.idleW = options.idleW ?? 1.8;
    this.busyW = options.busyW ?? 3.2;
    this.rng = mulberry32(options.seed ?? 0x5eed);
    this.load = options.loadSource ?? processCpuLoad();
    this.lastPower = this.idleW;
    this.capabilities = {
      channels: ['current', 'voltage', 'power'],
      sampleRateHz: this.rateHz,
      digitalInputs: 0,
      deviceClock: false,
      simulated: true,
    };
  }

  get state(): MeterState {
    return this._state;
  }

  counters(): MeterCounters {
    return { ...this.counts };
  }

  async open(): Promise<void> {
    if (this._state === 'streaming') return;
    this.setState('connecting');
    this.startNs = monotonicNs();
    this.emitted = 0;
    this.timer = setInterval(() => this.tick(), this.chunkMs);
    this.timer.unref?.();
    this.setState('streaming');
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this._state !== 'closed') this.setState('closed');
  }

  private setState(state: MeterState): void {
    this._state = state;
    this.emit('state', { state });
  }

  /** Emits every sample whose time has come, so the stream keeps the nominal rate despite timer jitter. */
  private tick(): void {
    const periodNs = 1e9 / this.rateHz;
    const due = Math.floor((monotonicNs() - this.startNs) / periodNs) - this.emitted;
    if (due <= 0) return;
    const target = this.idleW + this.busyW * Math.min(1, Math.max(0, this.load()));
    const current = new Float32Array(due);
    const voltage = new Float32Array(due);
    const power = new Float32Array(due);
    // A first-order lag toward the load-driven target (a regulator plus decoupling caps) with noise
    // and a small switching ripple, so the trace looks like a board, not a square wave.
    const alpha = 1 - Math.exp(-periodNs / 5e6);
    for (let i = 0; i < due; i++) {
      this.lastPower += alpha * (target - this.lastPower);
      const t = (this.emitted + i) / this.rateHz;
      const p = Math.max(0, this.lastPower * (1 + 0.02 * Math.sin(2 * Math.PI * 1000 * t)) + 0.03 * gaussian(this.rng));
      // A 1 mW floor keeps a 0 W board (idleW = busyW = 0) from dividing by zero.
      const v = NOMINAL_V - 0.05 * (p / Math.max(1e-3, this.idleW + this.busyW)) + 0.002 * gaussian(this.rng);
      power[i] = p;
      voltage[i] = v;
      current[i] = p / v;
    }
    const chunk = {
      t0Ns: this.startNs + this.emitted * periodNs,
      periodNs,
      count: due,
      channels: this.capabilities.channels,
      data: [current, voltage, power],
    };
    this.emitted += due;
    this.counts.samples += due;
    this.emit('chunk', chunk);
  }
}

/** Fraction of one core used by this process since the previous call. */
export function processCpuLoad(): () => number {
  let lastCpu = process.cpuUsage();
  let lastNs = monotonicNs();
  let lastLoad = 0;
  return () => {
    const now = monotonicNs();
    const dtUs = (now - lastNs) / 1000;
    if (dtUs < 20_000) return lastLoad; // too short a window to measure: keep the last value
    const cpu = process.cpuUsage(lastCpu);
    lastCpu = process.cpuUsage();
    lastNs = now;
    lastLoad = (cpu.user + cpu.system) / dtUs;
    return lastLoad;
  };
}
