// The zoo's evaluation results as data: compact summaries of `ddi-profiler eval --json` reports,
// the comparisons the zoo is judged by (the headline mgl2s target and the paper's ablation at equal
// mean MACs), and the markdown block scripts/eval-zoo.mjs writes into docs/models.md. Pure
// functions only, so the comparisons are unit-tested (tests/unit/ddi/train/zoo-results.test.ts).

/** Budgets every model is swept at, as percentages of the static MACs: one grid for every curve. */
export const SWEEP = '30%,40%,50%,60%,70%,80%,90%,100%';

/**
 * @typedef {{ exit: string, count: number, accuracy: number }} ExitShare
 * @typedef {{ mode: string, budget: string | null, n: number, accuracy: number, macsMean: number,
 *   macsPct: number, macsMin: number, macsMax: number, withinBudget: number | null,
 *   answeredBy: ExitShare[], skipRate: { layer: number, skipped: number }[],
 *   channelsKept: { layer: number, meanKept: number, total: number }[],
 *   exitAccuracy: { exit: string, accuracy: number }[] }} Point
 */

/** One eval report (`ddi-profiler eval --json`, a single point) → the fields the docs need. */
export function summarize(report) {
  const m = report.macs;
  return {
    mode: report.mode,
    budget: report.budget ?? null,
    n: report.n,
    accuracy: report.accuracy,
    macsMean: m.mean,
    macsPct: m.meanPct,
    macsMin: m.min,
    macsMax: m.max,
    withinBudget: typeof report.withinBudget === 'number' ? report.withinBudget : null,
    answeredBy: (report.answeredBy ?? []).map((a) => ({ exit: a.exit, count: a.count, accuracy: a.accuracy })),
    skipRate: (report.skipRate ?? []).map((s) => ({ layer: s.layer, skipped: s.skipped })),
    channelsKept: (report.channelsKept ?? []).map((c) => ({ layer: c.layer, meanKept: c.meanKept, total: c.total })),
    exitAccuracy: (report.exitAccuracy ?? []).map((e) => ({ exit: e.exit, accuracy: e.accuracy })),
    ...(report.correctBits ? { correctBits: report.correctBits } : {}),
  };
}

const popcount = (x) => {
  let c = 0;
  for (let v = x; v; v &= v - 1) c++;
  return c;
};

/**
 * Exact two-sided McNemar test: the probability, if two classifiers were equally accurate, that the
 * images only one of them answers correctly split at least this unevenly (binomial, p = ½). Summed in
 * log space: 2^-n underflows for the thousands of images a real comparison can have.
 */
export function mcnemarP(onlyA, onlyB) {
  const n = onlyA + onlyB;
  if (n === 0) return 1;
  const k = Math.min(onlyA, onlyB);
  const logPmf = [-n * Math.LN2];
  for (let i = 1; i <= k; i++) logPmf.push(logPmf[i - 1] + Math.log(n - i + 1) - Math.log(i));
  const top = Math.max(...logPmf);
  const tail = Math.exp(top) * logPmf.reduce((a, l) => a + Math.exp(l - top), 0);
  return Math.min(1, 2 * tail);
}

/**
 * Two evaluations of the same images compared image by image (their `correctBits`, written by
 * `ddi-profiler eval --per-image`): how many only A answered correctly, how many only B, and the
 * McNemar p. Null when either lacks the bits (evaluated before they were stored).
 */
export function paired(a, b) {
  if (!a?.correctBits || !b?.correctBits) return null;
  const x = Buffer.from(a.correctBits, 'base64');
  const y = Buffer.from(b.correctBits, 'base64');
  if (x.length !== y.length || a.n !== b.n) throw new Error(`Cannot pair evaluations of ${a.n} and ${b.n} images; evaluate both on the same data set.`);
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < x.length; i++) {
    onlyA += popcount(x[i] & ~y[i] & 0xff);
    onlyB += popcount(y[i] & ~x[i] & 0xff);
  }
  return { onlyA, onlyB, p: mcnemarP(onlyA, onlyB) };
}

