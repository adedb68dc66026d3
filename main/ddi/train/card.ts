/**
 * The model card (card.md) written next to model.json: architecture, recipe, seed, wall time,
 * accuracy, mean MACs and per-exit accuracies, generated from the run's own records so the card
 * cannot drift from what was measured.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EpochRecord, RunMeta } from './trainer';
import { formatDuration } from './progress';
import { LOGIT_STE_BOUND, type GateGradient } from '../ste';

export interface CardEval {
  dataset: string;
  n: number;
  accuracy: number;
  exitAccuracy: number[];
  meanMacs: number;
  fullMacs: number;
  gateOnRate: Record<string, number>;
  /** Gate setting of the masked pass ('all-on' for static / backbone-only checkpoints). */
  gates: 'learned' | 'all-on';
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

const GATE_GRADIENT_WORDS: Record<GateGradient, string> = {
  sigmoid: 'sigmoid',
  logit: 'logit',
  'logit-bounded': `logit (bounded at |logit| ${LOGIT_STE_BOUND})`,
};

export function describeArchitecture(c: RunMeta['config']): string {
  const gates =
    c.gates.layer && c.gates.channel
      ? 'layer + channel gates (MGL2S)'
      : c.gates.layer
        ? 'layer gates only'
        : c.gates.channel
          ? 'channel gates only'
          : 'no gates (static)';
  const exits = c.exits.afterUnit.length ? `exits after units ${c.exits.afterUnit.join(', ')} (head width ${c.exits.headWidth})` : 'no early exits';
  if (c.kind === 'resnet') {
    return `ResNet (${c.name}): blocks per stage ${c.blocksPerStage.join('/')}, widths ${c.widths.join('/')}, input ${c.input.height}×${c.input.width}×${c.input.channels}, ${c.numClasses} classes; ${gates}${c.gates.channel ? `, ${c.gates.groupSize} channels per bit` : ''}; ${exits}`;
  }
  return `DenseNet-BC (${c.name}): blocks ${c.blockConfig.join('/')}, growth ${c.growthRate}, bottleneck ×${c.bottleneckFactor}, compression ${c.compression}, input ${c.input.height}×${c.input.width}×${c.input.channels}; ${gates}${c.gates.channel ? `, ${c.gates.groupSize} channels per bit` : ''}; ${exits}`;
}

