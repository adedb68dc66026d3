/**
 * Aggregates the engine's per-inference records into the `eval` report: top-1, MACs (mean and
 * distribution), which exit answered and how accurately, per-block skip rates, channels kept per
 * unit, and the share of images within a hard budget.
 */
import type { InferenceRecord } from '../types';

export interface EvalReport {
  model: string;
  dataset: string;
  split: string;
  mode: string;
  budget: string | null;
  n: number;
  accuracy: number;
  macs: {
    mean: number;
    min: number;
    p10: number;
    median: number;
    p90: number;
    max: number;
    static: number;
    meanPct: number;
    histogram: { fromMacs: number; toMacs: number; count: number }[];
  };
  /** Per answering exit ("exit0".., "classifier"): images answered there and their accuracy. */
  answeredBy: { exit: string; count: number; accuracy: number }[];
  /** Accuracy of every exit on every image (masked pass), final classifier last. */
  exitAccuracy?: { exit: string; accuracy: number }[];
  /** Per block / dense layer: share of images that did not execute it (gate skip or halted). */
  skipRate: { layer: number; skipped: number; notReached: number }[];
  /** Per channel-gated unit: mean share of channels kept when the unit ran. */
  channelsKept: { layer: number; meanKept: number; total: number }[];
  withinBudget: number | null;
  halted: number;
  /**
   * With `perImage`: which images were answered correctly, as a base64 bitset (bit i of byte i>>3,
   * least significant first = image i). Two runs on the same images can then be compared image by
   * image (a paired test) instead of only by their accuracies.
   */
  correctBits?: string;
}

/** Per-image correctness → the base64 bitset of `EvalReport.correctBits`. */
export function encodeCorrectBits(correct: ArrayLike<boolean>): string {
  const bytes = new Uint8Array(Math.ceil(correct.length / 8));
  for (let i = 0; i < correct.length; i++) if (correct[i]) bytes[i >> 3]! |= 1 << (i & 7);
  return Buffer.from(bytes).toString('base64');
}

/** The inverse of `encodeCorrectBits` for `n` images. */
export function decodeCorrectBits(bits: string, n: number): boolean[] {
  const bytes = Buffer.from(bits, 'base64');
  if (bytes.length !== Math.ceil(n / 8))
    throw new Error(`A correctness bitset of ${bytes.length} bytes cannot describe ${n} images; it belongs to another evaluation.`);
  return Array.from({ length: n }, (_, i) => ((bytes[i >> 3]! >> (i & 7)) & 1) === 1);
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i]!;
}

