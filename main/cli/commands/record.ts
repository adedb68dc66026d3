import type { Command } from 'commander';
import { validateMeterSpec } from '../../meters/registry';
import { monotonicNs, parseDurationSeconds } from '../../util/clock';
import { UserError } from '../../util/errors';
import { formatSi } from '../context';
import { withMeter } from '../metered';
import { secondsOption } from '../options';
import { MAX_HOLDOFF_S, MAX_PRETRIGGER_S, parseTrigger } from '../../session/trigger';
import type { AppCore } from '../../core/app-core';

export function registerRecordCommand(program: Command): void {
  program
    .command('record')
    .description('record a power-only session from a meter')
    .requiredOption('--meter <spec>', 'meter spec DRIVER[:PORT][@BAUD], e.g. sim or ppk2:/dev/ttyACM0')
    .option('--duration <time>', 'how long to record (10s, 2m, ...)', '10s')
    .option('--name <name>', 'session name')
    .option('--notes <text>', 'free-text notes stored with the session')
    .option('--set <key=value...>', 'driver setting, repeatable (e.g. --set rateHz=20000)')
    .option('--trigger <cond>', 'start when a condition is met: power>0.5W, current<10mA, D3 rising (--duration counts from it)')
    .option('--trigger-stop <cond>', 'stop when a condition is met (at most --duration after the start)')
    .option('--holdoff <time>', 'ignore trigger crossings this long after arming, and the stop this long after the start', '0s')
    .option('--pretrigger <time>', 'also keep this much from before the start trigger (at most 10s)', '0s')
    .option('--json', 'print the session summary as JSON')
    .action(async (opts: RecordOptions, cmd: Command) => {
      let seconds: number;
      try {
        seconds = parseDurationSeconds(opts.duration);
      } catch (e) {
        throw new UserError((e as Error).message, 'bad-duration');
      }
      if (!(seconds > 0)) throw new UserError('The duration must be more than zero; write it like 10s or 2m.', 'bad-duration');
      const settings = parseSettings(opts.set ?? []);
      const trigger = triggerOptions(opts);
      validateMeterSpec(opts.meter); // a bad spec fails before the database is opened or created
      // SIGINT (Ctrl-C) and SIGTERM end the recording like a stop: flushed, closed, status written.
      await withMeter(cmd, { spec: opts.meter, settings }, async ({ core, progress, signal }) => {
        const early0 = signal();
        if (early0) throw new UserError(`Stopped by ${early0} before the recording started; nothing was recorded.`, 'cancelled');
        const session = trigger ? await waitForTrigger(core, trigger, opts.name, signal) : core.startRecording(opts.name, opts.notes);
        // Monotonic, like the session's own times: the wall clock can be stepped while recording.
        const started = monotonicNs() / 1e6;
        while (!signal() && monotonicNs() / 1e6 - started < seconds * 1000 && !stopFired(core)) {
          await new Promise((r) => setTimeout(r, 100));
          const s = core.meterStatus();
          const elapsed = (monotonicNs() / 1e6 - started) / 1000;
          progress.update(`recording session ${session.id}: ${elapsed.toFixed(1)}/${seconds}s  ${s?.counters.samples ?? 0} samples  ${s?.state ?? ''}`);
        }
        progress.done();
        const sig = signal();
        const early = sig ? `Stopped early by ${sig} at ${((monotonicNs() / 1e6 - started) / 1000).toFixed(1)} s of ${seconds} s.` : undefined;
        const summary = stopFired(core) ? await core.call('sessions.get', { id: session.id }) : await core.stopRecording(early);
        if (opts.json) {
          console.log(JSON.stringify(summary, null, 2));
        } else {
          console.log(
            `Session ${summary.id} "${summary.name}"${summary.meter?.simulated ? ' [SIMULATED]' : ''}: ` +
              `${summary.durationS.toFixed(2)} s, ${summary.samples} samples, mean ${formatSi(summary.meanPowerW, 'W')}, ` +
              `energy ${formatSi(summary.energyJ, 'J')}, ${summary.gaps} gaps${early ? ` (${early})` : ''}.`,
          );
        }
        if (summary.status === 'incomplete') {
          throw new UserError(`Session ${summary.id} is incomplete: ${summary.statusReason ?? 'the meter stopped early'}`, 'session-incomplete');
        }
      });
    });
}

export function parseSettings(pairs: string[]): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UserError(`"--set ${pair}" is not KEY=VALUE; write it like --set rateHz=20000.`, 'bad-setting');
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    out[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

interface RecordOptions {
  meter: string;
  duration: string;
  name?: string;
  notes?: string;
  set?: string[];
  json?: boolean;
  trigger?: string;
  triggerStop?: string;
  holdoff: string;
  pretrigger: string;
}

interface TriggerRequest {
  start: string | null;
  stop: string | null;
  holdoffS: number;
  pretriggerS: number;
}

/** The trigger options, checked before anything is opened; undefined when none was given. */
function triggerOptions(opts: RecordOptions): TriggerRequest | undefined {
  const holdoffS = secondsOption(opts.holdoff, 'holdoff', 0, MAX_HOLDOFF_S);
  const pretriggerS = secondsOption(opts.pretrigger, 'pretrigger', 0, MAX_PRETRIGGER_S);
  if (!opts.trigger && !opts.triggerStop) {
    if (holdoffS > 0 || pretriggerS > 0)
      throw new UserError('--holdoff and --pretrigger need --trigger or --trigger-stop; add one, e.g. --trigger "power>0.5W".', 'bad-trigger');
    return undefined;
  }
  if (pretriggerS > 0 && !opts.trigger) throw new UserError('--pretrigger needs a start condition; add --trigger, e.g. --trigger "power>0.5W".', 'bad-trigger');
  if (opts.trigger) parseTrigger(opts.trigger);
  if (opts.triggerStop) parseTrigger(opts.triggerStop);
  return { start: opts.trigger ?? null, stop: opts.triggerStop ?? null, holdoffS, pretriggerS };
}

/** Arms the trigger and waits for the session it starts (a signal while armed records nothing). */
async function waitForTrigger(core: AppCore, t: TriggerRequest, name: string | undefined, signal: () => NodeJS.Signals | undefined): Promise<{ id: number }> {
  const status = core.armTrigger({ ...t, ...(name ? { name } : {}) });
  if (status.phase === 'armed') process.stderr.write(`Armed: waiting for ${t.start}${t.holdoffS ? ` (hold-off ${t.holdoffS} s)` : ''}… Ctrl-C to give up.\n`);
  for (;;) {
    const s = core.triggerState();
    if (s && s.sessionId !== null) {
      if (s.start) process.stderr.write(`Triggered: session ${s.sessionId} started ${formatSi(s.triggerAtS ?? 0, 's')} before the crossing.\n`);
      return { id: s.sessionId };
    }
    if (s?.phase === 'failed') throw new UserError(s.message ?? 'The trigger failed.', 'trigger-failed');
    const sig = signal();
    if (sig) {
      core.disarmTrigger();
      throw new UserError(`The trigger ${t.start} did not fire before ${sig}; nothing was recorded.`, 'not-triggered');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True once a stop trigger has ended the session. */
function stopFired(core: AppCore): boolean {
  const s = core.triggerState();
  return s !== null && s.stop !== null && s.stopAtS !== null && (s.phase === 'done' || s.phase === 'failed');
}