/**
 * Accuracy of a curve (points with macsPct and accuracy) at `pct` by linear interpolation between
 * its two neighbours; null outside the measured range (no extrapolation: it would invent data).
 */
export function accuracyAt(points, pct) {
  const s = [...points].sort((a, b) => a.macsPct - b.macsPct);
  if (s.length === 0 || pct < s[0].macsPct - 1e-9 || pct > s[s.length - 1].macsPct + 1e-9) return null;
  for (let i = 0; i < s.length; i++) {
    const b = s[i];
    if (Math.abs(b.macsPct - pct) < 1e-9) return b.accuracy;
    if (b.macsPct > pct) {
      const a = s[i - 1];
      const t = (pct - a.macsPct) / (b.macsPct - a.macsPct);
      return a.accuracy + t * (b.accuracy - a.accuracy);
    }
  }
  return s[s.length - 1].accuracy;
}

/**
 * The headline target: a `mgl2s` model at ≤ 50 % of the static MACs within `tolerance` (0.005 =
 * 0.5 points) of the static model's top-1. `points` are the own-mode (iadi) points of the mgl2s models.
 */
export function headline(staticAccuracy, points, tolerance = 0.005) {
  const cheap = points.filter((p) => p.macsPct <= 50);
  if (cheap.length === 0) return { met: false, best: null, gap: null };
  const best = cheap.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  const gap = staticAccuracy - best.accuracy;
  return { met: gap <= tolerance, best, gap };
}

/**
 * The paper's ablation: is mgl2s at least as accurate as a single-grained model at that model's
 * mean MACs? The mgl2s curve is the own-mode points of the mgl2s models (one per target, as the
 * paper trains them). Null verdict when the single-grained model lies outside the curve's range.
 */
export function ablation(mgl2sPoints, other) {
  const at = accuracyAt(mgl2sPoints, other.macsPct);
  return { macsPct: other.macsPct, accuracy: other.accuracy, mgl2sAccuracy: at, met: at === null ? null : at >= other.accuracy };
}

/**
 * Budget compliance and monotonicity of a sweep curve (points sorted by budget as swept). `maxDrop`
 * is how far (fraction) a point falls below the best accuracy of any smaller budget, at `dropAt`,
 * so a 16-image dip and a collapse read differently; `rising` stays strict.
 */
export function sweepChecks(curve) {
  const within = curve.every((p) => p.withinBudget === 1);
  let best = null;
  let maxDrop = 0;
  let dropAt = null;
  let pair = null;
  for (const p of curve) {
    if (best && best.accuracy - p.accuracy > maxDrop) {
      maxDrop = best.accuracy - p.accuracy;
      dropAt = p.budget ?? null;
      pair = [best, p];
    }
    if (!best || p.accuracy > best.accuracy) best = p;
  }
  // Is the largest dip more than the test set can resolve? Paired on the same images, where stored.
  const dropPaired = pair ? paired(pair[0], pair[1]) : null;
  return { within, rising: maxDrop === 0, maxDrop, dropAt, dropFrom: pair?.[0].budget ?? null, dropPaired };
}

