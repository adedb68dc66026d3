/**
 * Fully connected layers evaluated on the host in float64: the gate networks (gates.ts) and, on
 * wasm, the exit heads' and classifier's final linear layer (runtime/tfjs.ts). A few thousand MACs
 * each, where a tfjs op would cost more in dispatch than in arithmetic at batch 1.
 */

export interface HostFc {
  /** Weights transposed to [nout][nin], so each output is one contiguous dot product. */
  wt: Float64Array;
  b: Float64Array;
  nin: number;
  nout: number;
}

/** Builds a layer from a row-major [nin][nout] kernel and its bias. */
export function hostFc(kernel: ArrayLike<number>, bias: ArrayLike<number>, nin: number, nout: number): HostFc {
  const wt = new Float64Array(nin * nout);
  for (let i = 0; i < nin; i++) for (let o = 0; o < nout; o++) wt[o * nin + i] = kernel[i * nout + o]!;
  return { wt, b: Float64Array.from(bias), nin, nout };
}

/**
 * out = x·W + b. Every array here is a Float64Array so that V8 keeps this hot loop monomorphic
 * (mixing Float32Array and Float64Array arguments made it several times slower; float32 weights
 * were slower too, measured). Dot-product order with two register accumulators: about 2× faster in
 * V8 than accumulating into out[] row by row (0.6 vs 1.15 µs for a 16→16→4 channel gate,
 * measured 2026-11-26).
 */
export function fc(x: Float64Array, f: HostFc, out: Float64Array): Float64Array {
  const { wt, b, nin, nout } = f;
  for (let o = 0, row = 0; o < nout; o++, row += nin) {
    let s0 = b[o]!;
    let s1 = 0;
    let i = 0;
    for (; i + 1 < nin; i += 2) {
      s0 += x[i]! * wt[row + i]!;
      s1 += x[i + 1]! * wt[row + i + 1]!;
    }
    if (i < nin) s0 += x[i]! * wt[row + i]!;
    out[o] = s0 + s1;
  }
  return out;
}

/** Applies `f` to n float32 rows [n × nin] → float32 [n × nout]. */
export function fcRows(x: Float32Array, n: number, f: HostFc): Float32Array {
  const out = new Float32Array(n * f.nout);
  const row = new Float64Array(f.nin);
  const y = new Float64Array(f.nout);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < f.nin; i++) row[i] = x[r * f.nin + i]!;
    fc(row, f, y);
    out.set(y, r * f.nout);
  }
  return out;
}
