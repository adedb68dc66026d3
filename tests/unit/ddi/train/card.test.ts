import { describe, expect, it } from 'vitest';
import { resnetConfig } from '../../../../main/ddi/config';
import { modelCard } from '../../../../main/ddi/train/card';
import { buildRecipe } from '../../../../main/ddi/train/recipe';
import type { RunMeta } from '../../../../main/ddi/train/trainer';

const meta = (recipe: RunMeta['recipe']): RunMeta => ({
  config: resnetConfig({ depth: 14 }),
  recipe,
  normalization: { mean: [0.286], std: [0.353] },
  position: { stage: recipe.stages.length, epoch: 0, step: 0 },
  history: [],
  wallSeconds: 65,
  dataset: 'fashion-mnist train (60000)',
});

describe('model card', () => {
  it('states how the gates were trained, and only for models with learned gates', () => {
    const gated = modelCard({ name: 'g', meta: meta(buildRecipe({ stages: ['gates', 'joint'], target: 0.5 })), evals: [] });
    expect(gated).toContain(
      '- Gate training: logit (bounded at |logit| 6) straight-through estimator; cost-term reward at a full 100 % target: no; exit losses train heads, backbone and gates (reference)',
    );
    const heads = modelCard({ name: 'h', meta: meta(buildRecipe({ stages: ['gates', 'joint'], target: 0.5, exitGradient: 'heads' })), evals: [] });
    expect(heads).toContain('exit losses train the exit heads only');
    expect(gated).toContain('gate losses train gates and backbone (reference)');
    expect(modelCard({ name: 'd', meta: meta(buildRecipe({ stages: ['gates', 'joint'], target: 0.5, gateInput: 'detached' })), evals: [] })).toContain(
      'gate losses train the gates only (their input is detached)',
    );
    expect(modelCard({ name: 'l', meta: meta(buildRecipe({ stages: ['gates', 'joint'], target: 0.5, gateGradient: 'logit' })), evals: [] })).toContain(
      '- Gate training: logit straight-through estimator;',
    );
    const reference = { ...buildRecipe({ stages: ['gates', 'joint'], target: 0.5, gateGradient: 'sigmoid' }), rewardAtFullTarget: true };
    expect(modelCard({ name: 'o', meta: meta(reference), evals: [] })).toContain(
      'sigmoid straight-through estimator; cost-term reward at a full 100 % target: yes (reference rule)',
    );
    expect(modelCard({ name: 's', meta: meta(buildRecipe({ stages: ['backbone'] })), evals: [] })).not.toContain('Gate training');
  });

  it("marks an epoch resumed after a stop, from its recorded epoch length or, in older records, the stage's longest row", () => {
    const row = (stage: string, epoch: number, steps: number, epochSteps?: number): RunMeta['history'][number] => ({
      stage,
      epoch,
      steps,
      ...(epochSteps === undefined ? {} : { epochSteps }),
      trainLoss: 1,
      trainAcc: 0.5,
      trainCostPct: 50,
      lr: 0.01,
      seconds: 10,
      imgPerSec: 100,
    });
    const base = meta(buildRecipe({ stages: ['gates', 'joint'], target: 0.5 }));
    const card = modelCard({ name: 'r', meta: { ...base, history: [row('gates', 1, 200, 468), row('joint', 1, 468), row('joint', 2, 97)] }, evals: [] });
    expect(card).toContain('| gates | 1 | 200 of 468 |');
    expect(card).toContain('| joint | 1 | 468 |');
    expect(card).toContain('| joint | 2 | 97 of 468 |');
    expect(card).toContain('cover only the steps run after the resume');
    const whole = modelCard({ name: 'w', meta: { ...base, history: [row('gates', 1, 468, 468), row('joint', 1, 468, 468)] }, evals: [] });
    expect(whole).toContain('| gates | 1 | 468 |');
    expect(whole).not.toContain('after the resume');
  });
});
