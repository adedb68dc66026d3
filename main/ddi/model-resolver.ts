/**
 * Where a model named on the command line or in the app is found. Every CLI command and the app's
 * model list resolve through here, so `eval --model static`, `infer --model static` and the Run
 * page find the same folder and refuse an unknown name with the same sentence.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { UserError } from '../util/errors';
import { modelsDir } from './data/paths';

/** The shipped models (data/models), then the user's own: DDI_MODELS_DIR, else beside the default database. */
export function modelSearchDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  return [modelsDir(), env['DDI_MODELS_DIR'] ?? join(homedir(), '.config', 'DDI Profiler', 'models')];
}

const hasModelFile = (dir: string): boolean => existsSync(join(dir, 'model.json'));

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Folders holding a model.json directly under the search folders, in search order (no validation: that is loadModel's). */
export function installedModelDirs(dirs: readonly string[] = modelSearchDirs()): string[] {
  const out: string[] = [];
  for (const d of dirs) {
    if (!isDir(d)) continue;
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory() && hasModelFile(join(d, e.name))) out.push(resolve(d, e.name));
    }
  }
  return out;
}

/** The `name` a model.json declares, or undefined when it cannot be read (the folder name still finds it). */
function declaredName(dir: string): string | undefined {
  try {
    const name = (JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { name?: unknown }).name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

export interface ResolveOptions {
  /** Search folders (default modelSearchDirs()). */
  dirs?: readonly string[];
  /** Accept a path to a model folder as well as a name: the CLI does; the app takes names only. */
  allowPath?: boolean;
}

/**
 * The absolute folder of a model given by folder name (first match in search order), by the name
 * in its model.json, or — with allowPath — by a path to a folder holding model.json.
 */
export function resolveModel(spec: string, o: ResolveOptions = {}): string {
  const dirs = o.dirs ?? modelSearchDirs();
  if (o.allowPath && hasModelFile(spec)) return resolve(spec);
  const installed = installedModelDirs(dirs);
  const found = installed.find((d) => basename(d) === spec) ?? installed.find((d) => declaredName(d) === spec);
  if (found) return found;
  const names = [...new Set(installed.map((d) => basename(d)))].join(', ') || 'none';
  const where = o.allowPath ? 'a model folder (with model.json) or the name of an installed model' : 'the name of an installed model';
  throw new UserError(`There is no model "${spec}" in ${dirs.join(' or ')}; pass ${where}: ${names}.`, 'no-model');
}

/** resolveModel for the CLI's --model: a folder path or an installed model's name. */
export function resolveModelDir(spec: string, dirs?: readonly string[]): string {
  return resolveModel(spec, { allowPath: true, ...(dirs ? { dirs } : {}) });
}
