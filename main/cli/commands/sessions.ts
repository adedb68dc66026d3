import type { Command } from 'commander';
import { formatSi, openCore } from '../context';

export function registerSessionsCommand(program: Command): void {
  program
    .command('sessions')
    .description('list recorded sessions')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const core = openCore(cmd);
      try {
        const sessions = await core.call('sessions.list', {});
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
              `${s.meter?.spec ?? '—'}${s.meter?.simulated ? ' [SIMULATED]' : ''}`,
          );
          if (s.damaged) console.log(`      DAMAGED: ${s.damaged}`);
        }
      } finally {
        await core.close();
      }
    });
}
