/**
 * Model files: <dir>/model.json (architecture, gates, exits, cost tables, training metadata,
 * dataset and input normalisation, weights manifest with size and SHA-256) + <dir>/weights.bin
 * (float32 little-endian, parameters concatenated in manifest order). Plain fs, no tfjs-node.
 * Loading validates everything before any tensor is created: a damaged, truncated or mismatched
 * file is rejected with one UserError naming the problem, and nothing half-loaded is returned.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { UserError, errorMessage } from '../util/errors';
import type { ModelConfig } from './config';
import { validateConfig } from './config';
import { buildLayout } from './layout';
import { paramSpecs } from './params';
import { DdiModel, type InputNormalization } from './model';
import { summarizeCost, type CostTable } from './cost';

export const MODEL_FORMAT = 'ddi-profiler-model';
export const MODEL_FORMAT_VERSION = 1;

export interface ModelMetadata {
  /** Display name (defaults to the directory name). */
  name?: string;
  description?: string;
  /** True for untrained random-weight models: shown on every card so nobody mistakes them for trained ones. */
  randomWeights?: boolean;
  dataset?: { name: string; classes?: string[] };
  normalization?: InputNormalization;
  /** Free-form training metadata (recipe, epochs, target, accuracies, ...). */
  training?: Record<string, unknown>;
  /** Stored cost tables besides the always-derivable MAC table (energy presets, measured latency). */
  costTables?: CostTable[];
}

const unitCostSchema = z.object({ fixed: z.number(), anyChannel: z.number(), perChannel: z.number() });
export const costTableSchema = z.object({
  name: z.string(),
  kind: z.enum(['macs', 'latency', 'energy']),
  unit: z.string(),
  source: z.string(),
  backend: z.object({ name: z.string(), version: z.string() }).optional(),
  createdAt: z.string().optional(),
  entries: z.record(z.string(), unitCostSchema),
});
const inputSchema = z.object({ height: z.number(), width: z.number(), channels: z.number() });
const gatesSchema = z.object({
  layer: z.boolean(),
  channel: z.boolean(),
  groupSize: z.number(),
  channelHidden: z.number(),
  layerHidden: z.number(),
  initBias: z.number(),
  // Absent in files written before the option existed: those models never skip downsampling blocks.
  skipDownsampling: z.boolean().default(false),
});
const exitsSchema = z.object({ afterUnit: z.array(z.number()), headWidth: z.number() });
const architectureSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('resnet'),
    name: z.string(),
    input: inputSchema,
    numClasses: z.number(),
    blocksPerStage: z.tuple([z.number(), z.number(), z.number()]),
    widths: z.tuple([z.number(), z.number(), z.number()]),
    gates: gatesSchema,
    exits: exitsSchema,
  }),
  z.object({
    kind: z.literal('densenet'),
    name: z.string(),
    input: inputSchema,
    numClasses: z.number(),
    growthRate: z.number(),
    blockConfig: z.array(z.number()),
    bottleneckFactor: z.number(),
    compression: z.number(),
    stemChannels: z.number(),
    gates: gatesSchema,
    exits: exitsSchema,
  }),
]);
const modelFileSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  formatVersion: z.literal(MODEL_FORMAT_VERSION),
  name: z.string(),
  createdAt: z.string(),
  description: z.string().optional(),
  randomWeights: z.boolean(),
  architecture: architectureSchema,
  dataset: z.object({ name: z.string(), classes: z.array(z.string()).optional() }).optional(),
  normalization: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }).optional(),
  training: z.record(z.string(), z.unknown()).optional(),
  costTables: z.array(costTableSchema),
  weights: z.object({
    file: z.literal('weights.bin'),
    dtype: z.literal('float32'),
    byteLength: z.number(),
    sha256: z.string(),
    specs: z.array(z.object({ name: z.string(), shape: z.array(z.number()) })),
  }),
});
export type ModelFile = z.infer<typeof modelFileSchema>;

