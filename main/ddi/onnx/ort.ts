/**
 * Loading onnxruntime-node, an optional dependency: it is required at run time and typed through
 * the small interface below, so the project type-checks and builds without the package (npm drops
 * an optional dependency whose install fails).
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

export interface OrtSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  executionMode?: 'sequential' | 'parallel';
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options?: OrtSessionOptions): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  env: { versions?: { node?: string; common?: string } };
}

export type OrtLoad = { ok: true; ort: OrtModule; version: string } | { ok: false; reason: string };

// Same approach as backend.ts: in the esbuild CJS bundle `require` is the real one; under vitest
// (ESM) a require rooted at the working directory (the repository) finds node_modules.
const nodeRequire: NodeRequire = typeof require === 'function' ? require : createRequire(resolve('package.json'));

let cached: OrtLoad | null = null;

/** Loads onnxruntime-node once; any error (not installed, native binding missing) is the reason. */
export function loadOnnxRuntime(): OrtLoad {
  if (cached) return cached;
  try {
    const ort = nodeRequire('onnxruntime-node') as OrtModule;
    cached = { ok: true, ort, version: ort.env.versions?.node ?? 'unknown' };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    cached = { ok: false, reason: `onnxruntime-node could not be loaded: ${msg.split('\n')[0]}` };
  }
  return cached;
}

/** Runs a single-input, single-output float32 session and returns the output's values. */
export async function runFloat(ort: OrtModule, session: OrtSession, data: Float32Array, dims: readonly number[]): Promise<Float32Array> {
  const inName = session.inputNames[0]!;
  const outName = session.outputNames[0]!;
  const out = await session.run({ [inName]: new ort.Tensor('float32', data, dims) });
  const t = out[outName];
  if (!t || !(t.data instanceof Float32Array)) throw new Error(`ONNX session returned no float32 output ${outName}`);
  return t.data;
}
