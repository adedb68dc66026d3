// Evaluates every finished zoo model on the full Fashion-MNIST test set with the engine's real
// skipping and halting, stores the results next to the model (data/models/<name>/eval-fashion-mnist.json,
// keyed by a hash of model.json + weights.bin so an unchanged model is not evaluated twice, with
// each image's correctness for the paired tests) and rewrites the generated results block of
// docs/models.md, so the published numbers are never copied by hand.
//
//   node scripts/eval-zoo.mjs [--only a,b] [--force] [--no-docs]
//
// Needs the CLI bundle (npm run build) and the Debian dataset-fashion-mnist package.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { ZOO, finishedTraining, modelState } from './lib/zoo-plan.mjs';
import { SWEEP, renderResults, replaceBlock, summarize } from './lib/zoo-results.mjs';
import { checkArgs } from './lib/script-args.mjs';

const root = resolve(import.meta.dirname, '..');
const args = checkArgs(process.argv.slice(2), {
  usage: 'node scripts/eval-zoo.mjs [--only a,b] [--force] [--no-docs]',
  about:
    'Evaluates every finished zoo model on the 10k Fashion-MNIST test set (unchanged models reuse their stored results) and rewrites the results block of docs/models.md.',
  withValue: ['--only'],
  switches: ['--force', '--no-docs'],
});
const only = args.value('--only')?.split(',');
const force = args.has('--force');
const cli = join(root, 'dist', 'main', 'cli.cjs');
if (!existsSync(cli)) {
  console.error(`${cli} is missing; run npm run build first.`);
  process.exit(2);
}

const machine = `${cpus().length}× ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
const evalJson = (args) =>
  JSON.parse(
    execFileSync(process.execPath, [cli, 'eval', ...args, '--dataset', 'fashion-mnist', '--json', '--per-image'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    }),
  );

function modelHash(dir) {
  const h = createHash('sha256');
  for (const f of ['model.json', 'weights.bin']) h.update(readFileSync(join(dir, f)));
  return h.digest('hex').slice(0, 16);
}

const results = {};
for (const e of ZOO) {
  // The shipped model counts even when a retraining under a newer recipe is under way.
  if (!finishedTraining(root, e.name)) {
    console.log(`${e.name}: not finished, skipped`);
    continue;
  }
  const dir = join(root, 'data', 'models', e.name);
  const out = join(dir, 'eval-fashion-mnist.json');
  const hash = modelHash(dir);
  const stored = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : null;
  const wanted = !only || only.includes(e.name);
  // Results from before per-image correctness was stored cannot be paired; they count as missing.
  const complete = stored?.own?.correctBits !== undefined;
  if (stored && stored.modelHash === hash && !(force && wanted) && (complete || !wanted)) {
    results[e.name] = stored;
    console.log(`${e.name}: unchanged since ${stored.date}, stored results used`);
    continue;
  }
  if (!wanted) {
    if (stored) console.log(`${e.name}: stored results are for other weights; left out (not in --only)`);
    continue;
  }
  const gated = e.name !== 'static';
  const t0 = Date.now();
  console.log(`${e.name}: evaluating (${gated ? 'iadi' : 'static'} + ${gated ? 'ddi' : 'radi'} sweep ${SWEEP}) …`);
  const own = summarize(evalJson(['--model', dir, '--mode', gated ? 'iadi' : 'static']));
  const sweep = evalJson(['--model', dir, '--mode', gated ? 'ddi' : 'radi', '--sweep', SWEEP]).curve.map(summarize);
  const rec = { model: e.name, modelHash: hash, date: new Date().toISOString(), machine, dataset: 'fashion-mnist test (10,000)', backend: 'wasm', own, sweep };
  // Written whole to a temporary file first: an interrupted run never leaves a half-written result.
  writeFileSync(`${out}.tmp`, `${JSON.stringify(rec, null, 2)}\n`);
  renameSync(`${out}.tmp`, out);
  results[e.name] = rec;
  console.log(`${e.name}: top-1 ${(own.accuracy * 100).toFixed(2)} % at ${own.macsPct.toFixed(1)} % of the MACs (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

const stale = ZOO.filter((e) => modelState(root, e) !== 'done').map((e) => e.name);
const block = renderResults(results, { date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC', machine, stale });
console.log(`\n${block}`);
if (!args.has('--no-docs')) {
  const docPath = join(root, 'docs', 'models.md');
  writeFileSync(docPath, replaceBlock(readFileSync(docPath, 'utf8'), block));
  console.log('\ndocs/models.md: results block rewritten');
}
