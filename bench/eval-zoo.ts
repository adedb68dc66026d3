// Whole-command eval of the shipped zoo on ONNX Runtime vs tfjs wasm (`npm run bench:eval`): for every
// model in data/models, `ddi-profiler eval --dataset fashion-mnist --json` (the 10 000 test images,
// the model's default mode) on `--backend ort` and on `--backend wasm`, one after the other, timed by
// GNU time (wall clock, user + system CPU, peak RSS) around the built CLI, so start-up, model load,
// data set load and the per-exit pass count as the user waits for them. The two JSON reports are
// compared field by field. The table goes into docs/benchmarks.md between the bench:eval markers.
// Options: node scripts/run-ts.mjs bench/eval-zoo.ts [--limit N] [--batch-size N] [--model NAME ...] [--reports DIR] [--no-write]
// (--reports keeps each JSON report as DIR/NAME-BACKEND.json, e.g. to compare with another build)
// Needs `npm run build:main` first (it times dist/main/cli.cjs) and /usr/bin/time (Debian: apt-get install time).
import { cpus, loadavg, totalmem } from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const write = !args.includes('--no-write');
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const limit = flag('--limit');
/** Both backends at this batch size; without it each runs at the CLI's default for it (8 on ort, 32 on wasm). */
const batchSize = flag('--batch-size');
const only = args.flatMap((a, i) => (a === '--model' ? [args[i + 1]!] : []));
const reportsDir = flag('--reports');
const CLI = 'dist/main/cli.cjs';
const TIME = '/usr/bin/time';
const BACKENDS = ['ort', 'wasm'] as const;
type Backend = (typeof BACKENDS)[number];

interface Timed {
  wallS: number;
  cpuS: number;
  rssMb: number;
  load: number;
  report: unknown;
}

function sh(cmd: string, cmdArgs: string[]): string {
  try {
    return execFileSync(cmd, cmdArgs, { encoding: 'utf8' });
  } catch {
    return '';
  }
}

/** GNU time's -v field, e.g. "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:08.85". */
function timeField(text: string, key: string): string {
  const line = text.split('\n').find((l) => l.trim().startsWith(key));
  if (!line) throw new Error(`no "${key}" in the output of ${TIME} -v`);
  return line.slice(line.lastIndexOf(': ') + 2).trim();
}

function seconds(clock: string): number {
  return clock.split(':').reduce((s, part) => s * 60 + Number(part), 0);
}

