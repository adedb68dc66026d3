import { useMemo } from 'react';
import { si } from '../common/format';
import { PlotExport } from '../common/PlotExport';
import { SimBadge } from '../common/SimBadge';
import { formatMacs, formatShare } from '../run/units';
import { EnergyHistogram } from './EnergyHistogram';
import { EnergyScatter } from './EnergyScatter';
import { InferenceTable } from './InferenceTable';
import {
  energyBudgetLines,
  exitColor,
  exitName,
  exitsPresent,
  histogramValues,
  scatterPoints,
  tableRows,
  verdictOf,
  violatingSeqs,
  type BudgetResultDto,
  type ProfileDetails,
  type ProfileResultDto,
} from './profileLogic';
import './profile.css';

/** Where a number comes from, said next to it: the meter, the cost model, or the engine's count. */
export function Src({ kind }: { kind: 'measured' | 'predicted' | 'counted' | 'assumed' }) {
  return <span className={`src src-${kind}`}>{kind}</span>;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * A profiling run's analysis: budget verdicts first, then energy and latency per inference, how
 * energy was attributed and why, the alignment's quality, the baseline, the energy histogram with
 * the budget lines, energy against MACs, and every inference.
 */
export function ProfileResultView({ details }: { details: ProfileDetails }) {
  const { result, inferences } = details;
  const violations = useMemo(() => violatingSeqs(result?.budgets ?? []), [result]);
  const rows = useMemo(() => tableRows(inferences, violations), [inferences, violations]);
  const hist = useMemo(() => histogramValues(inferences, result), [inferences, result]);
  const points = useMemo(() => scatterPoints(inferences, result, violations), [inferences, result, violations]);
  if (!result) {
    return (
      <section className="card" data-testid="profile-pending">
        <p className="muted">No analysis stored for this run yet; it appears when the run ends.</p>
      </section>
    );
  }
  const windowMode = result.attribution.mode !== 'per-inference';
  const e = result.energyPerInference;
  const lat = num((result.latencyPerInference as { mean?: unknown } | undefined)?.mean);
  const ci = (e as { ci95?: unknown } | null)?.ci95;
  const active = num((e as { activeMean?: unknown } | null)?.activeMean);
  return (
    <>
      <section
        className="card profile-result"
        data-testid="profile-result"
        data-attribution={result.attribution.mode}
        data-inferences={result.inferences}
        data-simulated={result.simulated ? 'true' : 'false'}
      >
        <div className="card-head">
          <h2>Profiling result</h2>
          <SimBadge simulated={result.simulated} />
          <span className="muted">
            {result.model} · {result.mode}
            {result.budget ? ` · hard budget ${result.budget}` : ''} · {result.backend} · {result.inferences} inference{result.inferences === 1 ? '' : 's'}
          </span>
        </div>
        {result.simulated ? (
          <p className="sim-note" data-testid="profile-sim-note">
            Simulated meter: every “measured” number below comes from a simulated board whose power follows this machine’s CPU use, not from a power meter.
          </p>
        ) : null}
        {result.statusReason ? (
          <p className="note" data-testid="profile-status-reason">
            Run {result.status}: {result.statusReason}
          </p>
        ) : null}

        <Budgets budgets={result.budgets} />

        <div className="summary profile-summary">
          <Stat
            label="Energy per inference"
            src="measured"
            value={si(e?.mean, 'J')}
            raw={e?.mean ?? null}
            testId="profile-energy-mean"
            note={Array.isArray(ci) && ci.length === 2 ? `95 % CI ${si(num(ci[0]), 'J')} – ${si(num(ci[1]), 'J')}` : windowMode ? 'window estimate' : undefined}
          />
          <Stat label="p95 / max" src="measured" value={e ? `${si(e.p95, 'J')} / ${si(e.max, 'J')}` : '—'} raw={e?.p95 ?? null} testId="profile-energy-p95" />
          <Stat
            label="Active energy per inference"
            src="measured"
            value={si(active, 'J')}
            raw={active}
            testId="profile-energy-active"
            note="minus the idle baseline"
          />
          <Stat
            label="Baseline power"
            src="measured"
            value={si(result.baseline?.meanPowerW, 'W')}
            raw={result.baseline?.meanPowerW ?? null}
            testId="profile-baseline"
            note={
              result.baseline
                ? `± ${si(num(result.baseline.sdPowerW), 'W')} over ${si((result.baseline.endNs - result.baseline.startNs) / 1e9, 's')} idle`
                : 'no baseline'
            }
          />
          <Stat label="Latency per inference" src="measured" value={si(lat, 's')} raw={lat} testId="profile-latency" note="mean wall time" />
        </div>

        <dl className="profile-facts">
          <dt>Attribution</dt>
          <dd data-testid="attribution">
            <span className={`badge badge-attribution mode-${result.attribution.mode}`} data-testid="attribution-mode">
              {result.attribution.mode === 'per-inference' ? 'PER INFERENCE' : result.attribution.mode === 'window' ? 'WINDOW' : 'NONE'}
            </span>{' '}
            <span data-testid="attribution-reason">{result.attribution.reason}</span>
          </dd>
          <dt>Alignment</dt>
          <dd data-testid="alignment" data-trusted={result.alignment ? String(result.alignment.trusted) : ''}>
            <AlignmentText alignment={result.alignment} />
          </dd>
          <dt>Power</dt>
          <dd data-testid="power-source">
            {result.powerSource === 'measured' ? (
              <>
                the meter’s power channel <Src kind="measured" />
              </>
            ) : result.powerSource === 'nominal-voltage' ? (
              <>
                measured current × {si(num(result.nominalVoltageV), 'V')} supply voltage <Src kind="assumed" />
              </>
            ) : (
              '—'
            )}
          </dd>
          <dt>Exits</dt>
          <dd className="exit-legend">
            {exitsPresent(inferences).map((x) => (
              <span key={String(x)} className="exit-key">
                <span className="exit-swatch" style={{ background: exitColor(x) }} />
                {exitName(x)}
              </span>
            ))}
          </dd>
        </dl>
      </section>

      <div className="result-grid">
        <section className="card" data-testid="histogram-card">
          <div className="card-head">
            <h2>Energy per inference</h2>
            <Src kind="measured" />
          </div>
          <PlotExport name={`session-${result.sessionId}-energy-histogram`} testId="histogram-save">
            <EnergyHistogram values={hist.values} per={hist.per} budgets={energyBudgetLines(result.budgets)} />
          </PlotExport>
        </section>
        <section className="card" data-testid="scatter-card">
          <div className="card-head">
            <h2>Energy vs MACs</h2>
            <Src kind="measured" /> <Src kind="counted" />
          </div>
          <PlotExport name={`session-${result.sessionId}-energy-vs-macs`} testId="scatter-save">
            <EnergyScatter points={points} />
          </PlotExport>
        </section>
      </div>

      <section className="card" data-testid="inferences-card">
        <div className="card-head">
          <h2>Inferences</h2>
          <span className="muted">{inferences.length}</span>
        </div>
        <InferenceTable rows={rows} dataset={undefined} windowMode={windowMode} />
      </section>
    </>
  );
}

function AlignmentText({ alignment: a }: { alignment: ProfileResultDto['alignment'] }) {
  if (!a) return <>no alignment pattern in this run</>;
  const u = num(a.uncertaintyNs);
  const ms = (ns: number) => `${(ns / 1e6).toFixed(3)} ms`;
  return (
    <>
      <strong data-testid="alignment-verdict">{a.trusted ? 'trusted' : 'not trusted'}</strong> · offset {ms(a.offsetNs)}
      {u !== null ? ` ± ${ms(u)}` : ''} · strength r = {a.strength.toFixed(2)}
      {num(a.peakRatio) !== null ? ` · peak ratio ${num(a.peakRatio)!.toFixed(1)}` : ''}
      {a.driftPpm !== 0 ? ` · drift ${a.driftPpm.toFixed(1)} ppm` : ''} <Src kind="measured" />
      <span className="muted"> ({a.method})</span>
      {!a.trusted && a.reason ? (
        <div className="alignment-why" data-testid="alignment-reason">
          {a.reason}
        </div>
      ) : null}
      <div className="muted small-print">
        {a.trusted ? 'Inference windows are shifted into trace time by this offset.' : 'Windows are drawn unshifted (host time), as the attribution used them.'}
      </div>
    </>
  );
}

const METRIC_TEXT: Record<string, { label: string; src: 'measured' | 'counted' }> = {
  energy_per_inference: { label: 'energy per inference', src: 'measured' },
  latency_per_inference: { label: 'latency per inference', src: 'measured' },
  macs_per_inference: { label: 'MACs per inference', src: 'counted' },
  energy_per_run: { label: 'energy per run', src: 'measured' },
};

function worstText(b: BudgetResultDto): string {
  if (typeof b.worstText === 'string') return b.worstText;
  const w = num(b.worst);
  if (w === null) return '—';
  return b.unit === 'MAC' ? formatMacs(w) : si(w, b.unit);
}

function Budgets({ budgets }: { budgets: BudgetResultDto[] }) {
  if (budgets.length === 0) {
    return (
      <p className="muted" data-testid="budgets-none">
        No budget checked: give the run a hard budget (radi/ddi) or name stored budgets to check.
      </p>
    );
  }
  return (
    <ul className="budget-verdicts" data-testid="budgets">
      {budgets.map((b) => {
        const v = verdictOf(b);
        const m = METRIC_TEXT[b.metric] ?? { label: b.metric, src: 'measured' as const };
        const count = num(b.count);
        const within = num(b.within);
        return (
          <li
            key={b.name}
            className={`budget-verdict verdict-${v.toLowerCase()}`}
            title={typeof b.summary === 'string' ? b.summary : undefined}
            data-testid="budget-verdict"
            data-verdict={v}
            data-name={b.name}
          >
            <span className="verdict" data-testid="budget-verdict-word">
              {v}
            </span>
            <span>
              <strong>{b.name}</strong> ({m.label} ≤ {typeof b.valueText === 'string' ? b.valueText : `${b.value} ${b.unit}`}): {formatShare(b.fractionWithin)}{' '}
              within{count !== null && within !== null ? ` (${within} of ${count})` : ''}, worst {worstText(b)} <Src kind={m.src} />
              {num(b.unmeasured) ? <span className="muted"> · {num(b.unmeasured)} without a measurement</span> : null}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function Stat({
  label,
  src,
  value,
  raw,
  testId,
  note,
}: {
  label: string;
  src: 'measured' | 'predicted';
  value: string;
  raw: number | null;
  testId: string;
  note?: string | undefined;
}) {
  return (
    <div className="summary-card">
      <div className="summary-label">
        {label} <Src kind={src} />
      </div>
      <div className="summary-value" data-testid={testId} data-value={raw ?? ''}>
        {value}
      </div>
      {note ? <div className="summary-note">{note}</div> : null}
    </div>
  );
}
