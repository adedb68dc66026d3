import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { UserError } from '../../util/errors';
import { sessionIdArg } from '../args';
import { formatSi, openCore } from '../context';
import { cliCall } from '../core-call';

export function registerSessionsCommand(program: Command): void {
  const sessions = program
    .command('sessions')
    .description('list recorded sessions; rename, note or delete one')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const core = openCore(cmd);
      try {
        const sessions = await cliCall(core, 'sessions.list', {});
        if (opts.json) {
          console.log(JSON.stringify(sessions, null, 2));
          return;
        }
        if (sessions.length === 0) {
          console.log('No sessions yet. Record one with: ddi-profiler record --meter sim --duration 10s');
          return;
        }
        console.log('  id  status       started              duration  samples     mean power  energy      meter');
        for (const s of sessions) {
          console.log(
            `${String(s.id).padStart(4)}  ${s.status.padEnd(11)}  ${s.startedAt.replace('T', ' ').slice(0, 19)}  ` +
              `${(s.durationS.toFixed(1) + ' s').padStart(8)}  ${String(s.samples).padStart(9)}  ` +
              `${formatSi(s.meanPowerW, 'W').padStart(10)}  ${formatSi(s.energyJ, 'J').padStart(10)}  ` +
              `${s.meter?.spec ?? '—'}${s.meter?.simulated ? ' [SIMULATED]' : ''}${s.meter?.driver === 'import' ? ' [IMPORTED]' : ''}`,
          );
          if (s.statusReason && s.status !== 'complete') console.log(`      ${s.status}: ${s.statusReason}`);
          if (s.damaged) console.log(`      DAMAGED: ${s.damaged}`);
        }
      } finally {
        await core.close();
      }
    });

  sessions
    .command('rename')
    .description('give a session a new name')
    .argument('<session>', 'session id')
    .argument('<name>', 'the new name')
    .action(async (session: string, name: string, _opts: unknown, cmd: Command) => {
      const id = sessionIdArg(session);
      const core = openCore(cmd);
      try {
        const s = await cliCall(core, 'sessions.update', { id, name });
        console.log(`Session ${id} is now "${s.name}".`);
      } finally {
        await core.close();
      }
    });

  sessions
    .command('note')
    .description('replace a session\'s notes ("" clears them)')
    .argument('<session>', 'session id')
    .argument('<text>', 'the notes')
    .action(async (session: string, text: string, _opts: unknown, cmd: Command) => {
      const id = sessionIdArg(session);
      const core = openCore(cmd);
      try {
        await cliCall(core, 'sessions.update', { id, notes: text });
        console.log(text === '' ? `Cleared the notes of session ${id}.` : `Saved the notes of session ${id}.`);
      } finally {
        await core.close();
      }
    });

  sessions
    .command('rm')
    .description('delete a session with all its samples, gaps, markers and inferences, and give the space back')
    .argument('<session>', 'session id')
    .option('--yes', 'do not ask for confirmation')
    .action(async (session: string, opts: { yes?: boolean }, cmd: Command) => {
      const id = sessionIdArg(session);
      const core = openCore(cmd);
      try {
        const s = await cliCall(core, 'sessions.get', { id });
        if (!opts.yes) {
          const what = `session ${id} "${s.name}" (${s.samples} samples, ${s.durationS.toFixed(1)} s)`;
          if (!process.stdin.isTTY) {
            throw new UserError(`Deleting ${what} cannot be undone; run the command again with --yes to confirm.`, 'needs-confirmation');
          }
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          const answer = await rl.question(`Delete ${what}? This cannot be undone. [y/N] `);
          rl.close();
          if (!/^y(es)?$/i.test(answer.trim())) {
            console.log('Nothing deleted.');
            return;
          }
        }
        const out = await cliCall(core, 'sessions.delete', { id });
        const space =
          out.reclaimed === 'later'
            ? 'its space is reused by the next recordings and given back at the next delete while nothing records'
            : `${bytes(out.freedBytes)} given back (${out.reclaimed === 'vacuum' ? 'VACUUM' : 'incremental vacuum'})`;
        console.log(`Deleted session ${id} "${s.name}"; ${space}.`);
      } finally {
        await core.close();
      }
    });
}

function bytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.round(n / 1e3)} kB`;
}