function evalOnce(model: string, backend: Backend): Timed {
  const load = loadavg()[0]!;
  const cmd = [
    CLI,
    'eval',
    '--model',
    model,
    '--dataset',
    'fashion-mnist',
    '--backend',
    backend,
    '--json',
    ...(limit ? ['--limit', limit] : []),
    ...(batchSize ? ['--batch-size', batchSize] : []),
  ];
  const r = spawnSync(TIME, ['-v', process.execPath, ...cmd], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`eval of ${model} on ${backend} failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const t = r.stderr;
  return {
    wallS: seconds(timeField(t, 'Elapsed (wall clock) time')),
    cpuS: Number(timeField(t, 'User time (seconds)')) + Number(timeField(t, 'System time (seconds)')),
    rssMb: Number(timeField(t, 'Maximum resident set size (kbytes)')) / 1024,
    load,
    report: JSON.parse(r.stdout),
  };
}

/** Paths whose values differ between two JSON values, with both values ("macs.mean 1 vs 2"). */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return a === b ? [] : [`${path} ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
}

function machine(): string {
  const lscpu = sh('lscpu', []);
  const field = (k: string) => lscpu.match(new RegExp(`^${k.replace(/[()]/g, '\\$&')}:\\s*(.+)$`, 'm'))?.[1]?.trim();
  const cpu = field('Model name') ?? cpus()[0]?.model ?? 'unknown CPU';
  const guest = field('Hypervisor vendor') ? `, ${field('Hypervisor vendor')} guest` : '';
  return `${cpu}${guest}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform}-${process.arch}, Node ${process.version}`;
}

function main(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing; run npm run build:main first.`);
  if (!existsSync(TIME)) throw new Error(`${TIME} is missing; install GNU time (Debian: apt-get install time).`);
  if (reportsDir) mkdirSync(reportsDir, { recursive: true });
  const models = only.length > 0 ? only : readdirSync('data/models').filter((d) => existsSync(join('data/models', d, 'model.json')));
  const ortVersion = (JSON.parse(readFileSync('node_modules/onnxruntime-node/package.json', 'utf8')) as { version: string }).version;
  const date = sh('date', ['-u', '+%Y-%m-%d %H:%M UTC']).trim();
  const load0 = loadavg();
  const rows: string[] = [];
  const notes: string[] = [];
  const sum = { ort: { wall: 0, cpu: 0 }, wasm: { wall: 0, cpu: 0 } };
  models.forEach((model, i) => {
    // Alternate which backend goes first, so a load change during the run does not favour one side.
    const order: Backend[] = i % 2 === 0 ? ['ort', 'wasm'] : ['wasm', 'ort'];
    const res = {} as Record<Backend, Timed>;
    for (const b of order) {
      res[b] = evalOnce(model, b);
      if (reportsDir) writeFileSync(join(reportsDir, `${model}-${b}.json`), `${JSON.stringify(res[b].report, null, 2)}\n`);
      console.log(`${model} ${b}: ${res[b].wallS.toFixed(2)} s wall, ${res[b].cpuS.toFixed(2)} s CPU (load ${res[b].load.toFixed(1)})`);
    }
    for (const b of BACKENDS) {
      sum[b].wall += res[b].wallS;
      sum[b].cpu += res[b].cpuS;
    }
    const rep = res.ort.report as { mode?: string; n?: number; accuracy?: number };
    const diff = differences(res.ort.report, res.wasm.report);
    if (diff.length > 0) notes.push(`${model}: ${diff.join('; ')}`);
    rows.push(
      `| ${model} | ${rep.mode} | ${rep.n} | ${(100 * (rep.accuracy ?? 0)).toFixed(2)} % | ${res.ort.wallS.toFixed(1)} | ${res.ort.cpuS.toFixed(1)} | ${res.wasm.wallS.toFixed(1)} | ${res.wasm.cpuS.toFixed(1)} | ${(res.wasm.wallS / res.ort.wallS).toFixed(2)}× | ${(res.wasm.cpuS / res.ort.cpuS).toFixed(2)}× | ${res.ort.load.toFixed(1)} / ${res.wasm.load.toFixed(1)} | ${diff.length === 0 ? 'identical' : `${diff.length} field(s) differ`} |`,
    );
  });
  const load1 = loadavg();
  const fmt = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  rows.push(
    `| **whole zoo** | | | | **${sum.ort.wall.toFixed(1)}** | **${sum.ort.cpu.toFixed(1)}** | **${sum.wasm.wall.toFixed(1)}** | **${sum.wasm.cpu.toFixed(1)}** | **${(sum.wasm.wall / sum.ort.wall).toFixed(2)}×** | **${(sum.wasm.cpu / sum.ort.cpu).toFixed(2)}×** | | |`,
  );
  const section = [
    '<!-- bench:eval start -->',
    '## Whole-command eval of the zoo: ONNX Runtime vs tfjs wasm (`npm run bench:eval`)',
    '',
    `Measured ${date} on ${machine()}; onnxruntime-node ${ortVersion} (one intra-op thread), tfjs-backend-wasm.`,
    `Load average (1 / 5 / 15 min) at the start: ${fmt(load0)}, at the end: ${fmt(load1)}` +
      (Math.max(load0[0]!, load1[0]!) > cpus().length ? ' (other work shared the machine: wall times are inflated; CPU times are steadier).' : '.'),
    '',
    `Each row: \`ddi-profiler eval --model NAME --dataset fashion-mnist --json${limit ? ` --limit ${limit}` : ''}\` (the model's default mode, ${batchSize ? `batch ${batchSize} on both backends` : "each backend's default batch: 8 on ort, 32 on wasm"},`,
    'every exit measured on every image on the same backend), once per backend, one after the other (the first backend alternates by',
    'row), under `/usr/bin/time -v`: wall clock and user + system CPU of the whole command (start-up, model and data set load included).',
    'Speed-up = wasm ÷ ort. "Reports" compares the two JSON reports field by field; differences are listed below the table.',
    '',
    '| Model | Mode | Images | Top-1 | ort wall s | ort CPU s | wasm wall s | wasm CPU s | Speed-up (wall) | Speed-up (CPU) | 1-min load at start (ort / wasm) | Reports |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...(notes.length > 0
      ? ['Report differences (ort vs wasm):', '', ...notes.map((n) => `- ${n}`)]
      : ['The ort and wasm reports are identical for every model.']),
    '<!-- bench:eval end -->',
  ].join('\n');
  console.log(`\n${section}`);
  if (!write) return;
  const path = 'docs/benchmarks.md';
  let doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const re = /<!-- bench:eval start -->[\s\S]*?<!-- bench:eval end -->/;
  doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, doc);
  console.log(`\nwritten to ${path}`);
}

main();
