/**
 * A global-average-pool kernel in WebAssembly SIMD that runs on tfjs-backend-wasm's own memory.
 *
 * Why: the gates pool every gated unit's input on the host. Through tf.avgPool that was 4–5 % of a
 * batch-1 inference (almost all of it tfjs op dispatch), and a JS loop over the wasm heap still
 * 4.4 % (ResNet-20, 75 k floats pooled per inference, ≈ 1 ns each), which alone kept block
 * skipping's wall-clock saving well below its MAC saving. f32x4 adds over the same memory do
 * the work in a fraction of that with no tfjs dispatch and no copy.
 *
 * The module is a few dozen bytes, assembled here (no toolchain needed): it imports the memory
 * tfjs-backend-wasm exports and exports
 *   gap(src, hw, c, out, inv): for each 4-channel quad k of NHWC data at byte address src with hw
 *   positions and c channels (c % 4 == 0), out[k..k+3] = inv · Σ_p src[p·c + k..k+3]
 * One call per batch row. Callers check `c % 4 === 0` and fall back to JS otherwise.
 */

// LEB128 encodings: every number in this module fits in one byte except the SIMD sub-opcodes.
const u32 = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const section = (id: number, body: number[]): number[] => [id, ...u32(body.length), ...body];
const name = (s: string): number[] => [...u32(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
// Opcodes used below.
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_CONST = 0x41;
const SIMD = 0xfd;

// Locals: 0 src, 1 hw, 2 c, 3 out, 4 inv (params); 5 k, 6 p, 7 i, 8 stride (i32); 9 acc (v128).
const body: number[] = [
  ...[0x02, 0x04, I32, 0x01, V128], // local declarations: 4 × i32, 1 × v128
  ...[LOCAL_GET, 2, I32_CONST, 2, 0x74, LOCAL_SET, 8], // stride = c << 2 (bytes per position)
  ...[I32_CONST, 0, LOCAL_SET, 5], // k = 0 (byte offset of the channel quad)
  ...[0x02, 0x40, 0x03, 0x40], // block, loop (over quads)
  ...[LOCAL_GET, 5, LOCAL_GET, 8, 0x4f, 0x0d, 1], // if k >= stride: break
  ...[SIMD, 0x0c, ...new Array<number>(16).fill(0), LOCAL_SET, 9], // acc = 0
  ...[LOCAL_GET, 0, LOCAL_GET, 5, 0x6a, LOCAL_SET, 6], // p = src + k
  ...[LOCAL_GET, 1, LOCAL_SET, 7], // i = hw
  ...[0x02, 0x40, 0x03, 0x40], // block, loop (over positions)
  ...[LOCAL_GET, 7, 0x45, 0x0d, 1], // if i == 0: break
  ...[LOCAL_GET, 9, LOCAL_GET, 6, SIMD, 0x00, 0x00, 0x00, SIMD, ...u32(0xe4), LOCAL_SET, 9], // acc += v128.load(p)
  ...[LOCAL_GET, 6, LOCAL_GET, 8, 0x6a, LOCAL_SET, 6], // p += stride
  ...[LOCAL_GET, 7, I32_CONST, 1, 0x6b, LOCAL_SET, 7], // i -= 1
  ...[0x0c, 0, 0x0b, 0x0b], // br loop; end loop; end block
  ...[LOCAL_GET, 3, LOCAL_GET, 5, 0x6a], // address out + k
  ...[LOCAL_GET, 9, LOCAL_GET, 4, SIMD, 0x13, SIMD, ...u32(0xe6)], // acc * splat(inv)
  ...[SIMD, 0x0b, 0x00, 0x00], // v128.store
  ...[LOCAL_GET, 5, I32_CONST, 16, 0x6a, LOCAL_SET, 5], // k += 16
  ...[0x0c, 0, 0x0b, 0x0b], // br loop; end loop; end block
  0x0b, // end function
];

/** The module's bytes (exported for the test that validates them). */
export const GAP_MODULE: Uint8Array<ArrayBuffer> = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(1, [1, 0x60, 5, I32, I32, I32, I32, F32, 0]), // type: (i32 i32 i32 i32 f32) -> ()
  ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01]), // import memory, min 1 page
  ...section(3, [1, 0]), // one function of type 0
  ...section(7, [1, ...name('gap'), 0x00, 0]), // export it as "gap"
  ...section(10, [1, ...u32(body.length), ...body]),
]);

export type GapKernel = (src: number, hw: number, c: number, out: number, inv: number) => void;

/** Instantiates the kernel on `memory`; null when this engine lacks wasm SIMD or refuses the module. */
export function createGapKernel(memory: WebAssembly.Memory): GapKernel | null {
  try {
    if (!WebAssembly.validate(GAP_MODULE)) return null;
    const inst = new WebAssembly.Instance(new WebAssembly.Module(GAP_MODULE), { env: { memory } });
    return inst.exports.gap as GapKernel;
  } catch {
    return null;
  }
}
