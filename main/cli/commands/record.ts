import type { Command } from 'commander';
import { validateMeterSpec } from '../../meters/registry';
import { parseDurationSeconds } from '../../util/clock';
import { UserError } from '../../util/errors';
import { formatSi, openCore, progressLine } from '../context';

export function registerRecordCommand(program: Command): void {
  program
    .command('record')
    .description('record a power-only session from a meter')
    .requiredOption('--meter <spec>', 'meter spec DRIVER[:PORT][@BAUD], e.g. sim or ppk2:/dev/ttyACM0')
    .option('--duration <time>', 'how long to record (10s, 2m, ...)', '10s')
    .option('--name <name>', 'session name')
    .option('--notes <text>', 'free-text notes stored with the session')
    .option('--set <key=value...>', 'driver setting, repeatable (e.g. --set rateHz=20000)')
    .option('--json', 'print the session summary as JSON')
    .action(async (opts: { meter: string; duration: string; name?: string; notes?: string; set?: string[]; json?: boolean }, cmd: Command) => {
      let seconds: number;
      try {
        seconds = parseDurationSeconds(opts.duration);
      } catch (e) {
        throw new UserError((e as Error).message, 'bad-duration');
      }
      if (!(seconds > 0)) throw new UserError('The duration must be more than zero; write it like 10s or 2m.', 'bad-duration');
      const settings = parseSettings(opts.set ?? []);
      validateMeterSpec(opts.meter); // a bad spec fails before the database is opened or created
      const core = openCore(cmd);
      try {
        const meter = await core.connect(opts.meter, settings);
        if (meter.simulated) process.stderr.write(`NOTE: ${meter.label}. Values are SIMULATED.\n`);
        const session = core.startRecording(opts.name, opts.notes);
        const progress = progressLine();
        const started = Date.now();
        // SIGINT (Ctrl-C) and SIGTERM end the recording like a stop: flushed, closed, status written.
        let signal: NodeJS.Signals | undefined;
        const onSignal = (s: NodeJS.Signals): void => {
          signal = s;
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          while (!signal && Date.now() - started < seconds * 1000) {
            await new Promise((r) => setTimeout(r, 100));
            const s = core.meterStatus();
            const elapsed = (Date.now() - started) / 1000;
            progress.update(
              `recording session ${session.id}: ${elapsed.toFixed(1)}/${seconds}s  ${s?.counters.samples ?? 0} samples  ${s?.state ?? ''}`,
            );
          }
          progress.done();
          const early = signal ? `Stopped early by ${signal} at ${((Date.now() - started) / 1000).toFixed(1)} s of ${seconds} s.` : undefined;
          const summary = await core.stopRecording(early);
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
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      } finally {
        await core.close();
      }
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
