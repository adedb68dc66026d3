import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script module without type declarations
import { ZOO, finishedTraining, modelState, runnable, trainArgs } from '../../../../scripts/lib/zoo-plan.mjs';
import { configFromFlags } from '../../../../main/cli/commands/train';
import { buildLayout } from '../../../../main/ddi/layout';

interface Entry {
  name: string;
  after: string[];
  args: string[];
  revision?: number;
}
const zoo = ZOO as Entry[];
const entry = (name: string) => zoo.find((e) => e.name === name)!;

type DiskState = 'done' | 'partial' | 'in-progress-export' | 'legacy' | 'legacy+partial' | 'other-command';

/** A repository root with model folders and checkpoints as the zoo leaves them. */
function fakeRoot(states: Record<string, DiskState>): string {
  const root = mkdtempSync(join(tmpdir(), 'ddi-zoo-'));
  for (const [name, st] of Object.entries(states)) {
    if (st !== 'partial') {
      const training: Record<string, unknown> = { inProgress: st === 'in-progress-export' };
      if (st === 'done') training.commands = [trainArgs(entry(name), 'new')];
      if (st === 'other-command') training.commands = [[...trainArgs(entry(name), 'new'), '--beta', '3']];
      mkdirSync(join(root, 'data', 'models', name), { recursive: true });
      writeFileSync(join(root, 'data', 'models', name, 'model.json'), JSON.stringify({ training }));
    }
    if (st === 'partial' || st === 'in-progress-export' || st === 'legacy+partial') {
      mkdirSync(join(root, 'data', 'checkpoints', name), { recursive: true });
      writeFileSync(join(root, 'data', 'checkpoints', name, 'checkpoint.ckpt'), 'x');
    }
  }
  return root;
}

const flagsOf = (args: string[]) => {
  const get = (k: string) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  return {
    arch: get('--arch')!,
    blocks: get('--blocks'),
    widths: get('--widths'),
    growth: get('--growth'),
    gates: get('--gates') ?? 'none',
    skipDownsampling: get('--skip-downsampling'),
    groupSize: get('--group-size'),
    exits: get('--exits'),
    name: 'x',
  };
};

describe('model zoo plan (scripts/train-zoo.mjs)', () => {
  it('names every model the zoo ships, and every entry builds a valid model from its flags', () => {
    const names = zoo.map((e) => e.name);
    for (const want of ['static', 'layer-only-50', 'channel-only-50', 'mgl2s-70', 'mgl2s-50', 'mgl2s-30', 'densenet-ddi-50']) expect(names).toContain(want);
    for (const e of zoo) {
      const config = configFromFlags(flagsOf(e.args));
      const layout = buildLayout(config);
      expect(layout.trunk.length, e.name).toBeGreaterThan(3);
      const gated = layout.trunk.some((u) => u.layerGated || u.groups > 0);
      expect(gated, e.name).toBe(e.name !== 'static');
    }
  });

  it('gives the mgl2s models ungated downsampling blocks, and layer-only the skippable ones it needs for its target', () => {
    const layerGatedBlocks = (name: string) => buildLayout(configFromFlags(flagsOf(entry(name).args))).trunk.filter((u) => u.layerGated).length;
    // ResNet-14: six blocks, the first never gated; the downsampling blocks 2 and 4 only when skippable.
    for (const m of ['mgl2s-30', 'mgl2s-50', 'mgl2s-70']) expect(layerGatedBlocks(m), m).toBe(3);
    expect(layerGatedBlocks('layer-only-50')).toBe(5);
  });

  it('distils from static exactly the entries at revision 3, each of which waits for static', () => {
    for (const e of zoo) {
      const i = e.args.indexOf('--distill-from');
      expect(i >= 0, e.name).toBe((e.revision ?? 1) >= 3);
      if (i < 0) continue;
      expect(e.args[i + 1], e.name).toBe('data/models/static');
      expect(e.after, e.name).toContain('static');
    }
    expect(entry('mgl2s-50').revision).toBe(3);
  });

  it('reads the state from disk: current model, older model, resumable checkpoint, or nothing', () => {
    const root = fakeRoot({
      static: 'legacy',
      'mgl2s-50': 'in-progress-export',
      'layer-only-50': 'partial',
      'channel-only-50': 'legacy',
      'mgl2s-70': 'done',
      'mgl2s-30': 'legacy+partial',
      'densenet-ddi-50': 'other-command',
    });
    // Before models recorded their command, revision 1 entries count as current, later revisions as stale.
    expect(entry('static').revision ?? 1).toBe(1);
    expect(modelState(root, entry('static'))).toBe('done');
    expect(entry('channel-only-50').revision).toBeGreaterThan(1);
    expect(modelState(root, entry('channel-only-50'))).toBe('stale');
    expect(modelState(root, entry('mgl2s-70'))).toBe('done');
    // A recorded command decides whatever the revision: made with other arguments, the model is stale.
    expect(modelState(root, entry('densenet-ddi-50'))).toBe('stale');
    expect(modelState(root, entry('mgl2s-50'))).toBe('partial');
    expect(modelState(root, entry('layer-only-50'))).toBe('partial');
    // A legacy model with a retraining under way: the checkpoint decides, the old model stays shipped.
    expect(modelState(root, entry('mgl2s-30'))).toBe('partial');
    expect(finishedTraining(root, 'mgl2s-30')).toBeDefined();
    expect(finishedTraining(root, 'mgl2s-50')).toBeUndefined();
    expect(finishedTraining(root, 'layer-only-50')).toBeUndefined();
    const empty = fakeRoot({});
    expect(modelState(empty, entry('mgl2s-30'))).toBe('new');
  });

  it('holds gated models back until static is done, and finishes partial runs first', () => {
    const before = new Map(zoo.map((e) => [e.name, 'new']));
    before.set('static', 'partial');
    expect((runnable(zoo, before) as Entry[]).map((e) => e.name)).toEqual(['static', 'densenet-ddi-50']);

    const after = new Map(zoo.map((e) => [e.name, 'new']));
    after.set('static', 'done');
    after.set('channel-only-50', 'partial');
    const order = (runnable(zoo, after, new Set(['densenet-ddi-50'])) as Entry[]).map((e) => e.name);
    expect(order[0]).toBe('channel-only-50');
    expect(order).not.toContain('static');
    expect(order).not.toContain('densenet-ddi-50');
    expect(order).toContain('mgl2s-50');
    // A model from an older recipe is retrained; a current one is not.
    const retrain = new Map(zoo.map((e) => [e.name, e.name === 'static' ? 'done' : 'stale']));
    retrain.set('mgl2s-30', 'done');
    const stale = (runnable(zoo, retrain) as Entry[]).map((e) => e.name);
    expect(stale).toContain('mgl2s-50');
    expect(stale).not.toContain('mgl2s-30');
  });

  it('resumes a partial run and starts a new one from the static weights', () => {
    const e = zoo.find((x) => x.name === 'mgl2s-50')!;
    const fresh = trainArgs(e, 'new') as string[];
    expect(fresh).toContain('--init');
    expect(fresh).not.toContain('--resume');
    expect(fresh.slice(fresh.indexOf('--run-dir'), fresh.indexOf('--run-dir') + 2)).toEqual(['--run-dir', 'data/checkpoints/mgl2s-50']);
    expect(trainArgs(e, 'partial')).toContain('--resume');
  });
});