/** A loaded, validated model with its metadata. */
export interface LoadedModel {
  dir: string;
  model: DdiModel;
  file: ModelFile;
  metadata: ModelMetadata;
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Saves model.json + weights.bin into dir (created if needed). */
export async function saveModel(model: DdiModel, dir: string, metadata: ModelMetadata = {}): Promise<ModelFile> {
  const values = await model.readValues();
  return saveModelValues(model.config, values, dir, metadata);
}

/** Same as saveModel from plain values (used by the worker-free tooling and tests). */
export function saveModelValues(config: ModelConfig, values: Map<string, Float32Array>, dir: string, metadata: ModelMetadata = {}): ModelFile {
  validateConfig(config);
  const specs = paramSpecs(buildLayout(config));
  let total = 0;
  for (const s of specs) total += s.shape.reduce((a, b) => a * b, 1);
  const buf = new Float32Array(total);
  let off = 0;
  for (const s of specs) {
    const v = values.get(s.name);
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (!v || v.length !== n) throw new Error(`Cannot save: parameter ${s.name} is missing or has the wrong size.`);
    buf.set(v, off);
    off += n;
  }
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const file: ModelFile = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    name: metadata.name ?? config.name,
    createdAt: new Date().toISOString(),
    description: metadata.description,
    randomWeights: metadata.randomWeights ?? false,
    architecture: config,
    dataset: metadata.dataset,
    normalization: metadata.normalization,
    training: metadata.training,
    costTables: metadata.costTables ?? [],
    weights: {
      file: 'weights.bin',
      dtype: 'float32',
      byteLength: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      specs: specs.map((s) => ({ name: s.name, shape: s.shape })),
    },
  };
  mkdirSync(dir, { recursive: true });
  // weights first: a crash between the two writes leaves a SHA mismatch that load reports, never a silent mix.
  writeAtomic(join(dir, 'weights.bin'), bytes);
  writeAtomic(join(dir, 'model.json'), `${JSON.stringify(file, null, 1)}\n`);
  return file;
}

const bad = (dir: string, msg: string): UserError => new UserError(`Model ${dir}: ${msg}`, 'bad-model-file');

/** Reads and validates model.json only (no weights). */
export function readModelFile(dir: string): ModelFile {
  const path = join(dir, 'model.json');
  if (!existsSync(path)) throw bad(dir, 'model.json not found; point --model at a directory containing model.json and weights.bin.');
  const text = readModelPart(dir, 'model.json').toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // V8's message quotes the text around the error, damaged bytes and line breaks included: say where instead.
    const at = /position (\d+)/.exec(errorMessage(e));
    const where = at ? ` at line ${text.slice(0, Number(at[1])).split('\n').length}` : '';
    throw bad(dir, `model.json is not valid JSON${where}; the file is damaged, re-export or re-copy the model.`);
  }
  const parsed = modelFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') || '(root)' : '(root)';
    const what = (issue?.message ?? 'invalid').split('\n')[0];
    throw bad(dir, `model.json is not a DDI Profiler model file version ${MODEL_FORMAT_VERSION} (field ${where}: ${what}).`);
  }
  checkModelNumbers(dir, parsed.data);
  try {
    validateConfig(parsed.data.architecture as ModelConfig);
  } catch (e) {
    throw bad(dir, errorMessage(e));
  }
  return parsed.data;
}

/**
 * Reads one file of a model folder. A folder, a device or an unreadable file in its place is one
 * sentence naming the file, never a stack trace (EISDIR, EACCES…).
 */
function readModelPart(dir: string, name: string): Buffer {
  const path = join(dir, name);
  const code = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? errorMessage(e).split('\n')[0]!;
  let isFile: boolean;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw bad(dir, `${name} is a folder, not a file; copy the model's ${name} file in its place.`);
    isFile = st.isFile();
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw bad(dir, `${name} cannot be examined (${code(e)}); check that it exists and that you may read it.`);
  }
  if (!isFile) throw bad(dir, `${name} is not a regular file; copy the model's ${name} file in its place.`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw bad(dir, `${name} cannot be read (${code(e)}); check its permissions.`);
  }
}

/**
 * Numbers JSON can carry but no model can mean: a normalisation that divides by zero (or by a
 * negative), or a negative cost. zod's z.number() has already refused Infinity (JSON's 1e999).
 */
function checkModelNumbers(dir: string, f: ModelFile): void {
  const n = f.normalization;
  if (n) {
    const C = f.architecture.input.channels;
    if (n.mean.length !== C || n.std.length !== C) {
      throw bad(
        dir,
        `model.json normalization has ${n.mean.length} means and ${n.std.length} standard deviations for ${C} input channels; re-export the model.`,
      );
    }
    if (!n.std.every((v) => v > 0)) throw bad(dir, 'model.json normalization has a standard deviation that is not positive; re-export the model.');
  }
  for (const t of f.costTables) {
    for (const [unit, c] of Object.entries(t.entries)) {
      if (!(c.fixed >= 0 && c.anyChannel >= 0 && c.perChannel >= 0)) {
        throw bad(dir, `cost table "${t.name}" gives unit ${unit} a negative cost; delete the table or re-profile the model.`);
      }
    }
  }
  if (!Number.isSafeInteger(f.weights.byteLength) || f.weights.byteLength < 0) {
    throw bad(dir, `model.json declares ${f.weights.byteLength} weight bytes, which is not a byte count; re-export the model.`);
  }
}

/** The input normalisation a model was trained with; identity for models that record none. */
export function modelNormalization(file: ModelFile): InputNormalization {
  const C = file.architecture.input.channels;
  return file.normalization ?? { mean: new Array<number>(C).fill(0), std: new Array<number>(C).fill(1) };
}

