import type { Command } from 'commander';
import { importFile } from '../../import/session-import';
import { openCore } from '../context';

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description('import a CSV (time + current/voltage/power columns) or an nRF Connect Power Profiler .ppk2 file as a new session; prints its id')
    .argument('<file>', 'a .csv file with a header row (e.g. time_s,current_A) or a .ppk2 file')
    .option('--name <name>', 'session name (default: the file name)')
    .option('--json', 'print {id, samples, gaps, durationS, format} as JSON')
    .action(async (file: string, opts: { name?: string; json?: boolean }, cmd: Command) => {
      const core = openCore(cmd);
      try {
        const r = await importFile(core.db, file, opts.name !== undefined ? { name: opts.name } : {});
        // The id alone on stdout, so scripts can capture it; details on stderr.
        if (opts.json) console.log(JSON.stringify(r));
        else {
          console.log(String(r.id));
          process.stderr.write(
            `Imported ${r.samples} samples (${r.durationS.toFixed(3)} s, ${r.gaps} ${r.gaps === 1 ? 'gap' : 'gaps'}) from ${file} as session ${r.id}.\n`,
          );
        }
      } finally {
        await core.close();
      }
    });
}
