/**
 * Fit of a cost table's parameters from measured observations: y ≈ intercept + Σ θ_j · x_j with every
 * θ ≥ 0 (non-negative least squares, Lawson–Hanson), where y is an inference's measured active
 * energy (or duration) and x_j its executed MACs or units of one unit kind (features.ts).
 *
 * Because the model is linear, the mean of several inferences' y with the mean of their features is
 * an observation of the same model: a window-mode run contributes one observation per window (its
 * energy per inference and its inferences' mean features), weighted by its number of inferences.
 *
 * Before fitting, the design is checked for what the data cannot tell apart, and the answer says so:
 * - a parameter whose feature is 0 throughout is *absent* (no such unit ran);
 * - one whose feature is the same in every observation (the stem, or the classifier when nothing
 *   halts) is *folded into the intercept*;
 * - columns that are (nearly) linearly dependent — the smallest singular value of the centred,
 *   unit-norm design below `collinearTol` of the largest — are resolved one at a time: a per-unit
 *   parameter among them is dropped (its cost is carried by the others), otherwise the two rate
 *   columns that dominate the dependency share one pooled per-MAC rate.
 * After the fit, parameters at the bound 0 are reported as such, and those whose standard error
 * (ordinary least squares on all identified columns) exceeds `weakRelSe` (default 10 %) of their
 * value as weakly determined: they still serve the table's predictions, in combination with the
 * others, but their single values should not be read as the board's cost of that kind.
 */
import { nnls, spdInverse, symmetricEigen, type Matrix } from './linalg';

export interface Observation {
  /** Feature name → value (features.ts names: "block.macs", "exit.units", …). */
  values: Record<string, number>;
  y: number;
  /** Inferences this observation stands for (1 per inference; a window's count). Default 1. */
  weight?: number;
}

export interface ParameterSpec {
  name: string;
  /** Feature names summed into this parameter's column. */
  features: string[];
  /** 'rate': per MAC or byte, pooled with a collinear rate; 'per-unit': dropped first when collinear. */
  role: 'rate' | 'per-unit';
}

export type ParameterStatus = 'fitted' | 'weak' | 'zero' | 'pooled' | 'folded' | 'absent';

export interface FittedParameter {
  name: string;
  status: ParameterStatus;
  /** The value the table uses (a pooled parameter carries the pooled rate; folded/absent are 0). */
  value: number;
  /** Standard error, where the parameter was fitted freely and ended positive. */
  se: number | null;
  /** For any status but 'fitted': one sentence on why. */
  note: string | null;
}

/** One fitted column: its value multiplies the sum of its features. */
export interface FitTerm {
  name: string;
  features: string[];
  value: number;
}

export interface FitResult {
  intercept: number;
  interceptSe: number | null;
  terms: FitTerm[];
  parameters: FittedParameter[];
  /** Over the observations used, weighted by their inference counts. */
  residuals: { observations: number; inferences: number; rmse: number; mape: number | null; r2: number | null; excluded: number };
}

export interface FitOptions {
  /** Smallest singular value, relative to the largest, of a design taken as identifiable (default 1e-3). */
  collinearTol?: number;
  /** Standard error, relative to the value, above which a parameter is reported as weak (default 0.1). */
  weakRelSe?: number;
  /** Residuals beyond this many robust standard deviations are outliers (default 5; 0 keeps all). */
  outlierSigma?: number;
}

interface Column {
  name: string;
  members: string[];
  features: string[];
  role: 'rate' | 'per-unit';
}

const colValue = (o: Observation, features: string[]): number => features.reduce((s, f) => s + (o.values[f] ?? 0), 0);

/** The default parameters: per unit kind a rate per MAC and a cost per executed unit. */
export function perKindParameters(kinds: readonly string[]): ParameterSpec[] {
  return kinds.flatMap((k) => [
    { name: `${k}.macs`, features: [`${k}.macs`], role: 'rate' as const },
    { name: `${k}.units`, features: [`${k}.units`], role: 'per-unit' as const },
  ]);
}

export function predict(fit: Pick<FitResult, 'intercept' | 'terms'>, values: Record<string, number>): number {
  return fit.terms.reduce((s, t) => s + t.value * t.features.reduce((a, f) => a + (values[f] ?? 0), 0), fit.intercept);
}

/**
 * The fit, made robust to rare outliers (a one-off kernel compilation, a garbage-collection pause, a
 * descheduled thread: tens of milliseconds against an inference of a fraction of one): observations
 * whose residual exceeds `outlierSigma` (default 5) robust standard deviations (1.4826 × the median
 * absolute residual) are left out and the fit is repeated, at most twice; their number is reported.
 */
