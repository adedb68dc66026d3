import type { Command } from 'commander';
import { listOnboardSensors, listPorts, probePort, type ProbeResult } from '../../meters/discovery';
import { listDrivers } from '../../meters/registry';

export function registerMetersCommand(program: Command): void {
  program
    .command('meters')
    .description('list serial ports (with suggested drivers) and the meter drivers this build knows')
    .option('--json', 'print JSON')
    .option('--probe [port]', 'ask every listed port (or only PORT) which meter answers; this sends bytes to the ports')
    .action(async (opts: { json?: boolean; probe?: boolean | string }) => {
      const [ports, drivers] = [await listPorts(), listDrivers()];
      // Probing writes to ports (PPK2/UM requests, *IDN?), so it only runs when asked for.
      const probed = new Map<string, ProbeResult[]>();
      if (opts.probe) {
        const targets = typeof opts.probe === 'string' ? [opts.probe] : ports.map((p) => p.path);
        for (const t of targets) probed.set(t, await probePort(t));
      }
      const sensors = listOnboardSensors();
      if (opts.json) {
        console.log(JSON.stringify({ ports, sensors, drivers, ...(opts.probe ? { probed: Object.fromEntries(probed) } : {}) }, null, 2));
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
      for (const [path, results] of probed) {
        const r = results[0];
        console.log(r ? `  probe ${path}: ${r.detail}  → use ${r.driver}:${path}@${r.baudRate}` : `  probe ${path}: no known meter answered`);
      }
      if (sensors.length) {
        console.log('\nOn-board sensors:');
        for (const s of sensors) console.log(`  ${s.spec.padEnd(36)} ${s.description}`);
      }
      console.log('\nDrivers (meter spec: DRIVER[:PORT][@BAUD]):');
      for (const d of drivers) {
        console.log(`  ${d.name.padEnd(9)} ${d.simulated ? '[SIMULATED] ' : ''}${d.description}`);
      }
    });
}