const pct = (x, d = 2) => `${(x * 100).toFixed(d)} %`;
const pValue = (p) => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(p < 0.01 ? 3 : 2)}`);
const budgetName = (b) => String(b).split(' ')[0];
const mmac = (x) => `${(x / 1e6).toFixed(2)} M`;

/** The results block for docs/models.md from { name → { own, sweep } } and the run's metadata (date, machine, stale model names). */
export function renderResults(results, meta) {
  const lines = [];
  lines.push(`Generated by \`node scripts/eval-zoo.mjs\` on ${meta.date} (${meta.machine}); full 10,000-image`);
  lines.push("Fashion-MNIST test set, the engine's real skipping and halting (wasm backend). Do not edit by hand.");
  lines.push('');
  lines.push('| Model | Own mode | Top-1 | Mean MACs (% of static) | MACs min–max | Answered by (share, top-1) |');
  lines.push('|---|---|---|---|---|---|');
  for (const [name, r] of Object.entries(results)) {
    const o = r.own;
    const exits = o.answeredBy.map((a) => `${a.exit} ${((a.count / o.n) * 100).toFixed(0)} % @ ${pct(a.accuracy, 1)}`).join(', ');
    lines.push(
      `| \`${name}\` | ${o.mode} | **${pct(o.accuracy)}** | ${mmac(o.macsMean)} (${o.macsPct.toFixed(1)} %) | ${mmac(o.macsMin)}–${mmac(o.macsMax)} | ${exits} |`,
    );
  }
  lines.push('');
  const stale = (meta.stale ?? []).filter((n) => n in results);
  if (stale.length) {
    lines.push(`Trained under an older recipe than the zoo plan's (shipped until their retraining finishes): ${stale.map((n) => `\`${n}\``).join(', ')}.`);
    lines.push('');
  }
  lines.push(
    `Hard-budget sweeps (budgets as % of the static MACs: ${SWEEP.replaceAll(',', ', ')}; budgets below a model's minimum are left out). Each cell: top-1 / mean MACs %.`,
  );
  lines.push('');
  const budgets = SWEEP.split(',');
  lines.push(`| Model | Mode | ${budgets.join(' | ')} | all within budget | accuracy rises with budget |`);
  lines.push(`|---|---|${budgets.map(() => '---').join('|')}|---|---|`);
  for (const [name, r] of Object.entries(results)) {
    if (!r.sweep?.length) continue;
    const cells = budgets.map((b) => {
      const p = r.sweep.find((s) => s.budget?.startsWith(b));
      return p ? `${pct(p.accuracy, 2)} / ${p.macsPct.toFixed(1)}` : '—';
    });
    const c = sweepChecks(r.sweep);
    const dp = c.dropPaired;
    const why = dp ? `; ${dp.onlyA} images right only at ${budgetName(c.dropFrom)}, ${dp.onlyB} only at ${budgetName(c.dropAt)}, McNemar ${pValue(dp.p)}` : '';
    lines.push(
      `| \`${name}\` | ${r.sweep[0].mode} | ${cells.join(' | ')} | ${c.within ? 'yes' : '**no**'} | ${c.rising ? 'yes' : `**no** (−${(c.maxDrop * 100).toFixed(2)} points at ${budgetName(c.dropAt)} budget against ${budgetName(c.dropFrom)}${why})`} |`,
    );
  }
  lines.push('');
  lines.push(
    'Where a curve dips, the paired test (exact McNemar, on the images the two budgets answer differently) says whether 10,000 images can tell the two budgets apart; p ≥ 0.05 means they cannot.',
  );
  lines.push('');
  lines.push(...renderTargets(results));
  return lines.join('\n');
}

/**
 * The zoo's targets as a table, every verdict computed from the results (none written by hand):
 * static ≥ 92.5 %, the headline mgl2s target, the ablation against each single-grained model (with a
 * paired test against the nearest mgl2s model in MACs), budget compliance and rising accuracy (with
 * the paired test of each dip).
 */
