/**
 * ddi-profiler: the command-line face of the same core the desktop app uses.
 * Errors caused by the user's input print one sentence and exit 1; anything else is a bug and
 * prints its stack.
 */
import { Command } from 'commander';
import { APP_VERSION } from '../core/version';
import { isUserError } from '../util/errors';
import { registerExportCommand } from './commands/export';
import { registerImportCommand } from './commands/import';
import { registerMetersCommand } from './commands/meters';
import { registerRecordCommand } from './commands/record';
import { registerServeCommand } from './commands/serve';
import { registerSessionsCommand } from './commands/sessions';
import { registerStatsCommand } from './commands/stats';
import { registerTrainCommand } from './commands/train';
import { registerEvalCommand } from './commands/eval';
import { registerInferCommand } from './commands/infer';
import { registerProfileCommand } from './commands/profile';
import { registerBudgetsCommand } from './commands/budgets';
import { registerCalibrateCommand } from './commands/calibrate';
import { registerSweepCommand } from './commands/sweep';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('ddi-profiler')
    .description('Profile Dual Dynamic Inference networks against real power meters')
    .version(APP_VERSION)
    .option('--db <path>', 'database file (default: $DDI_PROFILER_DB or the app-data folder)')
    .showHelpAfterError();
  registerMetersCommand(program);
  registerRecordCommand(program);
  registerSessionsCommand(program);
  registerStatsCommand(program);
  registerExportCommand(program);
  registerImportCommand(program);
  registerServeCommand(program);
  registerTrainCommand(program);
  registerEvalCommand(program);
  registerInferCommand(program);
  registerProfileCommand(program);
  registerBudgetsCommand(program);
  registerCalibrateCommand(program);
  registerSweepCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return 0;
    if (typeof code === 'string' && code.startsWith('commander.')) return 1; // commander already printed it
    if (isUserError(e)) {
      process.stderr.write(`Error: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`Unexpected error (please report it): ${(e as Error).stack ?? String(e)}\n`);
    return 2;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    if (code !== 0) process.exitCode = code;
  });
}
