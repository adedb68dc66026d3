import type { Command } from 'commander';
import { listPorts } from '../../meters/discovery';
import { listDrivers } from '../../meters/registry';

export function registerMetersCommand(program: Command): void {
  program
    .command('meters')
    .description('list serial ports (with suggested drivers) and the meter drivers this build knows')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const [ports, drivers] = [await listPorts(), listDrivers()];
      if (opts.json) {
        console.log(JSON.stringify({ ports, drivers }, null, 2));
        return;
      }
      console.log('Ports:');
      if (ports.length === 0) console.log('  (no serial ports found)');
      for (const p of ports) {
        const ids = p.vendorId ? ` [${p.vendorId}:${p.productId}]` : '';
        const who = p.manufacturer ? ` ${p.manufacturer}` : '';
        const hint = p.suggestedDrivers.length ? `  → try ${p.suggestedDrivers.map((d) => `${d}:${p.path}`).join(' or ')}` : '';
        console.log(`  ${p.path}${ids}${who}${hint}`);
      }
      console.log('\nDrivers (meter spec: DRIVER[:PORT][@BAUD]):');
      for (const d of drivers) {
        console.log(`  ${d.name.padEnd(9)} ${d.simulated ? '[SIMULATED] ' : ''}${d.description}`);
      }
    });
}