export function fitCosts(obs: Observation[], specs: ParameterSpec[], opts: FitOptions = {}): FitResult {
  const k = opts.outlierSigma ?? 5;
  let kept = obs;
  let fit = fitOnce(kept, specs, opts);
  for (let pass = 0; pass < 2 && k > 0; pass++) {
    const r = kept.map((o) => Math.abs(o.y - predict(fit, o.values)));
    const mad = [...r].sort((a, b) => a - b)[Math.floor((r.length - 1) / 2)]!;
    const limit = k * 1.4826 * mad;
    const next = kept.filter((_, i) => !(r[i]! > limit));
    if (!(mad > 0) || next.length === kept.length || next.length < 2) break;
    kept = next;
    fit = fitOnce(kept, specs, opts);
  }
  fit.residuals.excluded = obs.length - kept.length;
  return fit;
}

function fitOnce(obs: Observation[], specs: ParameterSpec[], opts: FitOptions): FitResult {
  const tol = opts.collinearTol ?? 1e-3;
  const weakRelSe = opts.weakRelSe ?? 0.1;
  if (obs.length === 0) throw new Error('No observation to fit.');
  const w = obs.map((o) => o.weight ?? 1);
  const wSum = w.reduce((s, v) => s + v, 0);
  const sw = w.map(Math.sqrt);
  const status = new Map<string, { status: ParameterStatus; note: string | null }>();

  // Absent and constant columns.
  let cols: Column[] = [];
  for (const p of specs) {
    const x = obs.map((o) => colValue(o, p.features));
    const mean = x.reduce((s, v, i) => s + v * w[i]!, 0) / wSum;
    const sd = Math.sqrt(x.reduce((s, v, i) => s + w[i]! * (v - mean) ** 2, 0) / wSum);
    if (x.every((v) => v === 0)) status.set(p.name, { status: 'absent', note: 'No observed inference executed such units.' });
    else if (!(sd > 1e-9 * Math.abs(mean))) {
      status.set(p.name, {
        status: 'folded',
        note: 'It is the same in every observation, so it cannot be told apart from the fixed per-inference cost and is folded into the intercept.',
      });
    } else cols.push({ name: p.name, members: [p.name], features: [...p.features], role: p.role });
  }

  // Collinear columns, resolved one dependency at a time.
  for (;;) {
    if (cols.length === 0) break;
    const Z = centredUnitColumns(obs, cols, w, sw, wSum);
    const G: Matrix = cols.map((_, a) => cols.map((_, b) => Z.reduce((s, r) => s + r[a]! * r[b]!, 0)));
    const { values, vectors } = symmetricEigen(G);
    let iMin = 0;
    let maxEig = 0;
    values.forEach((v, i) => {
      if (v < values[iMin]!) iMin = i;
      maxEig = Math.max(maxEig, v);
    });
    if (Math.sqrt(Math.max(0, values[iMin]!) / maxEig) >= tol && cols.length < obs.length) break;
    const v = cols.map((_, j) => Math.abs(vectors[j]![iMin]!));
    const vMax = Math.max(...v);
    const involved = cols
      .map((c, j) => ({ c, j, v: v[j]! }))
      .filter((e) => e.v >= 0.25 * vMax)
      .sort((a, b) => b.v - a.v);
    const names = (list: { c: Column }[]) => list.map((e) => e.c.name).join(', ');
    const perUnit = involved.find((e) => e.c.role === 'per-unit');
    if (involved.length === 1 || perUnit) {
      const drop = perUnit ?? involved[0]!;
      const others = involved.filter((e) => e !== drop);
      const note = others.length
        ? `It cannot be told apart from ${names(others)} in these runs, so its cost is carried by them.`
        : 'It hardly varies across these runs, so it is folded into the intercept.';
      for (const m of drop.c.members) status.set(m, { status: 'folded', note });
      cols = cols.filter((_, j) => j !== drop.j);
    } else {
      const [a, b] = involved;
      const merged: Column = {
        name: `pooled(${[...a!.c.members, ...b!.c.members].join(', ')})`,
        members: [...a!.c.members, ...b!.c.members],
        features: [...a!.c.features, ...b!.c.features],
        role: 'rate',
      };
      cols = [...cols.filter((_, j) => j !== a!.j && j !== b!.j), merged];
    }
  }

  // Non-negative fit on scaled columns (intercept first).
  const raw: Matrix = obs.map((o, i) => [sw[i]!, ...cols.map((c) => sw[i]! * colValue(o, c.features))]);
  const scale = raw[0]!.map((_, j) => Math.sqrt(raw.reduce((s, r) => s + r[j]! ** 2, 0) / raw.length) || 1);
  const A = raw.map((r) => r.map((v, j) => v / scale[j]!));
  const b = obs.map((o, i) => sw[i]! * o.y);
  const { x } = nnls(A, b);
  const theta = x.map((v, j) => v / scale[j]!);

  // Standard errors from ordinary least squares on every identified column: a parameter the data
  // barely determines shows it there, even when the non-negative fit pinned a partner at 0.
  const fitted = obs.map((o, i) => theta[0]! + cols.reduce((s, c, j) => s + theta[j + 1]! * colValue(o, c.features), 0));
  const rss = obs.reduce((s, o, i) => s + w[i]! * (o.y - fitted[i]!) ** 2, 0);
  const se = new Array<number | null>(theta.length).fill(null);
  if (obs.length > theta.length) {
    const sigma2 = rss / (obs.length - theta.length) / (wSum / obs.length);
    const inv = spdInverse(theta.map((_, a) => theta.map((_, c) => A.reduce((s, r) => s + r[a]! * r[c]!, 0))));
    if (inv) theta.forEach((_, j) => (se[j] = Math.sqrt(Math.max(0, sigma2 * inv[j]![j]!)) / scale[j]!));
  }

  const terms: FitTerm[] = cols.map((c, j) => ({ name: c.name, features: c.features, value: theta[j + 1]! }));
  cols.forEach((c, j) => {
    const t = theta[j + 1]!;
    const s = se[j + 1] ?? null;
    let st: { status: ParameterStatus; note: string | null };
    if (t === 0) st = { status: 'zero', note: 'Fitted as 0 (the non-negativity bound): no cost measurable in these runs.' };
    else if (c.members.length > 1)
      st = {
        status: 'pooled',
        note: `It cannot be told apart from ${c.members.length - 1} other rate(s) in these runs; they share one pooled rate ${c.name}.`,
      };
    else if (s !== null && s > weakRelSe * t) st = { status: 'weak', note: `Weakly determined: standard error ${Math.round((100 * s) / t)} % of its value.` };
    else st = { status: 'fitted', note: null };
    for (const m of c.members) status.set(m, st);
  });
  const valueOf = new Map<string, { value: number; se: number | null }>();
  cols.forEach((c, j) => {
    for (const m of c.members) valueOf.set(m, { value: theta[j + 1]!, se: c.members.length === 1 ? (se[j + 1] ?? null) : null });
  });
  const parameters: FittedParameter[] = specs.map((p) => ({
    name: p.name,
    status: status.get(p.name)!.status,
    note: status.get(p.name)!.note,
    value: valueOf.get(p.name)?.value ?? 0,
    se: valueOf.get(p.name)?.se ?? null,
  }));

  const yMean = obs.reduce((s, o, i) => s + w[i]! * o.y, 0) / wSum;
  const tss = obs.reduce((s, o, i) => s + w[i]! * (o.y - yMean) ** 2, 0);
  const ape = obs.flatMap((o, i) => (o.y > 0 ? [{ e: Math.abs(fitted[i]! - o.y) / o.y, w: w[i]! }] : []));
  return {
    intercept: theta[0]!,
    interceptSe: se[0] ?? null,
    terms,
    parameters,
    residuals: {
      observations: obs.length,
      inferences: wSum,
      rmse: Math.sqrt(rss / wSum),
      mape: ape.length ? ape.reduce((s, a) => s + a.e * a.w, 0) / ape.reduce((s, a) => s + a.w, 0) : null,
      r2: tss > 0 ? 1 - rss / tss : null,
      excluded: 0,
    },
  };
}

/** Weighted, centred columns scaled to unit norm: their Gram matrix's spectrum shows dependencies. */
function centredUnitColumns(obs: Observation[], cols: Column[], w: number[], sw: number[], wSum: number): Matrix {
  const Z: Matrix = obs.map(() => new Array<number>(cols.length).fill(0));
  cols.forEach((c, j) => {
    const x = obs.map((o) => colValue(o, c.features));
    const mean = x.reduce((s, v, i) => s + v * w[i]!, 0) / wSum;
    let norm = 0;
    x.forEach((v, i) => {
      Z[i]![j] = sw[i]! * (v - mean);
      norm += Z[i]![j]! ** 2;
    });
    norm = Math.sqrt(norm) || 1;
    for (const r of Z) r[j]! /= norm;
  });
  return Z;
}
