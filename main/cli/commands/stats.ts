import type { Command } from 'commander';
import type { SelectionStatsDto } from '../../api/contract';
import { sessionIdArg, sessionTimeArg } from '../args';
import { formatSi, openCore } from '../context';
import { cliCall } from '../core-call';

export function registerStatsCommand(program: Command): void {
  program
    .command('stats')
    .description('statistics of a session or a time range of it, exact from the stored samples: mean/min/max, charge, energy, gaps')
    .argument('<session>', 'session id (see "ddi-profiler sessions")')
    .option('--from <time>', 'start of the range from the session start (1.5s, 250ms); default 0')
    .option('--to <time>', 'end of the range; default the end of the session')
    .option('--json', 'print JSON')
    .action(async (session: string, opts: { from?: string; to?: string; json?: boolean }, cmd: Command) => {
      const id = sessionIdArg(session);
      const fromS = sessionTimeArg('--from', opts.from);
      const toS = sessionTimeArg('--to', opts.to);
      const core = openCore(cmd);
      try {
        const stats = await cliCall(core, 'sessions.stats', { id, ...(fromS !== undefined ? { fromS } : {}), ...(toS !== undefined ? { toS } : {}) });
        console.log(opts.json ? JSON.stringify(stats, null, 2) : formatStats(stats).join('\n'));
      } finally {
        await core.close();
      }
    });
}

export function formatStats(s: SelectionStatsDto): string[] {
  const lines = [`Session ${s.sessionId}: ${s.fromS.toFixed(6)} s – ${s.toS.toFixed(6)} s (Δt ${s.durationS.toFixed(6)} s), ${s.samples} samples`];
  const row = (name: string, c: SelectionStatsDto['current'], unit: string, note = '') => {
    if (c)
      lines.push(
        `  ${name.padEnd(8)} mean ${formatSi(c.mean, unit, 5).padStart(12)}  min ${formatSi(c.min, unit, 5).padStart(12)}  max ${formatSi(c.max, unit, 5).padStart(12)}${note}`,
      );
  };
  row('current', s.current, 'A');
  row('voltage', s.voltage, 'V');
  row(
    'power',
    s.power,
    'W',
    s.powerSource === 'nominal-voltage' ? `  (current × ${s.nominalVoltageV} V assumed: the meter's supply set-point, not measured)` : '',
  );
  if (s.chargeC !== null) lines.push(`  charge   ${formatSi(s.chargeC, 'C', 6)} (${formatSi(s.chargeMAh! / 1000, 'Ah', 6)})`);
  if (s.energyJ !== null) lines.push(`  energy   ${formatSi(s.energyJ, 'J', 6)} (${formatSi(s.energyWh, 'Wh', 6)})`);
  if (!s.power && s.current) lines.push('  power    — (current only and no known supply voltage)');
  if (s.uncoveredS > 1e-9 || s.gaps.length > 0) {
    lines.push(`  not covered by samples: ${s.uncoveredS.toFixed(6)} s, left out of the figures above`);
    for (const g of s.gaps) {
      lines.push(`    gap ${g.startS.toFixed(6)} s – ${g.endS.toFixed(6)} s: ${g.reason}${g.lostSamples ? `, ${g.lostSamples} samples lost` : ''}`);
    }
  }
  return lines;
}
