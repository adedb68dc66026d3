/**
 * The frame every measuring command shares (record, profile, calibrate, sweep): the core on the
 * chosen database, SIGINT/SIGTERM turned into a request to stop, the meter connected (with the
 * SIMULATED note on stderr), optionally the engine worker, a progress line, and everything closed
 * in order however the command ends. Options are checked by the caller before this opens anything.
 */
import type { Command } from 'commander';
import type { AppCore } from '../core/app-core';
import type { BackendName } from '../ddi/backend';
import { EngineWorkerHost } from '../ddi/worker/host';
import { openCore, progressLine } from './context';

export interface MeteredContext {
  core: AppCore;
  meter: { label: string; simulated: boolean };
  progress: ReturnType<typeof progressLine>;
  /** The signal that asked the command to stop, if one has arrived. */
  signal(): NodeJS.Signals | undefined;
  /** `fn` runs when a signal arrives, or at once if one already has. */
  onSignal(fn: (s: NodeJS.Signals) => void): void;
}

export interface MeterRequest {
  spec: string;
  settings: Record<string, number | string | boolean>;
}

/** Runs `body` with the meter connected. */
export async function withMeter<T>(cmd: Command, meter: MeterRequest, body: (ctx: MeteredContext) => Promise<T>): Promise<T> {
  const core = openCore(cmd);
  const progress = progressLine();
  let received: NodeJS.Signals | undefined;
  const listeners: ((s: NodeJS.Signals) => void)[] = [];
  const onProcessSignal = (s: NodeJS.Signals): void => {
    received ??= s;
    for (const fn of listeners.splice(0)) fn(s);
  };
  process.on('SIGINT', onProcessSignal);
  process.on('SIGTERM', onProcessSignal);
  try {
    const connected = await core.connect(meter.spec, meter.settings);
    if (connected.simulated) process.stderr.write(`NOTE: ${connected.label}. Values are SIMULATED.\n`);
    return await body({
      core,
      meter: { label: connected.label, simulated: connected.simulated },
      progress,
      signal: () => received,
      onSignal: (fn) => (received ? fn(received) : listeners.push(fn)),
    });
  } finally {
    progress.done();
    process.off('SIGINT', onProcessSignal);
    process.off('SIGTERM', onProcessSignal);
    await core.close();
  }
}

/** Runs `body` with the meter connected and the engine worker on `backend` (undefined: the fastest available). */
export async function withMeterAndEngine<T>(
  cmd: Command,
  meter: MeterRequest,
  backend: BackendName | undefined,
  body: (ctx: MeteredContext & { engine: EngineWorkerHost }) => Promise<T>,
): Promise<T> {
  return withMeter(cmd, meter, async (ctx) => {
    // The worker starts on first use; it is closed before the core (and its meter) are.
    const engine = new EngineWorkerHost(backend ? { backend } : {});
    try {
      return await body({ ...ctx, engine });
    } finally {
      await engine.close();
    }
  });
}