/** Loads and fully validates a model directory. */
export function loadModel(dir: string): LoadedModel {
  const file = readModelFile(dir);
  const config = file.architecture as ModelConfig;
  const specs = paramSpecs(buildLayout(config));
  const manifest = file.weights.specs;
  if (manifest.length !== specs.length) {
    throw bad(
      dir,
      `the weights manifest lists ${manifest.length} tensors but the architecture needs ${specs.length}; model.json and the architecture do not match.`,
    );
  }
  let total = 0;
  for (let i = 0; i < specs.length; i++) {
    const s = specs[i]!;
    const m = manifest[i]!;
    if (m.name !== s.name || m.shape.length !== s.shape.length || m.shape.some((d, j) => d !== s.shape[j])) {
      throw bad(dir, `weights manifest entry ${i} is ${m.name} [${m.shape.join(',')}] but the architecture expects ${s.name} [${s.shape.join(',')}].`);
    }
    total += s.shape.reduce((a, b) => a * b, 1);
  }
  if (file.weights.byteLength !== total * 4) {
    throw bad(dir, `model.json declares ${file.weights.byteLength} weight bytes but the architecture needs ${total * 4}.`);
  }
  const wpath = join(dir, 'weights.bin');
  if (!existsSync(wpath)) throw bad(dir, 'weights.bin not found next to model.json; copy both files.');
  const bytes = readModelPart(dir, 'weights.bin');
  if (bytes.byteLength !== total * 4) {
    throw bad(
      dir,
      `weights.bin has ${bytes.byteLength} bytes but ${total * 4} are expected (${bytes.byteLength < total * 4 ? 'truncated' : 'extra data'}); re-copy the model.`,
    );
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== file.weights.sha256)
    throw bad(dir, 'weights.bin does not match the SHA-256 in model.json (damaged, or from a different model); re-copy the model.');
  // Copy into an aligned buffer (Buffer slices may be unaligned for Float32Array).
  const all = new Float32Array(total);
  new Uint8Array(all.buffer).set(bytes);
  for (let i = 0; i < all.length; i++) {
    if (!Number.isFinite(all[i]!)) throw bad(dir, 'weights.bin contains NaN or infinite values; the model is broken, retrain or re-export it.');
  }
  const values = new Map<string, Float32Array>();
  let off = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    values.set(s.name, all.subarray(off, off + n));
    off += n;
  }
  const model = new DdiModel(config, values);
  const metadata: ModelMetadata = {
    name: file.name,
    description: file.description,
    randomWeights: file.randomWeights,
    dataset: file.dataset,
    normalization: file.normalization,
    training: file.training,
    costTables: file.costTables as CostTable[],
  };
  return { dir: resolve(dir), model, file, metadata };
}

export interface ModelSummary {
  dir: string;
  name: string;
  kind: 'resnet' | 'densenet';
  architecture: string;
  dataset?: string;
  randomWeights: boolean;
  description?: string;
  params: number;
  /** MACs of the full network (backbone + classifier, no gates or exits). */
  backboneMacs: number;
  exits: number;
  layerGates: boolean;
  channelGates: boolean;
  costTables: { name: string; kind: string; backend?: string }[];
  createdAt: string;
}

export interface ListModelsResult {
  models: ModelSummary[];
  /** Directories with a model.json that failed validation, with the reason. */
  invalid: { dir: string; error: string }[];
}

/** Lists model directories (each dir itself, or its immediate subdirectories, holding model.json). */
export function listModels(dirs: string[]): ListModelsResult {
  const out: ListModelsResult = { models: [], invalid: [] };
  const candidates: string[] = [];
  for (const d of dirs) {
    if (!existsSync(d) || !statSync(d).isDirectory()) continue;
    if (existsSync(join(d, 'model.json'))) candidates.push(d);
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && existsSync(join(d, e.name, 'model.json'))) candidates.push(join(d, e.name));
    }
  }
  for (const dir of [...new Set(candidates.map((c) => resolve(c)))].sort()) {
    try {
      const f = readModelFile(dir);
      const config = f.architecture as ModelConfig;
      const sum = summarizeCost(buildLayout(config));
      out.models.push({
        dir,
        name: f.name,
        kind: config.kind,
        architecture: config.name,
        dataset: f.dataset?.name,
        randomWeights: f.randomWeights,
        description: f.description,
        params: sum.params,
        backboneMacs: sum.backboneMacs,
        exits: config.exits.afterUnit.length,
        layerGates: config.gates.layer,
        channelGates: config.gates.channel,
        costTables: f.costTables.map((t) => ({ name: t.name, kind: t.kind, backend: t.backend ? `${t.backend.name} ${t.backend.version}` : undefined })),
        createdAt: f.createdAt,
      });
    } catch (e) {
      out.invalid.push({ dir, error: errorMessage(e) });
    }
  }
  return out;
}
