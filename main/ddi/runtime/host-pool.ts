/**
 * Global average pooling of a tfjs-wasm activation where it lies in the wasm heap (the gates' input).
 *
 * Why: the gates need the pooled unit input on the host before every gated unit. Through
 * tf.avgPool + dataSync, a CPU profile of batch-1 inference (ResNet-20, wasm, 2026-11-26) put
 * 4.1 % of all time in pooling, of which the XNNPACK kernel itself was 0.35 %: the rest was tfjs
 * op dispatch (op wrapper, an implicit cast/clone, engine bookkeeping, pool-info computation,
 * output allocation) and the read-back copy. Here the activation is pooled in place by a small
 * WebAssembly SIMD kernel on tfjs's own memory (wasm-pool-kernel.ts), or by a JS loop where that
 * kernel cannot run.
 *
 * This relies on tfjs-backend-wasm internals (BackendWasm.dataIdMap entries with a memoryOffset,
 * the Emscripten module's HEAPU8, asm.memory, _malloc and _free), checked at construction and on
 * every call: when anything does not match (another backend or version, a non-float32 tensor)
 * `pool` returns null and the caller takes the tfjs path.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createGapKernels, type GapKernels } from './wasm-pool-kernel';

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
export interface WasmHeapAccess {
  dataIdMap: { get(id: object): { memoryOffset?: unknown; dtype?: unknown } | undefined };
  wasm: { HEAPU8: Uint8Array; asm?: { memory?: unknown }; _malloc?: (bytes: number) => number; _free?: (ptr: number) => void };
}

/** The active backend's heap access when it is tfjs-backend-wasm with the expected internals, else null. */
export function wasmHeapAccess(): WasmHeapAccess | null {
  if (tf.getBackend() !== 'wasm') return null;
  const be = tf.backend() as unknown as Partial<WasmHeapAccess>;
  return be.dataIdMap && typeof be.dataIdMap.get === 'function' && be.wasm?.HEAPU8 instanceof Uint8Array ? (be as WasmHeapAccess) : null;
}

/** Byte offset of float32 tensor `t`'s data in the wasm heap, or null when it cannot be used in place. */
function heapOffset(heap: WasmHeapAccess, t: tf.Tensor): number | null {
  if (t.dtype !== 'float32') return null;
  const entry = heap.dataIdMap.get(t.dataId);
  if (!entry || entry.dtype !== 'float32' || typeof entry.memoryOffset !== 'number') return null;
  const off = entry.memoryOffset;
  // The heap's buffer is replaced when wasm memory grows: always take the current one.
  return off % 4 === 0 && off + t.size * 4 <= heap.wasm.HEAPU8.buffer.byteLength ? off : null;
}

/** `floats` float32 values at byte offset `off` of the current heap buffer (no copy). */
const heapFloats = (heap: WasmHeapAccess, off: number, floats: number) => new Float32Array(heap.wasm.HEAPU8.buffer, off, floats);

/** Float32 view of tensor `t`'s data inside the wasm heap (no copy), or null when unavailable. */
export function wasmFloatView(heap: WasmHeapAccess, t: tf.Tensor): Float32Array | null {
  const off = heapOffset(heap, t);
  return off === null ? null : heapFloats(heap, off, t.size);
}

/** Mean over the spatial positions of NHWC data [n, hw, c] → [n × c], in JS. */
export function globalAvgPoolNhwc(src: Float32Array, n: number, hw: number, c: number): Float32Array {
  const out = new Float32Array(n * c);
  for (let r = 0; r < n; r++) {
    const base = r * hw * c;
    const end = base + hw * c;
    let k = 0;
    // Four neighbouring channels per pass: contiguous reads, four independent sums (about 1.5× a
    // channel-at-a-time loop in V8, measured).
    for (; k + 3 < c; k += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = base + k; j < end; j += c) {
        s0 += src[j]!;
        s1 += src[j + 1]!;
        s2 += src[j + 2]!;
        s3 += src[j + 3]!;
      }
      const o = r * c + k;
      out[o] = s0 / hw;
      out[o + 1] = s1 / hw;
      out[o + 2] = s2 / hw;
      out[o + 3] = s3 / hw;
    }
    for (; k < c; k++) {
      let s = 0;
      for (let j = base + k; j < end; j += c) s += src[j]!;
      out[r * c + k] = s / hw;
    }
  }
  return out;
}

/** Pools NHWC wasm tensors in place: the SIMD kernel when it can run, else the JS loop. */
export class WasmPooler {
  private readonly kernels: GapKernels | null;
  private outPtr = 0;
  private outFloats = 0;

  constructor(private readonly heap: WasmHeapAccess) {
    const mem = heap.wasm.asm?.memory;
    const canAlloc = typeof heap.wasm._malloc === 'function' && typeof heap.wasm._free === 'function';
    this.kernels = mem instanceof WebAssembly.Memory && mem.buffer === heap.wasm.HEAPU8.buffer && canAlloc ? createGapKernels(mem) : null;
  }

  /** Which implementation runs for c % 4 == 0 (reported by the tests and the benchmark). */
  get usesSimdKernel(): boolean {
    return this.kernels !== null;
  }

  /** Pooled [n × c] of NHWC tensor `t`, or null when it cannot be read in place. */
  pool(t: tf.Tensor4D): Float32Array | null {
    const off = heapOffset(this.heap, t);
    if (off === null) return null;
    const [n, h, w, c] = t.shape;
    const hw = h * w;
    if (!this.kernels || c % 4 !== 0) return globalAvgPoolNhwc(heapFloats(this.heap, off, t.size), n, hw, c);
    if (this.outFloats < n * c) {
      if (this.outPtr) this.heap.wasm._free!(this.outPtr);
      this.outPtr = this.heap.wasm._malloc!(n * c * 4);
      this.outFloats = n * c;
    }
    const kernel = c % 16 === 0 ? this.kernels.gap16 : this.kernels.gap4;
    for (let r = 0; r < n; r++) kernel(off + r * hw * c * 4, hw, c, this.outPtr + r * c * 4, 1 / hw);
    // Read after the calls: _malloc may have grown the memory and replaced the buffer.
    return heapFloats(this.heap, this.outPtr, n * c).slice();
  }

  dispose(): void {
    if (this.outPtr) this.heap.wasm._free!(this.outPtr);
    this.outPtr = 0;
    this.outFloats = 0;
  }
}
