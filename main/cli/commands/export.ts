import type { Command } from 'commander';
import { resolve } from 'node:path';
import { UserError } from '../../util/errors';
import { openCore } from '../context';

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('export a session as CSV (samples) or JSON (session, summary, gaps, markers)')
    .argument('<session>', 'session id (see "ddi-profiler sessions")')
    .requiredOption('--out <path>', 'file to write')
    .option('--format <format>', 'csv or json', 'csv')
    .action(async (session: string, opts: { out: string; format: string }, cmd: Command) => {
      const id = Number(session);
      if (!Number.isInteger(id) || id <= 0) {
        throw new UserError(`"${session}" is not a session id; run "ddi-profiler sessions" to list them.`, 'no-session');
      }
      if (opts.format !== 'csv' && opts.format !== 'json') {
        throw new UserError(`Unknown export format "${opts.format}"; use --format csv or --format json.`, 'bad-format');
      }
      const core = openCore(cmd);
      try {
        const out = resolve(opts.out);
        await core.exportSession(id, opts.format, out);
        console.log(`Wrote ${out}`);
      } finally {
        await core.close();
      }
    });
}
