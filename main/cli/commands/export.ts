import type { Command } from 'commander';
import { resolve } from 'node:path';
import { UserError } from '../../util/errors';
import { sessionTimeArg } from '../args';
import { openCore } from '../context';

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      'export a session as CSV or Parquet (samples, inferences or markers), JSON (session, summary, gaps, markers, inferences; samples with --samples) or a self-contained HTML report',
    )
    .argument('<session>', 'session id (see "ddi-profiler sessions")')
    .requiredOption('--out <path>', 'file to write (never the database itself; an existing file only with --force)')
    .option('--format <format>', 'csv, json, parquet or html', 'csv')
    .option('--what <table>', 'CSV and Parquet: samples (default), inferences (one row per inference of a profiling run) or markers')
    .option('--samples', 'JSON only: include every sample ({columns, rows}; large for long sessions)')
    .option('--force', 'replace an existing file')
    .option('--from <time>', 'only from this time from the session start (1.5s, 250ms); default 0')
    .option('--to <time>', 'only up to this time; default the end of the session')
    .action(
      async (
        session: string,
        opts: { out: string; format: string; what?: string; samples?: boolean; force?: boolean; from?: string; to?: string },
        cmd: Command,
      ) => {
        const id = Number(session);
        if (!Number.isInteger(id) || id <= 0) {
          throw new UserError(`"${session}" is not a session id; run "ddi-profiler sessions" to list them.`, 'no-session');
        }
        const format = opts.format;
        if (format !== 'csv' && format !== 'json' && format !== 'parquet' && format !== 'html') {
          throw new UserError(`Unknown export format "${format}"; use --format csv, json, parquet or html.`, 'bad-format');
        }
        const what = opts.what;
        if (what !== undefined && what !== 'samples' && what !== 'inferences' && what !== 'markers') {
          throw new UserError(`Unknown table "${what}" for --what; use --what samples, inferences or markers.`, 'bad-format');
        }
        if (what !== undefined && (format === 'json' || format === 'html')) {
          throw new UserError(
            `--what selects the CSV or Parquet table; drop it for --format ${format}, which holds the session, gaps, markers and inferences.`,
            'bad-format',
          );
        }
        if (opts.samples && format !== 'json') {
          throw new UserError(
            `--samples adds the samples to a JSON export; drop it for --format ${format}${format === 'html' ? '' : ', whose samples table is the default'}.`,
            'bad-format',
          );
        }
        const table = what ?? 'samples';
        const fromS = sessionTimeArg('--from', opts.from);
        const toS = sessionTimeArg('--to', opts.to);
        const range =
          fromS === undefined && toS === undefined ? undefined : { ...(fromS !== undefined ? { fromS } : {}), ...(toS !== undefined ? { toS } : {}) };
        const core = openCore(cmd);
        try {
          const out = resolve(opts.out);
          await core.exportSession(id, format, out, {
            force: opts.force === true,
            table,
            ...(opts.samples ? { samples: true } : {}),
            ...(range ? { range } : {}),
          });
          console.log(`Wrote ${out}`);
        } finally {
          await core.close();
        }
      },
    );
}
