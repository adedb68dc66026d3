/**
 * A global-average-pool kernel in WebAssembly SIMD that runs on tfjs-backend-wasm's own memory.
 *
 * Why: the gates pool every gated unit's input on the host. Through tf.avgPool that was 4–5 % of a
 * batch-1 inference (almost all of it tfjs op dispatch), and a JS loop over the wasm heap still
 * 4.4 % (ResNet-20, 75 k floats pooled per inference, ≈ 1 ns each), which alone kept block
 * skipping's wall-clock saving well below its MAC saving. f32x4 adds over the same memory do
 * the work in a fraction of that with no tfjs dispatch and no copy.
 *
 * The module is a few hundred bytes, assembled here (no toolchain needed): it imports the memory
 * tfjs-backend-wasm exports and exports
 *   gap4(src, hw, c, out, inv) / gap16(…): for NHWC data at byte address src with hw positions and
 *   c channels, out[k] = inv · Σ_p src[p·c + k] for every channel k (c % 4 == 0, resp. c % 16 == 0).
 * One call per batch row. Callers pick by c and fall back to JS for other channel counts.
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
/** Signed LEB128 (i32.const immediates). */
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
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

/**
 * Body of a kernel summing `quads` 4-channel groups per pass over the positions (1 or 4): with 4,
 * each pass carries four independent accumulators (16 channels), which quarters the loop overhead
 * and hides the add latency; it needs c % 16 == 0.
 * Locals: 0 src, 1 hw, 2 c, 3 out, 4 inv (params); 5 k, 6 p, 7 i, 8 stride (i32); 9.. acc (v128).
 */
function gapBody(quads: 1 | 4): number[] {
  const accs = Array.from({ length: quads }, (_, q) => 9 + q);
  return [
    ...[0x02, 0x04, I32, quads, V128], // local declarations: 4 × i32, quads × v128
    ...[LOCAL_GET, 2, I32_CONST, 2, 0x74, LOCAL_SET, 8], // stride = c << 2 (bytes per position)
    ...[I32_CONST, 0, LOCAL_SET, 5], // k = 0 (byte offset of the first channel of this pass)
    ...[0x02, 0x40, 0x03, 0x40], // block, loop (over passes)
    ...[LOCAL_GET, 5, LOCAL_GET, 8, 0x4f, 0x0d, 1], // if k >= stride: break
    ...accs.flatMap((a) => [SIMD, 0x0c, ...new Array<number>(16).fill(0), LOCAL_SET, a]), // acc = 0
    ...[LOCAL_GET, 0, LOCAL_GET, 5, 0x6a, LOCAL_SET, 6], // p = src + k
    ...[LOCAL_GET, 1, LOCAL_SET, 7], // i = hw
    ...[0x02, 0x40, 0x03, 0x40], // block, loop (over positions)
    ...[LOCAL_GET, 7, 0x45, 0x0d, 1], // if i == 0: break
    // acc_q += v128.load(p + 16q)  (memarg: align hint 0, offset 16q)
    ...accs.flatMap((a, q) => [LOCAL_GET, a, LOCAL_GET, 6, SIMD, 0x00, 0x00, ...u32(16 * q), SIMD, ...u32(0xe4), LOCAL_SET, a]),
    ...[LOCAL_GET, 6, LOCAL_GET, 8, 0x6a, LOCAL_SET, 6], // p += stride
    ...[LOCAL_GET, 7, I32_CONST, 1, 0x6b, LOCAL_SET, 7], // i -= 1
    ...[0x0c, 0, 0x0b, 0x0b], // br loop; end loop; end block
    // v128.store(out + k + 16q, acc_q * splat(inv))
    ...accs.flatMap((a, q) => [LOCAL_GET, 3, LOCAL_GET, 5, 0x6a, LOCAL_GET, a, LOCAL_GET, 4, SIMD, 0x13, SIMD, ...u32(0xe6), SIMD, 0x0b, 0x00, ...u32(16 * q)]),
    ...[LOCAL_GET, 5, I32_CONST, ...sleb(16 * quads), 0x6a, LOCAL_SET, 5], // k += 16 · quads
    ...[0x0c, 0, 0x0b, 0x0b], // br loop; end loop; end block
    0x0b, // end function
  ];
}

const bodies = [gapBody(1), gapBody(4)];

/** The module's bytes (exported for the test that validates them). */
export const GAP_MODULE: Uint8Array<ArrayBuffer> = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(1, [1, 0x60, 5, I32, I32, I32, I32, F32, 0]), // type: (i32 i32 i32 i32 f32) -> ()
  ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01]), // import memory, min 1 page
  ...section(3, [2, 0, 0]), // two functions of type 0
  ...section(7, [2, ...name('gap4'), 0x00, 0, ...name('gap16'), 0x00, 1]), // exports
  ...section(10, [2, ...bodies.flatMap((b) => [...u32(b.length), ...b])]),
]);

export type GapKernel = (src: number, hw: number, c: number, out: number, inv: number) => void;

/** The module's two kernels: `gap4` for c % 4 == 0, `gap16` for c % 16 == 0 (faster). */
export interface GapKernels {
  gap4: GapKernel;
  gap16: GapKernel;
}

/** Instantiates the kernels on `memory`; null when this engine lacks wasm SIMD or refuses the module. */
export function createGapKernels(memory: WebAssembly.Memory): GapKernels | null {
  try {
    if (!WebAssembly.validate(GAP_MODULE)) return null;
    const inst = new WebAssembly.Instance(new WebAssembly.Module(GAP_MODULE), { env: { memory } });
    return { gap4: inst.exports.gap4 as GapKernel, gap16: inst.exports.gap16 as GapKernel };
  } catch {
    return null;
  }
}