export function summarizeRecords(
  records: InferenceRecord[],
  labels: ArrayLike<number>,
  ctx: { model: string; dataset: string; split: string; numLayers: number; bins?: number; perImage?: boolean },
): EvalReport {
  const n = records.length;
  let correct = 0;
  const macs = new Float64Array(n);
  const byExit = new Map<string, { count: number; correct: number }>();
  const skipped = new Array<number>(ctx.numLayers).fill(0);
  const notReached = new Array<number>(ctx.numLayers).fill(0);
  const kept = new Map<number, { sum: number; runs: number; total: number }>();
  let within = 0;
  let halted = 0;
  const okPerImage = new Array<boolean>(n).fill(false);
  records.forEach((r, i) => {
    const ok = r.predictedClass === labels[i];
    okPerImage[i] = ok;
    if (ok) correct++;
    macs[i] = r.macs;
    const e = byExit.get(r.exitId) ?? { count: 0, correct: 0 };
    e.count++;
    if (ok) e.correct++;
    byExit.set(r.exitId, e);
    for (const b of r.blocksSkipped) if (b < ctx.numLayers) skipped[b]!++;
    for (const b of r.blocksNotReached) if (b < ctx.numLayers) notReached[b]!++;
    for (const c of r.channelsKept) {
      const k = kept.get(c.layer) ?? { sum: 0, runs: 0, total: c.total };
      k.sum += c.kept / c.total;
      k.runs++;
      kept.set(c.layer, k);
    }
    if (r.budget && r.budgetSpent !== null && r.budgetSpent <= r.budget.value * (1 + 1e-9)) within++;
    if (r.halted) halted++;
  });
  const sorted = Float64Array.from(macs).sort();
  const mean = macs.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const staticMacs = records[0]?.staticMacs ?? NaN;
  const bins = ctx.bins ?? 10;
  const lo = sorted[0] ?? 0;
  const hi = sorted[sorted.length - 1] ?? 0;
  const width = hi > lo ? (hi - lo) / bins : 1;
  const histogram = Array.from({ length: hi > lo ? bins : 1 }, (_, b) => ({ fromMacs: lo + b * width, toMacs: hi > lo ? lo + (b + 1) * width : hi, count: 0 }));
  for (const m of macs) histogram[Math.min(histogram.length - 1, Math.floor((m - lo) / width))]!.count++;
  const exitOrder = (id: string) => (id === 'classifier' ? Number.MAX_SAFE_INTEGER : Number(id.replace(/\D/g, '')));
  const first = records[0];
  return {
    model: ctx.model,
    dataset: ctx.dataset,
    split: ctx.split,
    mode: first?.mode ?? '?',
    budget: first?.budget?.text ?? (first?.budget ? String(first.budget.value) : null),
    n,
    accuracy: correct / Math.max(1, n),
    macs: {
      mean,
      min: lo,
      p10: quantile(sorted, 0.1),
      median: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      max: hi,
      static: staticMacs,
      meanPct: (100 * mean) / staticMacs,
      histogram,
    },
    answeredBy: [...byExit.entries()]
      .sort((a, b) => exitOrder(a[0]) - exitOrder(b[0]))
      .map(([exit, v]) => ({ exit, count: v.count, accuracy: v.correct / v.count })),
    skipRate: skipped.map((s, layer) => ({ layer, skipped: s / Math.max(1, n), notReached: (notReached[layer] ?? 0) / Math.max(1, n) })),
    channelsKept: [...kept.entries()].sort((a, b) => a[0] - b[0]).map(([layer, k]) => ({ layer, meanKept: k.sum / Math.max(1, k.runs), total: k.total })),
    withinBudget: first?.budget ? within / Math.max(1, n) : null,
    halted: halted / Math.max(1, n),
    ...(ctx.perImage ? { correctBits: encodeCorrectBits(okPerImage) } : {}),
  };
}

const p = (x: number) => `${(100 * x).toFixed(2)} %`;
const mm = (x: number) => `${(x / 1e6).toFixed(2)} M`;

export function formatReport(r: EvalReport): string {
  const out: string[] = [];
  out.push(`${r.model} on ${r.dataset} (${r.split}, ${r.n} images), mode ${r.mode}${r.budget ? `, budget ${r.budget}` : ''}`);
  out.push(`top-1 ${p(r.accuracy)}`);
  out.push(
    `MACs per image: mean ${mm(r.macs.mean)} (${r.macs.meanPct.toFixed(1)} % of static ${mm(r.macs.static)}), min ${mm(r.macs.min)}, p10 ${mm(r.macs.p10)}, median ${mm(r.macs.median)}, p90 ${mm(r.macs.p90)}, max ${mm(r.macs.max)}`,
  );
  if (r.withinBudget !== null) out.push(`within budget: ${p(r.withinBudget)}; halted early: ${p(r.halted)}`);
  out.push('MAC histogram:');
  const maxCount = Math.max(1, ...r.macs.histogram.map((h) => h.count));
  for (const h of r.macs.histogram)
    out.push(`  ${mm(h.fromMacs).padStart(9)} – ${mm(h.toMacs).padStart(9)} ${'#'.repeat(Math.round((30 * h.count) / maxCount)).padEnd(30)} ${h.count}`);
  out.push(`answered by: ${r.answeredBy.map((e) => `${e.exit} ${e.count} (${p(e.accuracy)})`).join(', ')}`);
  if (r.exitAccuracy) out.push(`every exit on every image: ${r.exitAccuracy.map((e) => `${e.exit} ${p(e.accuracy)}`).join(', ')}`);
  out.push(
    `skip rate per block: ${r.skipRate.map((s) => `${s.layer}:${(100 * s.skipped).toFixed(0)}%${s.notReached > 0 ? `(+${(100 * s.notReached).toFixed(0)}% halted)` : ''}`).join(' ')}`,
  );
  if (r.channelsKept.length)
    out.push(`channels kept per unit: ${r.channelsKept.map((c) => `${c.layer}:${(100 * c.meanKept).toFixed(0)}% of ${c.total}`).join(' ')}`);
  return out.join('\n');
}