export function renderTargets(results) {
  const rows = [];
  const row = (target, verdict, evidence) => rows.push(`| ${target} | **${verdict}** | ${evidence} |`);
  const st = results.static?.own;
  if (st) row('`static` ≥ 92.5 %', st.accuracy >= 0.925 ? 'met' : 'missed', `${pct(st.accuracy)} at ${mmac(st.macsMean)} MACs`);
  const mgRuns = Object.entries(results).filter(([n]) => n.startsWith('mgl2s-'));
  const mg = mgRuns.map(([, r]) => r.own);
  if (st && mg.length) {
    // Any way of running an mgl2s model counts for the headline: gates alone (iadi) or gates plus a hard budget (ddi).
    const h = headline(
      st.accuracy,
      mgRuns.flatMap(([n, r]) => [r.own, ...(r.sweep ?? [])].map((p) => ({ ...p, model: n }))),
    );
    row(
      `\`mgl2s\` at ≤ 50 % of the static MACs within 0.5 points of \`static\` (${pct(st.accuracy)})`,
      h.met ? 'met' : 'missed',
      h.best
        ? `best: \`${h.best.model}\` ${h.best.mode}${h.best.budget ? ` at budget ${budgetName(h.best.budget)}` : ''}, ${pct(h.best.accuracy)} at ${h.best.macsPct.toFixed(1)} % of the MACs, ${(h.gap * 100).toFixed(2)} points below \`static\``
        : 'no mgl2s model at or below 50 % of the MACs yet',
    );
    for (const other of ['layer-only-50', 'channel-only-50']) {
      const o = results[other]?.own;
      if (!o) continue;
      const a = ablation(mg, o);
      // The nearest mgl2s model in MACs, compared on the same images: does the test set resolve the difference?
      const [nearName, near] = mgRuns.reduce((x, y) => (Math.abs(y[1].own.macsPct - o.macsPct) < Math.abs(x[1].own.macsPct - o.macsPct) ? y : x));
      const pr = paired(near.own, o);
      const pairText = pr
        ? `; paired with \`${nearName}\` (${pct(near.own.accuracy)} at ${near.own.macsPct.toFixed(1)} %) on the same images: ${pr.onlyA} right only with \`${nearName}\`, ${pr.onlyB} only with \`${other}\`, McNemar ${pValue(pr.p)}`
        : '';
      row(
        `\`mgl2s\` at least as accurate as \`${other}\` at equal mean MACs`,
        a.met === null ? 'not comparable' : a.met ? 'met' : 'missed',
        `\`${other}\` ${pct(o.accuracy)} at ${o.macsPct.toFixed(1)} % of the MACs; ` +
          (a.met === null
            ? `outside the mgl2s curve (${mg.map((p) => p.macsPct.toFixed(1)).join(', ')} %)`
            : `mgl2s interpolated to the same MACs ${pct(a.mgl2sAccuracy)}`) +
          pairText,
      );
    }
  }
  const swept = Object.entries(results).filter(([, r]) => r.sweep?.length);
  if (swept.length) {
    const checks = swept.map(([n, r]) => [n, sweepChecks(r.sweep)]);
    const outside = checks.filter(([, c]) => !c.within).map(([n]) => `\`${n}\``);
    row(
      '`radi`/`ddi`: 100 % of the images within every hard budget',
      outside.length ? 'missed' : 'met',
      outside.length ? `over budget: ${outside.join(', ')}` : `every budget of every swept model (${swept.length} models)`,
    );
    const dips = checks.filter(([, c]) => !c.rising);
    const dipText = dips.map(([n, c]) => `\`${n}\` −${(c.maxDrop * 100).toFixed(2)}${c.dropPaired ? ` (McNemar ${pValue(c.dropPaired.p)})` : ''}`);
    const tested = dips.filter(([, c]) => c.dropPaired);
    const resolved = tested.filter(([, c]) => c.dropPaired.p < 0.05).length;
    row(
      'accuracy rising with budget',
      dips.length ? 'missed' : 'met',
      dips.length
        ? `${swept.length - dips.length} of ${swept.length} curves rise throughout; largest dip, in points: ${dipText.join(', ')}` +
            (tested.length
              ? `; ${resolved} of the ${tested.length} paired-tested dips ${resolved === 1 ? 'is' : 'are'} more than the test set's noise (p < 0.05)`
              : '')
        : `all ${swept.length} curves`,
    );
  }
  if (!rows.length) return [];
  return ['Targets of the zoo (full 10,000-image test set):', '', '| Target | Verdict | Evidence |', '|---|---|---|', ...rows];
}

export const BEGIN = '<!-- zoo-results:begin -->';
export const END = '<!-- zoo-results:end -->';

/** Replaces the generated block of `doc` (between BEGIN and END); throws if the markers are missing. */
export function replaceBlock(doc, block) {
  const i = doc.indexOf(BEGIN);
  const j = doc.indexOf(END);
  if (i < 0 || j < i) throw new Error(`docs/models.md lacks the ${BEGIN} … ${END} markers; add them where the results belong.`);
  return `${doc.slice(0, i + BEGIN.length)}\n${block}\n${doc.slice(j)}`;
}
