import type { Command } from 'commander';
import { resolve } from 'node:path';
import { UserError } from '../../util/errors';
import { sessionTimeArg } from '../args';
import { openCore } from '../context';

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('export a session as CSV (samples or inferences) or JSON (session, summary, gaps, markers, inferences)')
    .argument('<session>', 'session id (see "ddi-profiler sessions")')
    .requiredOption('--out <path>', 'file to write (never the database itself; an existing file only with --force)')
    .option('--format <format>', 'csv or json', 'csv')
    .option('--what <table>', 'CSV only: samples (default) or inferences (one row per inference of a profiling run)')
    .option('--force', 'replace an existing file')
    .option('--from <time>', 'only from this time from the session start (1.5s, 250ms); default 0')
    .option('--to <time>', 'only up to this time; default the end of the session')
    .action(async (session: string, opts: { out: string; format: string; what?: string; force?: boolean; from?: string; to?: string }, cmd: Command) => {
      const id = Number(session);
      if (!Number.isInteger(id) || id <= 0) {
        throw new UserError(`"${session}" is not a session id; run "ddi-profiler sessions" to list them.`, 'no-session');
      }
      if (opts.format !== 'csv' && opts.format !== 'json') {
        throw new UserError(`Unknown export format "${opts.format}"; use --format csv or --format json.`, 'bad-format');
      }
      if (opts.what !== undefined && opts.what !== 'samples' && opts.what !== 'inferences') {
        throw new UserError(`Unknown table "${opts.what}" for --what; use --what samples or --what inferences.`, 'bad-format');
      }
      if (opts.what !== undefined && opts.format === 'json') {
        throw new UserError('--what selects the CSV table; drop it for --format json, which holds the session, gaps, markers and inferences.', 'bad-format');
      }
      const table = opts.what ?? 'samples';
      const fromS = sessionTimeArg('--from', opts.from);
      const toS = sessionTimeArg('--to', opts.to);
      const range = fromS === undefined && toS === undefined ? undefined : { ...(fromS !== undefined ? { fromS } : {}), ...(toS !== undefined ? { toS } : {}) };
      const core = openCore(cmd);
      try {
        const out = resolve(opts.out);
        await core.exportSession(id, opts.format, out, { force: opts.force === true, table, ...(range ? { range } : {}) });
        console.log(`Wrote ${out}`);
      } finally {
        await core.close();
      }
    });
}
