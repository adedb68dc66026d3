/**
 * The contract every power-meter driver implements. Drivers turn device bytes into SampleChunks
 * stamped with the host monotonic clock (ns, see util/clock.ts); the session recorder stores them
 * and the live view decimates them. A driver never invents samples: lost data becomes a MeterGap.
 */
import type { TypedEmitter } from '../util/emitter';

export type Channel = 'current' | 'voltage' | 'power';
/** SI units per channel, as stored. */
export const CHANNEL_UNITS: Record<Channel, string> = { current: 'A', voltage: 'V', power: 'W' };

export interface MeterCapabilities {
  /** Channels this meter measures, in the order of SampleChunk.data. */
  channels: Channel[];
  /** Nominal sample rate in samples per second. */
  sampleRateHz: number;
  /** Number of digital input lines (PPK2 logic port: 8); 0 if none. */
  digitalInputs: number;
  /** True when the device reports its own clock or sample counter (drift correction later). */
  deviceClock: boolean;
  /** True only for simulated meters; shown in every UI, CLI output and stored session. */
  simulated: boolean;
  /** Names of the digital inputs, index = bit in SampleChunk.digital (e.g. "D0".."D7" on a PPK2). */
  digitalNames?: string[];
  /** Unit of SampleChunk.deviceTime: device microseconds, or a device sample index. */
  deviceTimeUnit?: 'us' | 'samples';
  /**
   * Supply voltage the DUT runs at when the meter measures current only (PPK2 source mode set-point,
   * or a value the user gave). It is a set-point, not a measurement: record it as the voltage source.
   */
  nominalVoltageV?: number;
}

/**
 * A run of evenly spaced samples. Sample i was taken at t0Ns + i * periodNs on the host monotonic
 * clock. data[c] holds channel capabilities.channels[c] in SI units.
 */
export interface SampleChunk {
  t0Ns: number;
  periodNs: number;
  count: number;
  channels: Channel[];
  data: Float32Array[];
  /** One byte per sample, bit k = digital input k (meters with digitalInputs > 0). */
  digital?: Uint8Array;
  /** Device clock (µs) or sample counter of the first sample, when the device has one. */
  deviceTime?: number;
  /**
   * Device-side values that are not sample channels, read with this chunk: accumulators and status
   * (e.g. energyJ, chargeC, temperatureC, outputOn). Keys carry their SI unit; consumers may ignore them.
   */
  aux?: Record<string, number>;
}

/** A stretch of time with no data: lost samples, an unplugged cable, a reconnect. */
export interface MeterGap {
  startNs: number;
  endNs: number;
  /** Samples known or estimated to be missing (from a device counter, or from duration × rate). */
  lostSamples: number;
  reason: string;
}

export type MeterState = 'idle' | 'connecting' | 'streaming' | 'error' | 'closed';

export interface MeterStateEvent {
  state: MeterState;
  /** For 'error': one sentence naming the problem and the fix. Other states may carry a notice. */
  message?: string;
  /**
   * For 'error': false when retrying cannot help (a different device answers on the port); the
   * reconnect wrapper then stays in error instead of retrying. Default true (cable pulled, port gone).
   */
  retryable?: boolean;
}

export interface MeterCounters {
  samples: number;
  lostSamples: number;
  gaps: number;
  badFrames: number;
  reconnects: number;
}

export interface MeterEvents {
  chunk: SampleChunk;
  gap: MeterGap;
  state: MeterStateEvent;
}

export interface PowerMeter extends Pick<TypedEmitter<MeterEvents>, 'on' | 'off'> {
  /** Driver name, e.g. "sim", "ppk2". */
  readonly driver: string;
  /** The spec it was created from, e.g. "ppk2:/dev/ttyACM0". */
  readonly spec: string;
  /** Human-readable name; simulated meters say so ("Simulated meter (sim)"). */
  readonly label: string;
  readonly capabilities: MeterCapabilities;
  readonly state: MeterState;
  open(): Promise<void>;
  close(): Promise<void>;
  counters(): MeterCounters;
}

/** A serial port (or other source) found by discovery. */
export interface PortInfo {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
  /** How the port was found: 'serialport' (udev/OS listing) or 'scan' (device-node fallback). */
  source: 'serialport' | 'scan' | 'sysfs';
  /** Driver names that probably fit this port (from USB ids). */
  suggestedDrivers: string[];
}

/** Parsed meter spec: DRIVER[:PORT][@BAUD]. */
export interface MeterSpec {
  driver: string;
  port?: string;
  baudRate?: number;
  /** The spec as the user wrote it. */
  text: string;
}

/** One driver-specific setting, described so the Meters page and the CLI can offer it generically. */
export interface DriverSetting {
  key: string;
  label: string;
  type: 'number' | 'string' | 'boolean' | 'enum';
  default?: number | string | boolean;
  /** For 'enum'. */
  choices?: string[];
  unit?: string;
  min?: number;
  max?: number;
  help?: string;
}

export interface DriverInfo {
  name: string;
  description: string;
  simulated: boolean;
  /** Whether the spec must name a port. */
  needsPort: boolean;
  settings: DriverSetting[];
}

export interface MeterDriver extends DriverInfo {
  /** Options are driver-specific settings (validated by the driver; unknown keys are an error). */
  create(spec: MeterSpec, options?: Record<string, unknown>): PowerMeter;
  /** True when the driver is a likely fit for a discovered port (from USB ids). */
  suggestFor?(port: Omit<PortInfo, 'suggestedDrivers'>): boolean;
}
