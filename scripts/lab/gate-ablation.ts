// What one block contributes to a trained dynamic model, without retraining: every image keeps its
// gates' learned decisions except for the overridden blocks (gate-ablation-lib.ts). A research tool
// of the lab log (docs/lab/models-log.md), not part of the product.
//
//   node scripts/run-ts.mjs scripts/lab/gate-ablation.ts --model data/models/mgl2s-50 \
//     [--dataset sample|fashion-mnist|DIR] [--limit N] block5=off block5=full block3=full,block5=full
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { Command } from 'commander';
import { loadModel, modelNormalization } from '../../main/ddi/io';
import { loadDataset } from '../../main/ddi/data/dataset';
import { resolveModelDir } from '../../main/ddi/model-resolver';
import { prepareTraining } from '../../main/ddi/train';
import { evaluateAblations, parseAblationVariant } from './gate-ablation-lib';
import { isUserError, UserError } from '../../main/util/errors';

const program = new Command('gate-ablation')
  .description(
    "Evaluates a gated model with chosen blocks forced off (blockK=off), on with their learned channels (blockK=on) or on at full width (blockK=full); 'learned' is the model as trained. Masked training semantics; costs include the exit heads.",
  )
  .requiredOption('--model <name|dir>', 'an installed model by name or a model folder')
  .option('--dataset <spec>', 'sample (the shipped 1000 images), fashion-mnist, or a folder', 'sample')
  .option('--limit <n>', 'evaluate only the first N images')
  .argument('<variants...>', 'blockK=off|on|full, several blocks joined by commas')
  .action(async (variantTexts: string[], f: { model: string; dataset: string; limit?: string }) => {
    const limit = f.limit === undefined ? undefined : Number(f.limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
      throw new UserError(`--limit ${f.limit} is not a positive whole number; pass e.g. --limit 1000.`);
    prepareTraining();
    await tf.setBackend('wasm');
    const { model, file } = loadModel(resolveModelDir(f.model));
    if (!model.config.gates.layer && !model.config.gates.channel)
      throw new UserError(`${f.model} has no gates, so there is nothing to override; pick a gated model.`);
    const norm = modelNormalization(file);
    const variants = variantTexts.map((t) => parseAblationVariant(t, model));
    const ds = loadDataset(f.dataset, 'test');
    const results = await evaluateAblations(model, ds, norm, variants, { limit });
    console.log(
      `${file.name} on ${ds.name}${results[0]!.n < ds.n ? `, first ${results[0]!.n} images` : ''}; cost = MACs incl. exit heads, % of the full network`,
    );
    for (const r of results) {
      const exits = r.exitAccuracy.map((a) => (100 * a).toFixed(2)).join(' / ');
      console.log(`${r.name.padEnd(32)} top-1 ${(100 * r.accuracy).toFixed(2)} %  exits ${exits} %  cost ${(100 * r.meanCostFraction).toFixed(1)} %`);
    }
  });

program.parseAsync().catch((e: unknown) => {
  console.error(isUserError(e) ? e.message : e);
  process.exit(isUserError(e) ? 2 : 1);
});
