import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script module without type declarations
import { ZOO, modelState, runnable, trainArgs } from '../../../scripts/lib/zoo-plan.mjs';
import { configFromFlags } from '../../../main/cli/commands/train';
import { buildLayout } from '../../../main/ddi/layout';

interface Entry {
  name: string;
  after: string[];
  args: string[];
}
const zoo = ZOO as Entry[];

function fakeRoot(states: Record<string, 'done' | 'partial' | 'in-progress-export'>): string {
  const root = mkdtempSync(join(tmpdir(), 'ddi-zoo-'));
  for (const [name, st] of Object.entries(states)) {
    if (st === 'done' || st === 'in-progress-export') {
      mkdirSync(join(root, 'data', 'models', name), { recursive: true });
      writeFileSync(join(root, 'data', 'models', name, 'model.json'), JSON.stringify({ training: { inProgress: st !== 'done' } }));
    }
    if (st !== 'done') {
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
  return { arch: get('--arch')!, blocks: get('--blocks'), widths: get('--widths'), growth: get('--growth'), gates: get('--gates') ?? 'none', groupSize: get('--group-size'), exits: get('--exits'), name: 'x' };
};

describe('model zoo plan (scripts/train-zoo.mjs)', () => {
  it('names every model issue #4 asks for, and every entry builds a valid model from its flags', () => {
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

  it('reads the state from disk: finished model, resumable checkpoint, or nothing', () => {
    const root = fakeRoot({ static: 'done', 'mgl2s-50': 'in-progress-export', 'layer-only-50': 'partial' });
    expect(modelState(root, 'static')).toBe('done');
    expect(modelState(root, 'mgl2s-50')).toBe('partial');
    expect(modelState(root, 'layer-only-50')).toBe('partial');
    expect(modelState(root, 'mgl2s-30')).toBe('new');
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
