/**
 * Synchronous ONNX Runtime sessions for the unit executor (runtime/ort.ts).
 *
 * Why not onnxruntime-node's public `InferenceSession`: its `run` is asynchronous (every call
 * returns a Promise resolved from a `setImmediate`), while the unit seam is synchronous (the DDI
 * controller decides each gate between two units). The package's own session handler
 * (onnxruntime-node/dist/backend.js) wraps a native `binding.InferenceSession` whose `loadModel`
 * and `run` are synchronous; this module uses that binding directly, as the handler does, and
 * checks its shape so a release that changes it is reported as "not available" (the engine then
 * falls back to tfjs) instead of failing later.
 *
 * onnxruntime-node is loaded at run time and typed by the small interfaces below, so the project
 * type-checks and runs without it (npm drops an optional dependency whose install fails).
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { UserError } from '../../util/errors';

/** An onnxruntime-common Tensor as far as the executor uses it (float32, or int64 indices). */
export interface OrtTensorLike {
  readonly data: Float32Array | BigInt64Array | unknown;
  readonly dims: readonly number[];
  readonly type: string;
}

export interface OrtTensorCtor {
  new (type: 'float32', data: Float32Array, dims: readonly number[]): OrtTensorLike;
  new (type: 'int64', data: BigInt64Array, dims: readonly number[]): OrtTensorLike;
}

/** The native session of onnxruntime-node's binding (see the file comment). */
interface NativeSession {
  endProfiling?(): unknown;
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: Record<string, unknown>): void;
  run(feeds: Record<string, OrtTensorLike>, fetches: Record<string, null>, options: Record<string, unknown>): Record<string, OrtTensorLike>;
  dispose(): void;
  readonly inputMetadata: readonly { name: string }[];
  readonly outputMetadata: readonly { name: string }[];
}

export interface OrtBinding {
  /** onnxruntime-node's version (package.json). */
  version: string;
  Tensor: OrtTensorCtor;
  createSession(bytes: Uint8Array, options: OrtSyncOptions): OrtSyncSession;
}

export interface OrtSyncOptions {
  /** Intra-op threads of the CPU execution provider (1 = no thread pool). */
  intraOpThreads: number;
  /** Benchmarks: ONNX Runtime's profiler writes every node's kernel time to a JSON file with this path prefix (see endProfiling). */
  profilePrefix?: string;
}

/** A loaded session; `run` blocks until the outputs are ready. */
export class OrtSyncSession {
  readonly inputNames: string[];
  readonly outputNames: string[];
  private readonly fetch: Record<string, null>;
  private disposed = false;

  constructor(private readonly native: NativeSession) {
    this.inputNames = native.inputMetadata.map((m) => m.name);
    this.outputNames = native.outputMetadata.map((m) => m.name);
    this.fetch = Object.fromEntries(this.outputNames.map((n) => [n, null]));
  }

  /** Runs the graph; returns its outputs in order. */
  run(feeds: Record<string, OrtTensorLike>): OrtTensorLike[] {
    const out = this.native.run(feeds, this.fetch, {});
    return this.outputNames.map((n) => out[n]!);
  }

  /** Ends a profiled session's profile (OrtSyncOptions.profilePrefix); returns the JSON file's path. */
  endProfiling(): string {
    if (typeof this.native.endProfiling !== 'function') throw new Error("this onnxruntime-node's session has no endProfiling");
    return String(this.native.endProfiling());
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.native.dispose();
  }
}

export type OrtBindingLoad = { ok: true; binding: OrtBinding } | { ok: false; reason: string };

// As in backend.ts: in the esbuild CJS bundle `require` is the real one; under vitest (ESM) a
// require rooted at the working directory finds node_modules.
const nodeRequire: NodeRequire = typeof require === 'function' ? require : createRequire(resolve('package.json'));

/** Requires onnxruntime-node's pieces; throws when any is missing or not of the expected shape. */
export function requireOrtBinding(req: (id: string) => unknown = nodeRequire): OrtBinding {
  const pkg = req('onnxruntime-node') as { Tensor?: unknown };
  const { version } = req('onnxruntime-node/package.json') as { version: string };
  const internal = req('onnxruntime-node/dist/binding') as { binding?: { InferenceSession?: unknown }; initOrt?: unknown };
  const Native = internal.binding?.InferenceSession as (new () => NativeSession) | undefined;
  if (typeof pkg.Tensor !== 'function' || typeof Native !== 'function' || typeof internal.initOrt !== 'function') {
    throw new Error(`onnxruntime-node ${version} has no synchronous session binding where 1.30 has it (dist/binding.js)`);
  }
  (internal.initOrt as () => void)();
  const proto = Native.prototype as Partial<NativeSession>;
  if (typeof proto.run !== 'function' || typeof proto.loadModel !== 'function') {
    throw new Error(`onnxruntime-node ${version}'s native session has no synchronous run/loadModel`);
  }
  return {
    version,
    Tensor: pkg.Tensor as OrtTensorCtor,
    createSession(bytes, options) {
      const s = new Native();
      s.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
        intraOpNumThreads: options.intraOpThreads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        // 'all' includes the NCHWc layout transformer: about 5× faster convolutions than 'extended' here.
        graphOptimizationLevel: 'all',
        // Every session has its own intra-op pool and the executor holds dozens of sessions: with
        // ONNX Runtime's default spin-waiting, their idle threads fight over the cores (eval of the
        // static model with 2 threads on 2 cores: 16.2 s spinning, 4.0 s not; mgl2s-50 32.6 s vs 5.3 s).
        ...(options.intraOpThreads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
        ...(options.profilePrefix ? { enableProfiling: true, profileFilePrefix: options.profilePrefix } : {}),
      });
      return new OrtSyncSession(s);
    },
  };
}

type Loader = () => OrtBinding;
let loader: Loader = () => requireOrtBinding();
let cached: OrtBindingLoad | null = null;

/** Loads onnxruntime-node once; any error (not installed, native library missing) becomes the reason. */
export function loadOrtBinding(): OrtBindingLoad {
  if (cached) return cached;
  try {
    cached = { ok: true, binding: loader() };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    cached = { ok: false, reason: msg.split('\n')[0]! };
  }
  return cached;
}

/**
 * Replaces the loader (tests: simulate a failed optional install); undefined restores the real
 * one. Clears the cached result either way.
 */
export function setOrtLoaderForTests(l: Loader | undefined): void {
  loader = l ?? (() => requireOrtBinding());
  cached = null;
}

/** Intra-op threads: DDI_ORT_THREADS when set, else 1 (the meter ingest needs the other core on small boards). */
export function ortThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.DDI_ORT_THREADS;
  if (raw === undefined || raw === '') return 1;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1 || v > 64) {
    throw new UserError(`DDI_ORT_THREADS = "${raw}" is not a thread count; set it to an integer from 1 to 64 or unset it (default 1).`, 'bad-option');
  }
  return v;
}
