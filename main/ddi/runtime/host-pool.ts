/**
 * Global average pooling of a tfjs-wasm activation read in place from the wasm heap.
 *
 * Why: the gates need the pooled unit input on the host before every gated unit. Through
 * tf.avgPool + dataSync, a CPU profile of batch-1 inference (ResNet-20, wasm, 2026-11-26) put
 * 4.1 % of all time in pooling, of which the XNNPACK kernel itself was 0.35 %: the rest was tfjs
 * op dispatch (op wrapper, an implicit cast/clone, engine bookkeeping, pool-info computation,
 * output allocation) and the read-back copy. Reading the activation where it lies and summing it in
 * JS costs only the arithmetic.
 *
 * The view relies on tfjs-backend-wasm internals (BackendWasm.dataIdMap entries with a
 * memoryOffset, and the Emscripten module's HEAPU8), checked on every call: when anything does not
 * match (another backend or version, a non-float32 tensor) `wasmFloatView` returns null and the
 * caller takes the tfjs path.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm the view needs. */
export interface WasmHeapAccess {
  dataIdMap: { get(id: object): { memoryOffset?: unknown; dtype?: unknown } | undefined };
  wasm: { HEAPU8: Uint8Array };
}

/** The active backend's heap access when it is tfjs-backend-wasm with the expected internals, else null. */
export function wasmHeapAccess(): WasmHeapAccess | null {
  if (tf.getBackend() !== 'wasm') return null;
  const be = tf.backend() as unknown as Partial<WasmHeapAccess>;
  return be.dataIdMap && typeof be.dataIdMap.get === 'function' && be.wasm?.HEAPU8 instanceof Uint8Array ? (be as WasmHeapAccess) : null;
}

/** Float32 view of tensor `t`'s data inside the wasm heap (no copy), or null when unavailable. */
export function wasmFloatView(heap: WasmHeapAccess, t: tf.Tensor): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const entry = heap.dataIdMap.get(t.dataId);
  if (!entry || entry.dtype !== 'float32' || typeof entry.memoryOffset !== 'number') return null;
  const off = entry.memoryOffset;
  // The heap's buffer is replaced when wasm memory grows: always take the current one.
  const buf = heap.wasm.HEAPU8.buffer;
  if (off % 4 !== 0 || off + t.size * 4 > buf.byteLength) return null;
  return new Float32Array(buf, off, t.size);
}

/** Mean over the spatial positions of NHWC data [n, hw, c] → [n × c] (float64 accumulation). */
export function globalAvgPoolNhwc(src: Float32Array, n: number, hw: number, c: number): Float32Array {
  const out = new Float32Array(n * c);
  // One channel at a time with a register accumulator: V8 keeps this loop tight, where a
  // per-channel accumulator array in the inner loop ran about 4× slower (measured).
  for (let r = 0; r < n; r++) {
    const base = r * hw * c;
    for (let k = 0; k < c; k++) {
      // Four independent partial sums keep the adds from waiting on each other.
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      const end = base + hw * c;
      const c4 = 4 * c;
      let j = base + k;
      for (; j + 3 * c < end; j += c4) {
        s0 += src[j]!;
        s1 += src[j + c]!;
        s2 += src[j + 2 * c]!;
        s3 += src[j + 3 * c]!;
      }
      for (; j < end; j += c) s0 += src[j]!;
      out[r * c + k] = (s0 + s1 + (s2 + s3)) / hw;
    }
  }
  return out;
}
