// Host CPU of a PPK2 stream at 100 kS/s against the driver's read interval (`npm run bench:read-pacing`).
// The device is bench/lib/ppk2-sched-emulator.mjs on a socat pty, which writes one 64-byte USB packet
// per 160 µs as a PPK2 does (bench:ingest's emulator writes 10 ms at a time, which hides the cost of a
// read per packet). Per setting: CPU of this process and of its main thread, and the rate received.
//   npm run bench:read-pacing -- [SECONDS=8] [INTERVALS_MS=0,2,5,10]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PtyPair } from '../tests/unit/meters/helpers/pty-pair';
import { Ppk2Meter } from '../main/meters/ppk2/ppk2-meter';

const SECONDS = Number(process.argv[2] ?? 8);
const INTERVALS = (process.argv[3] ?? '0,2,5,10').split(',').map(Number);

function mainThreadCpuS(): number {
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(x[11]) + Number(x[12])) / 100;
}

async function one(intervalMs: number): Promise<void> {
  const pty = await PtyPair.create();
  const emu = spawn(
    process.execPath,
    ['bench/lib/ppk2-sched-emulator.mjs', '--device', pty.devicePath, '--truth', `/tmp/read-pacing-${intervalMs}`, '--poll-us', '200'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((r) => emu.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && r()));
  const meter = new Ppk2Meter('ppk2:bench', pty.hostPath, { readIntervalMs: intervalMs });
  let samples = 0;
  let lost = 0;
  meter.on('chunk', (c) => (samples += c.count));
  meter.on('gap', (g) => (lost += g.lostSamples));
  await meter.open();
  await new Promise((r) => setTimeout(r, 1000));
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpuS();
  const s0 = samples;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const c1 = process.cpuUsage(c0);
  const m1 = mainThreadCpuS();
  const got = samples - s0;
  await meter.close();
  emu.stdin!.write('quit\n');
  await new Promise((r) => emu.once('exit', r));
  await pty.dispose();
  console.log(
    `interval ${intervalMs} ms: process ${((100 * (c1.user + c1.system)) / 1e6 / SECONDS).toFixed(1)} % of a core, main thread ${((100 * (m1 - m0)) / SECONDS).toFixed(1)} %, ${(got / SECONDS / 1000).toFixed(1)} kS/s, lost ${lost}`,
  );
}

void (async () => {
  for (const i of INTERVALS) await one(i);
})();
