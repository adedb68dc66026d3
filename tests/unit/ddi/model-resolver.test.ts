import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedModelDirs, modelSearchDirs, resolveModel, resolveModelDir } from '../../../main/ddi/model-resolver';
import { modelsDir } from '../../../main/ddi/data/paths';
import { isUserError } from '../../../main/util/errors';
import { TINY_MODEL_DIR } from '../../helpers/fixture-models';

let root: string;
let shipped: string;
let user: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ddi-resolver-'));
  shipped = join(root, 'shipped');
  user = join(root, 'user');
  cpSync(TINY_MODEL_DIR, join(shipped, 'alpha'), { recursive: true });
  cpSync(TINY_MODEL_DIR, join(user, 'alpha'), { recursive: true }); // same folder name: the shipped one wins
  cpSync(TINY_MODEL_DIR, join(user, 'beta'), { recursive: true });
  mkdirSync(join(user, 'not-a-model'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function refusal(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    expect(isUserError(e)).toBe(true);
    return e as Error;
  }
  throw new Error('expected a refusal');
}

describe('model resolver', () => {
  it('searches data/models, then DDI_MODELS_DIR, else the app-data models folder', () => {
    expect(modelSearchDirs({ DDI_MODELS_DIR: '/x/models' })).toEqual([modelsDir(), '/x/models']);
    expect(modelSearchDirs({})[1]).toMatch(/DDI Profiler[/\\]models$/);
  });

  it('finds a model by folder name in search order, by its model.json name, or by path (CLI only)', () => {
    const dirs = [shipped, user];
    expect(installedModelDirs(dirs)).toEqual([join(shipped, 'alpha'), join(user, 'alpha'), join(user, 'beta')].map((d) => resolve(d)));
    expect(resolveModel('alpha', { dirs })).toBe(resolve(shipped, 'alpha'));
    expect(resolveModel('beta', { dirs })).toBe(resolve(user, 'beta'));
    // Every copy declares "tiny-random-test" in its model.json: the first in search order.
    expect(resolveModel('tiny-random-test', { dirs })).toBe(resolve(shipped, 'alpha'));
    expect(resolveModelDir(join(user, 'beta'), dirs)).toBe(resolve(user, 'beta'));
    // The app takes names only.
    expect(refusal(() => resolveModel(join(user, 'beta'), { dirs })).message).toMatch(/There is no model/);
  });

  it('refuses an unknown name in one sentence naming the folders searched and the installed models', () => {
    const e = refusal(() => resolveModelDir('gamma', [shipped, user]));
    expect(e.message).toBe(
      `There is no model "gamma" in ${shipped} or ${user}; pass a model folder (with model.json) or the name of an installed model: alpha, beta.`,
    );
    expect((e as Error & { code?: string }).code).toBe('no-model');
    expect(refusal(() => resolveModelDir('x', [join(root, 'none')])).message).toMatch(/installed model: none\.$/);
  });

  it('finds the shipped zoo by name with the default search folders', () => {
    expect(resolveModelDir('static')).toBe(join(modelsDir(), 'static'));
    // The test fixture is not shipped: it is found through DDI_MODELS_DIR (vitest.config.mts).
    expect(resolveModelDir('tiny-random-test')).toBe(TINY_MODEL_DIR);
  });
});
