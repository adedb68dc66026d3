/**
 * The small dense linear algebra the cost fit needs (tens of columns, up to tens of thousands of
 * rows): least squares by Householder QR, non-negative least squares (Lawson & Hanson, *Solving
 * Least Squares Problems*, 1974, ch. 23), symmetric eigenvalues by cyclic Jacobi rotations, and a
 * symmetric positive-definite inverse. Matrices are arrays of rows.
 */

export type Matrix = number[][];

/** Least squares min ‖A x − b‖ by Householder QR; columns of A must be linearly independent. */
export function lstsq(A: Matrix, b: number[]): number[] {
  const m = A.length;
  const n = A[0]?.length ?? 0;
  if (n === 0) return [];
  const R = A.map((r) => [...r]);
  const y = [...b];
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += R[i]![k]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const alpha = R[k]![k]! > 0 ? -norm : norm;
    const v = new Array<number>(m).fill(0);
    v[k] = R[k]![k]! - alpha;
    for (let i = k + 1; i < m; i++) v[i] = R[i]![k]!;
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i]! ** 2;
    if (vv === 0) continue;
    for (let j = k; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i]! * R[i]![j]!;
      const f = (2 * s) / vv;
      for (let i = k; i < m; i++) R[i]![j]! -= f * v[i]!;
    }
    let s = 0;
    for (let i = k; i < m; i++) s += v[i]! * y[i]!;
    const f = (2 * s) / vv;
    for (let i = k; i < m; i++) y[i]! -= f * v[i]!;
  }
  const x = new Array<number>(n).fill(0);
  for (let k = n - 1; k >= 0; k--) {
    let s = y[k]!;
    for (let j = k + 1; j < n; j++) s -= R[k]![j]! * x[j]!;
    x[k] = R[k]![k]! === 0 ? 0 : s / R[k]![k]!;
  }
  return x;
}

/**
 * Non-negative least squares min ‖A x − b‖, x ≥ 0 (Lawson–Hanson active set). Returns x and the
 * indices that ended at the bound 0.
 */
export function nnls(A: Matrix, b: number[], maxIter = 30 * ((A[0]?.length ?? 0) + 1)): { x: number[]; atZero: number[] } {
  const m = A.length;
  const n = A[0]?.length ?? 0;
  const x = new Array<number>(n).fill(0);
  const passive = new Array<boolean>(n).fill(false);
  const gradient = (): number[] => {
    const r = b.map((bi, i) => bi - A[i]!.reduce((s, a, j) => s + a * x[j]!, 0));
    return Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let i = 0; i < m; i++) s += A[i]![j]! * r[i]!;
      return s;
    });
  };
  const scale = Math.max(1e-300, ...A.flatMap((r) => r.map(Math.abs))) * Math.max(1e-300, ...b.map(Math.abs));
  const tol = 1e-12 * scale * m;
  const sub = (cols: number[]): number[] => {
    const s = lstsq(
      A.map((r) => cols.map((j) => r[j]!)),
      b,
    );
    const full = new Array<number>(n).fill(0);
    cols.forEach((j, k) => (full[j] = s[k]!));
    return full;
  };
  for (let iter = 0; iter < maxIter; iter++) {
    const w = gradient();
    let t = -1;
    for (let j = 0; j < n; j++) if (!passive[j] && w[j]! > tol && (t < 0 || w[j]! > w[t]!)) t = j;
    if (t < 0) break;
    passive[t] = true;
    for (let inner = 0; inner < 3 * n + 3; inner++) {
      const cols = passive.flatMap((p, j) => (p ? [j] : []));
      const s = sub(cols);
      if (cols.every((j) => s[j]! > 0)) {
        for (let j = 0; j < n; j++) x[j] = s[j]!;
        break;
      }
      let alpha = Infinity;
      for (const j of cols) if (s[j]! <= 0) alpha = Math.min(alpha, x[j]! / (x[j]! - s[j]!));
      for (let j = 0; j < n; j++) x[j] = x[j]! + alpha * (s[j]! - x[j]!);
      for (const j of cols) {
        if (x[j]! <= 1e-15 * Math.max(1, Math.abs(s[j]!))) {
          x[j] = 0;
          passive[j] = false;
        }
      }
    }
  }
  return { x, atZero: x.flatMap((v, j) => (v === 0 ? [j] : [])) };
}

/** Eigenvalues and eigenvectors (columns of `vectors`) of a symmetric matrix, by cyclic Jacobi. */
export function symmetricEigen(S: Matrix): { values: number[]; vectors: Matrix } {
  const n = S.length;
  const a = S.map((r) => [...r]);
  const v: Matrix = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i]![j]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p]![q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!;
          const aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p]!;
          const vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((r, i) => r[i]!), vectors: v };
}

/** Inverse of a symmetric positive-definite matrix (Cholesky); null when it is not. */
export function spdInverse(S: Matrix): Matrix | null {
  const n = S.length;
  const L: Matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = S[i]![j]!;
      for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        L[i]![i] = Math.sqrt(s);
      } else L[i]![j] = s / L[j]![j]!;
    }
  }
  // inv = L^-T L^-1, column by column.
  const inv: Matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let c = 0; c < n; c++) {
    const y = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= L[i]![k]! * y[k]!;
      y[i] = s / L[i]![i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i]!;
      for (let k = i + 1; k < n; k++) s -= L[k]![i]! * inv[k]![c]!;
      inv[i]![c] = s / L[i]![i]!;
    }
  }
  return inv;
}
