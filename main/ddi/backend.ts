/**
 * Backend selection: ONNX Runtime ('ort', onnxruntime-node, runtime/ort.ts) when installed and
 * loadable, else tfjs-node ('tensorflow'), else tfjs wasm, else tfjs cpu.
 * The chosen backend, its version and its flags are returned so callers can record them.
 * Call initBackend before building or loading any model (tensors made under one backend are
 * silently copied to the next one on first use).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { UserError } from '../util/errors';
import { loadOrtBinding, ortThreads } from './runtime/ort-binding';

/** 'ort' is the ONNX Runtime executor; the others are TensorFlow.js backends. */
export type BackendName = 'ort' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: BackendName;
  /** Version of the backend package (onnxruntime-node / tfjs-node / tfjs-backend-wasm / tfjs-backend-cpu). */
  version: string;
  /** tfjs-core version in use. */
  coreVersion: string;
  /** Relevant tfjs environment flags (e.g. WASM_HAS_SIMD_SUPPORT). */
  flags: Record<string, unknown>;
  /** Why preferred backends were not used (empty when the first choice worked). */
  notes: string[];
}

export const BACKEND_ORDER: readonly BackendName[] = ['ort', 'tensorflow', 'wasm', 'cpu'];
const ORDER = BACKEND_ORDER;

// In the esbuild CJS bundle `require` is the real one; under vitest (ESM) fall back to a require
// rooted at the working directory (the repository).
const nodeRequire: NodeRequire = typeof require === 'function' ? require : createRequire(resolve('package.json'));

