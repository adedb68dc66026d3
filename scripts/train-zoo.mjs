// Trains the pretrained model zoo (scripts/lib/zoo-plan.mjs) in the background, resuming every
// unfinished run from its committed checkpoint and starting a gated model as soon as `static` is
// done. Logs go to .cache/logs/<name>.log. SIGINT/SIGTERM are passed on so every running job
// saves a checkpoint before the script exits.
//
//   node scripts/train-zoo.mjs [--jobs N] [--only a,b] [--dry-run]
//
// Needs the CLI bundle (npm run build, or node scripts/build-main.mjs).
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ZOO, modelState, runnable, trainArgs } from './lib/zoo-plan.mjs';
import { checkArgs } from './lib/script-args.mjs';

const root = resolve(import.meta.dirname, '..');
const USAGE = 'node scripts/train-zoo.mjs [--jobs N] [--only a,b] [--dry-run]';
const args = checkArgs(process.argv.slice(2), {
  usage: USAGE,
  about: "Trains or resumes every unfinished zoo model; --dry-run prints each model's state and command.",
  withValue: ['--jobs', '--only'],
  switches: ['--dry-run'],
});
const flag = args.value;
const jobs = Number(flag('--jobs') ?? 1);
if (!Number.isInteger(jobs) || jobs < 1) {
  console.error(`--jobs ${flag('--jobs')} is not a positive whole number; pass e.g. --jobs 2.`);
  process.exit(2);
}
const only = flag('--only')?.split(',');
const unknown = only?.filter((n) => !ZOO.some((e) => e.name === n)) ?? [];
if (unknown.length) {
  console.error(`Unknown zoo model ${unknown.join(', ')}; choose from ${ZOO.map((e) => e.name).join(', ')}.`);
  process.exit(2);
}
const zoo = only ? ZOO.filter((e) => only.includes(e.name)) : ZOO;
const cli = join(root, 'dist', 'main', 'cli.cjs');
if (!existsSync(cli)) {
  console.error(`${cli} is missing; run npm run build first.`);
  process.exit(2);
}

const statesNow = () => new Map(ZOO.map((e) => [e.name, modelState(root, e)]));

if (args.has('--dry-run')) {
  const states = statesNow();
  for (const e of zoo) console.log(`${e.name.padEnd(18)} ${states.get(e.name).padEnd(8)} node dist/main/cli.cjs ${trainArgs(e, states.get(e.name)).join(' ')}`);
  process.exit(0);
}

mkdirSync(join(root, '.cache', 'logs'), { recursive: true });
const running = new Map();
const failed = new Set();
let stopping = false;

function startReady() {
  if (stopping) return;
  const states = statesNow();
  for (const e of runnable(zoo, states, new Set([...running.keys(), ...failed]))) {
    if (running.size >= jobs) break;
    const log = join(root, '.cache', 'logs', `${e.name}.log`);
    const fd = openSync(log, 'a');
    const child = spawn(process.execPath, [cli, ...trainArgs(e, states.get(e.name))], { cwd: root, stdio: ['ignore', fd, fd] });
    running.set(e.name, child);
    console.log(`${new Date().toISOString()} start ${e.name} (${states.get(e.name)}), log ${log}`);
    child.on('exit', (code, signal) => {
      running.delete(e.name);
      console.log(`${new Date().toISOString()} ${e.name} exited ${signal ?? code}`);
      if (code !== 0 && !stopping) {
        // Not retried: a run that fails once fails again the same way; the log says why.
        failed.add(e.name);
        console.log(`${e.name} failed; see ${log}. The others go on.`);
      } else if (!stopping && modelState(root, e) !== 'done') {
        // Exit 0 without a finished model: the run was interrupted from outside (SIGINT/SIGTERM to
        // the trainer itself). Someone wants it stopped; restarting it would undo that.
        failed.add(e.name);
        console.log(`${e.name} stopped before finishing (interrupted from outside); not restarted. Its checkpoint resumes next time.`);
      }
      startReady();
      if (running.size === 0) finish();
    });
  }
  if (running.size === 0) finish();
}

function finish() {
  const states = statesNow();
  console.log(zoo.map((e) => `${e.name}: ${states.get(e.name)}`).join('\n'));
  process.exit(0);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopping = true;
    console.log(`${sig}: asking ${running.size} run(s) to checkpoint and stop`);
    for (const child of running.values()) child.kill('SIGINT');
  });
}
startReady();