export function modelCard(o: { name: string; description?: string; meta: RunMeta; evals: CardEval[] }): string {
  const m = o.meta;
  const r = m.recipe;
  const lines: string[] = [`# ${o.name}`, ''];
  if (o.description) lines.push(o.description, '');
  lines.push('## Architecture', '', describeArchitecture(m.config), '');
  lines.push('## Training', '');
  lines.push(
    `- Data: ${m.dataset}; augmentation: random crop ±${r.augment.cropPad} px${r.augment.flip ? ' + horizontal flip' : ''}; input normalisation mean ${m.normalization.mean.map((v) => v.toFixed(4)).join(',')}, std ${m.normalization.std.map((v) => v.toFixed(4)).join(',')}`,
  );
  lines.push(
    `- Seed ${r.seed}, batch ${r.batchSize}, SGD momentum ${r.momentum}, weight decay ${r.weightDecay} (kernels only), exit loss weight ${r.exitWeight}`,
  );
  if (m.initFrom) lines.push(`- Initialised from: ${m.initFrom}`);
  for (const [i, c] of (m.commands ?? []).entries()) lines.push(`- ${i === 0 ? 'Command' : 'Resumed with'}: \`ddi-profiler ${c.join(' ')}\``);
  for (const s of r.stages) {
    const sc = s.schedule;
    lines.push(
      `- Stage ${s.name}: ${s.epochs} epoch(s)${s.maxStepsPerEpoch ? ` of at most ${s.maxStepsPerEpoch} steps` : ''}, trains ${s.groups.join(' + ')}, gates ${s.gates}, ` +
        `target ${(100 * s.target).toFixed(0)} %, β ${s.beta}, lr ${sc.lr} ${sc.kind}${sc.warmupEpochs ? ` with ${sc.warmupEpochs} warm-up epoch` : ''}`,
    );
  }
  if (r.stages.some((s) => s.gates === 'learned')) {
    lines.push(
      `- Gate training: ${GATE_GRADIENT_WORDS[r.gateGradient]} straight-through estimator; cost-term reward at a full 100 % target: ${r.rewardAtFullTarget ? 'yes (reference rule)' : 'no'}; exit losses train ${r.exitGradient === 'heads' ? 'the exit heads only' : 'heads, backbone and gates (reference)'}; gate losses train ${r.gateInput === 'detached' ? 'the gates only (their input is detached)' : 'gates and backbone (reference)'}`,
    );
  }
  if (r.distill) {
    lines.push(
      `- Distillation from \`${r.distill.from}\`: weight ${r.distill.weight}, temperature ${r.distill.temperature} (KL to the teacher's softened outputs on the final classifier and every exit, T²-scaled)`,
    );
  }
  const clipped = r.stages.filter((s) => s.clipNorm !== undefined);
  if (clipped.length) {
    lines.push(
      `- Gradient clipping (global L2 norm of every step's gradients): ${clipped.map((s) => `${s.name} stage ≤ ${s.clipNorm}`).join(', ')}${clipped.length < r.stages.length ? '; other stages unclipped' : ''}`,
    );
  }
  lines.push(`- Wall time ${formatDuration(m.wallSeconds)} on backend ${m.backend ?? '?'} (2-core x86-64, shared)`, '');
  lines.push('## Results (masked evaluation; MACs include gates, exclude exit heads, as in the static/iadi modes)', '');
  if (o.evals.length === 0) lines.push('Not evaluated.', '');
  else {
    lines.push('| Data | Images | Top-1 | Mean MACs | % of full | Exit accuracies |', '|---|---|---|---|---|---|');
    for (const e of o.evals) {
      lines.push(
        `| ${e.dataset} | ${e.n} | ${pct(e.accuracy)} | ${(e.meanMacs / 1e6).toFixed(2)} M | ${((100 * e.meanMacs) / e.fullMacs).toFixed(1)} % | ${e.exitAccuracy.map(pct).join(', ') || '—'} |`,
      );
    }
    lines.push('');
    const g = o.evals[0]!.gateOnRate;
    if (Object.keys(g).length) {
      lines.push('Gate on-rates (layer: share of images running the block; channel: share of channel groups kept):', '');
      lines.push(
        Object.entries(g)
          .map(([k, v]) => `${k} ${(100 * v).toFixed(0)} %`)
          .join(', '),
        '',
      );
    }
  }
  lines.push(
    '## Epochs',
    '',
    '| Stage | Epoch | Steps | Train loss | Train acc | Train cost | Eval acc | Eval cost | img/s | s |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  let resumed = false;
  for (const h of m.history) {
    const whole = epochLength(h, m.history);
    const part = h.steps < whole;
    resumed ||= part;
    lines.push(
      `| ${h.stage} | ${h.epoch} | ${part ? `${h.steps} of ${whole}` : h.steps} | ${h.trainLoss.toFixed(4)} | ${pct(h.trainAcc)} | ${h.trainCostPct.toFixed(1)} % | ${h.evalAcc !== undefined ? pct(h.evalAcc) : '—'} | ${h.evalCostPct !== undefined ? `${h.evalCostPct.toFixed(1)} %` : '—'} | ${h.imgPerSec.toFixed(0)} | ${h.seconds.toFixed(0)} |`,
    );
  }
  lines.push('');
  if (resumed) {
    // The loop records an epoch when it ends, so the steps before a stop leave no row of their own.
    lines.push(
      'An epoch with fewer steps than a whole one was resumed after a stop: its train loss, accuracy, cost, img/s and seconds cover only the steps run after the resume. The checkpoint carried the weights and optimiser state, so the training itself is the same as without the stop.',
      '',
    );
  }
  return lines.join('\n');
}

/** Steps in a whole epoch of the record's stage: recorded since 2026-11-27, before that the stage's longest row. */
function epochLength(h: EpochRecord, history: EpochRecord[]): number {
  return h.epochSteps ?? Math.max(...history.filter((o) => o.stage === h.stage).map((o) => o.steps));
}

export function writeModelCard(dir: string, o: Parameters<typeof modelCard>[0]): void {
  writeFileSync(join(dir, 'card.md'), modelCard(o));
}