function packageVersion(pkg: string): string {
  try {
    return (nodeRequire(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Absolute directory (with trailing separator, as setWasmPaths joins it to the file name) of the
 * wasm binaries. DDI_WASM_DIR overrides; inside a packaged Electron app the files must come from
 * app.asar.unpacked because the wasm loader needs real files.
 */
export function wasmDirectory(): string {
  const override = process.env.DDI_WASM_DIR;
  let dir = override ? resolve(override) : join(dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm')));
  const unpacked = dir.replace(`app.asar${sep}`, `app.asar.unpacked${sep}`);
  if (unpacked !== dir && existsSync(unpacked)) dir = unpacked;
  return dir.endsWith(sep) ? dir : dir + sep;
}

/**
 * Loads an optional backend package. Any error counts as "not available": MODULE_NOT_FOUND when npm
 * dropped the optional dependency, "native addon module (tfjs_binding.node) can not be found" when
 * install scripts were skipped, or a failing libtensorflow load. Returns the first line of the error.
 */
export function tryRequire(load: () => unknown): { ok: true } | { ok: false; error: string } {
  try {
    load();
    return { ok: true };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { ok: false, error: msg.split('\n')[0]! };
  }
}

let tfjsNodeTried = false;
let tfjsNodeError: string | null = null;

function tryLoadTfjsNode(): boolean {
  if (tf.findBackend('tensorflow')) return true;
  if (tfjsNodeTried) return false;
  tfjsNodeTried = true;
  const r = tryRequire(() => nodeRequire('@tensorflow/tfjs-node'));
  if (!r.ok) {
    tfjsNodeError = r.error;
    return false;
  }
  return tf.findBackend('tensorflow') !== null;
}

let wasmPathSet = false;

/** Why a backend could not be used: the raw reason, kept for the sentence people read. */
export interface BackendFailure {
  name: BackendName;
  reason: string;
}

/**
 * ONNX Runtime runs the units; tfjs still holds the model's weights and runs what the engine does
 * not (training and its masked per-epoch evaluation), so a tfjs backend must be up too: the one
 * already running, else wasm, else cpu. (With cpu there, convolutions run in plain JS; `eval` of the
 * 10k test set spent minutes in them while its per-exit accuracy still ran on tfjs.)
 */
async function trySetOrt(failures: BackendFailure[]): Promise<boolean> {
  const load = loadOrtBinding();
  if (!load.ok) {
    failures.push({ name: 'ort', reason: load.reason });
    return false;
  }
  if (!tf.engine().backendName && !(await trySet('wasm', []))) {
    await tf.setBackend('cpu');
    await tf.ready();
  }
  return true;
}

async function trySet(name: BackendName, failures: BackendFailure[]): Promise<boolean> {
  if (name === 'ort') return trySetOrt(failures);
  try {
    if (name === 'tensorflow') {
      if (!tryLoadTfjsNode()) {
        failures.push({ name, reason: tfjsNodeError ?? 'not installed' });
        return false;
      }
    }
    if (name === 'wasm' && !wasmPathSet) {
      setWasmPaths(wasmDirectory());
      wasmPathSet = true;
    }
    const ok = await tf.setBackend(name);
    await tf.ready();
    if (!ok || tf.getBackend() !== name) {
      failures.push({ name, reason: 'failed to initialise' });
      return false;
    }
    return true;
  } catch (e) {
    failures.push({ name, reason: e instanceof Error ? e.message.split('\n')[0]! : String(e) });
    return false;
  }
}

const LABEL: Record<BackendName, string> = {
  ort: 'ONNX Runtime (onnxruntime-node)',
  tensorflow: 'the native TensorFlow backend (@tensorflow/tfjs-node)',
  wasm: 'the wasm backend',
  cpu: 'the plain JavaScript cpu backend',
};

/**
 * One sentence for people on which backend runs and why the faster ones before it do not, e.g.
 * "Using the wasm backend: the native TensorFlow backend (@tensorflow/tfjs-node) is not installed;
 * `npm install @tensorflow/tfjs-node` would add it." Null when the first choice worked.
 */
export function backendChoiceSentence(chosen: BackendName, failures: readonly BackendFailure[]): string | null {
  if (failures.length === 0) return null;
  const why = failures.map((f) => {
    if (f.name === 'ort') {
      return /Cannot find module 'onnxruntime-node/.test(f.reason)
        ? `${LABEL.ort} is not installed (\`npm install onnxruntime-node\` would add it)`
        : `${LABEL.ort} did not load (${f.reason})`;
    }
    if (f.name === 'tensorflow') {
      return /Cannot find module '@tensorflow\/tfjs-node'/.test(f.reason)
        ? `${LABEL.tensorflow} is not installed (\`npm install @tensorflow/tfjs-node\` would add it)`
        : `${LABEL.tensorflow} did not load (${f.reason}; reinstalling it with \`npm install @tensorflow/tfjs-node\` may fix that)`;
    }
    return `${LABEL[f.name]} ${f.reason === 'failed to initialise' ? 'failed to initialise' : `failed (${f.reason})`}`;
  });
  return `Using ${LABEL[chosen]} because ${why.join(' and ')}.`;
}

/** The ONNX Runtime executor's info (name 'ort', onnxruntime-node's version, its thread count). */
export function ortBackendInfo(notes: string[] = []): BackendInfo {
  const load = loadOrtBinding();
  if (!load.ok) throw new Error(`ONNX Runtime is not available: ${load.reason}`);
  return { name: 'ort', version: load.binding.version, coreVersion: tf.version_core, flags: { intraOpNumThreads: ortThreads() }, notes };
}

export function currentBackendInfo(notes: string[] = []): BackendInfo {
  const name = tf.getBackend() as BackendName;
  const env = tf.env();
  const flags: Record<string, unknown> = {};
  for (const f of ['WASM_HAS_SIMD_SUPPORT', 'WASM_HAS_MULTITHREAD_SUPPORT', 'IS_NODE', 'PROD']) {
    try {
      flags[f] = env.get(f);
    } catch {
      /* flag not registered on this backend */
    }
  }
  const pkg = name === 'tensorflow' ? '@tensorflow/tfjs-node' : name === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs-backend-cpu';
  return { name, version: packageVersion(pkg), coreVersion: tf.version_core, flags, notes };
}

/** Help text of the --backend options. */
export const BACKEND_OPTION_HELP = 'ort | tensorflow | wasm | cpu (default: the fastest available, ort when onnxruntime-node loads)';

/** A --backend value checked before anything starts (undefined = the fastest available). */
export function parseBackendName(name: string | undefined): BackendName | undefined {
  if (name === undefined) return undefined;
  if (!(BACKEND_ORDER as readonly string[]).includes(name))
    throw new UserError(`Unknown backend "${name}"; choose ort, tensorflow, wasm or cpu.`, 'bad-backend');
  return name as BackendName;
}

/**
 * Selects the backend. With `prefer`, that backend is tried first and the others follow in the
 * normal order; without it the order is ort → tensorflow → wasm → cpu. `strict` makes a failed
 * preferred backend an error instead of a fallback.
 */
export async function initBackend(prefer?: BackendName, opts: { strict?: boolean } = {}): Promise<BackendInfo> {
  if (prefer && !ORDER.includes(prefer)) {
    throw new UserError(`Unknown backend "${prefer}"; choose ort, tensorflow, wasm or cpu.`);
  }
  ortThreads(); // a bad DDI_ORT_THREADS is refused up front, whichever backend ends up running
  // PROD only silences tfjs console banners ("install tfjs-node" on cpu), which would otherwise
  // land in CLI output and --json streams; it changes no numerics.
  tf.env().set('PROD', true);
  const order = prefer ? [prefer, ...ORDER.filter((b) => b !== prefer)] : ORDER;
  const failures: BackendFailure[] = [];
  const notes = (name: BackendName): string[] => {
    const sentence = backendChoiceSentence(name, failures);
    return sentence ? [sentence] : [];
  };
  for (const name of order) {
    if (name === 'ort') {
      if (await trySet(name, failures)) return ortBackendInfo(notes(name));
      if (prefer && opts.strict) throw new UserError(`Backend ort is not available (${failures.map((f) => f.reason).join('; ')}).`, 'backend-unavailable');
      continue;
    }
    if (tf.engine().backendName === name && tf.findBackend(name)) return currentBackendInfo(notes(name));
    if (await trySet(name, failures)) return currentBackendInfo(notes(name));
    if (prefer && opts.strict) {
      throw new UserError(`Backend ${prefer} is not available (${failures.map((f) => `${f.name}: ${f.reason}`).join('; ')}).`, 'backend-unavailable');
    }
  }
  throw new Error(`No TensorFlow.js backend could be initialised: ${failures.map((f) => `${f.name}: ${f.reason}`).join('; ')}`);
}
