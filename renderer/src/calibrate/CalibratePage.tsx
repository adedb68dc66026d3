import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useApi } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { duration, si } from '../common/format';
import { SimBadge } from '../common/SimBadge';
import { useNow } from '../common/useNow';
import { BACKENDS, paramStore, type ProfileParamValues } from '../profile/profileParams';
import { elapsedNow, etaNow } from '../profile/profileLogic';
import { prefillRunForm } from '../run/RunPage';
import { useModels } from '../run/useModels';
import { useLiveState } from '../shell/LiveState';
import { navigate, routeHref } from '../shell/route';
import {
  calibrationProgressText,
  DEFAULT_CALIBRATE_FORM,
  heldOutUnit,
  percent,
  signedPercent,
  splitParameters,
  toCalibrateInput,
  type CalibrateField,
  type CalibrateFormValues,
  type CalibrationResultView,
  type FittedParameterView,
} from './calibrateForm';
import { calibrateStore, useCalibrateState } from './calibrateStore';
import '../run/run.css';
import '../profile/profile.css';

let savedForm: CalibrateFormValues = DEFAULT_CALIBRATE_FORM;
let savedModel = '';

/**
 * Calibrate: profile the model on this board in several runs with the connected meter, fit its
 * energy and latency cost tables, see the fit and its error on a held-out run, and profile with it.
 */
export function CalibratePage() {
  const api = useApi();
  const { list } = useModels();
  const { meter } = useLiveState();
  const state = useCalibrateState();
  // Memoised: a fresh [] each render would re-run the effects that depend on it.
  const models = useMemo(() => list?.models ?? [], [list]);
  const [form, setForm] = useState(savedForm);
  const [model, setModel] = useState(savedModel);
  const [formError, setFormError] = useState<{ text: string; field: CalibrateField } | null>(null);
  useEffect(() => {
    savedForm = form;
    savedModel = model;
  }, [form, model]);
  useEffect(() => {
    if (models.length > 0 && !models.some((m) => m.id === model)) setModel(models[0]!.id);
  }, [models, model]);

  const running = state.running;
  const now = useNow(running !== null, 250);
  const p = running?.progress ?? null;
  const elapsed = running ? (p ? elapsedNow(p, running.receivedAtMs, now) : (now - running.receivedAtMs) / 1000) : 0;
  const eta = p ? etaNow(p, running!.receivedAtMs, now) : null;
  const usable = meter !== null && meter.state !== 'error' && meter.state !== 'closed';

  const change = (patch: Partial<CalibrateFormValues>) => {
    setFormError(null);
    calibrateStore.clearError();
    setForm((f) => ({ ...f, ...patch }));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = toCalibrateInput(
      models.find((m) => m.id === model),
      form,
    );
    if ('error' in parsed) return setFormError({ text: parsed.error, field: parsed.field });
    void calibrateStore.start(api, parsed.input);
  };
  const fieldError = (field: CalibrateField) =>
    formError?.field === field ? (
      <p className="field-error" role="alert" data-testid="calibrate-form-error">
        {formError.text}
      </p>
    ) : null;
  const numberField = (field: CalibrateField, key: keyof CalibrateFormValues, label: string, help?: string) => (
    <div className="field">
      <label htmlFor={`calibrate-${field}`}>{label}</label>
      <input
        id={`calibrate-${field}`}
        type="number"
        step="any"
        value={form[key]}
        disabled={running !== null}
        aria-invalid={formError?.field === field ? 'true' : undefined}
        onChange={(e) => change({ [key]: e.target.value } as Partial<CalibrateFormValues>)}
        data-testid={`calibrate-${field}`}
      />
      {fieldError(field)}
      {help ? <p className="help">{help}</p> : null}
    </div>
  );

  return (
    <div className="page" data-testid="page-calibrate">
      <div className="run-layout">
        <div className="run-side">
          <form className="card" noValidate onSubmit={submit} data-testid="calibrate-form" aria-busy={running !== null}>
            <h2>Calibrate</h2>
            <p className="muted">
              Measures this board: profiling runs that vary what the model executes (static, input-adaptive, budgeted), a fit of per-unit energy and latency
              costs, and the fit’s error on one run it did not see. The table is stored for this model, machine and executor.
            </p>
            {meter ? (
              <p className="profile-meter" data-testid="calibrate-meter">
                Meter: <strong>{meter.label}</strong> <span className="muted">({meter.spec})</span> <SimBadge simulated={meter.simulated} />
              </p>
            ) : (
              <p className="note" data-testid="calibrate-no-meter">
                No meter is connected; connect one on the <a href={routeHref({ page: 'meters' })}>Meters page</a> to calibrate.
              </p>
            )}
            <div className="field">
              <label htmlFor="calibrate-model">Model</label>
              <select
                id="calibrate-model"
                value={model}
                onChange={(e) => (setFormError(null), setModel(e.target.value))}
                disabled={running !== null}
                aria-invalid={formError?.field === 'model' ? 'true' : undefined}
                data-testid="calibrate-model"
              >
                {models.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.id}
                  </option>
                ))}
              </select>
              {fieldError('model')}
            </div>
            {numberField('runs', 'runs', 'Runs', 'Static, iadi (gated models) and budgeted runs over the MAC range; one budgeted run is held out.')}
            {numberField('limit', 'limit', 'Inferences per run')}
            <div className="field">
              <label htmlFor="calibrate-backend">Executor</label>
              <select
                id="calibrate-backend"
                value={form.backend}
                disabled={running !== null}
                data-testid="calibrate-backend"
                onChange={(e) => change({ backend: e.target.value as CalibrateFormValues['backend'] })}
              >
                {BACKENDS.map((b) => (
                  <option key={b.value} value={b.value}>
                    {b.label}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="calibrate-name">Table name (optional)</label>
              <input
                id="calibrate-name"
                value={form.name}
                disabled={running !== null}
                placeholder="model-backend-date"
                aria-invalid={formError?.field === 'name' ? 'true' : undefined}
                onChange={(e) => change({ name: e.target.value })}
                data-testid="calibrate-name"
              />
              {fieldError('name')}
            </div>
            <div className="profile-params">
              {numberField(
                'warmup',
                'warmup',
                'Warm-up per run',
                'Empty: one pass over the run’s inputs, so each run is measured warm (executor caches and JIT settled).',
              )}
              {numberField(
                'segments',
                'segments',
                'Segments per run',
                'Empty: 3 (fewer for short runs). Each run is measured in this many parts, every run in turn, so a drift of the board is shared by all runs.',
              )}
              {numberField('baseline', 'baselineS', 'Idle baseline (s)')}
              {numberField(
                'precision',
                'precisionPct',
                'Precision (%)',
                'Every run is measured again, all in turn, until each run’s mean energy per inference is known to ± this (95 %) or the time limit is near.',
              )}
              {numberField('maxTime', 'maxMinutes', 'Time limit (min)')}
            </div>
            <ErrorMessage error={state.error} testId="calibrate-error" />
            <div className="actions">
              <button
                type="submit"
                className="primary"
                disabled={running !== null || !usable || models.length === 0}
                data-testid="calibrate-submit"
                title={usable ? `Measure with ${meter!.label}` : 'Connect a meter on the Meters page first'}
              >
                {running ? 'Calibrating…' : 'Calibrate'}
              </button>
            </div>
            {running ? (
              <div className="profile-progress" data-testid="calibrate-progress" data-phase={p?.phase ?? 'starting'} data-run={p?.run ?? 0}>
                <div>
                  <strong data-testid="calibrate-phase">{p ? calibrationProgressText(p) : 'Starting…'}</strong>
                  <span className="muted" data-testid="calibrate-times">
                    {' '}
                    · elapsed {duration(elapsed)} · ETA {eta === null ? '—' : duration(eta)}
                  </span>
                </div>
                {p && p.runs > 0 ? (
                  <progress max={p.runs} value={Math.max(0, p.run - 1) + (p.total > 0 && p.phase === 'inferences' ? p.done / p.total : 0)} />
                ) : null}
                <div className="actions">
                  <button
                    type="button"
                    className="danger"
                    onClick={() => void calibrateStore.cancel(api)}
                    disabled={running.cancelling}
                    data-testid="calibrate-cancel"
                  >
                    {running.cancelling ? 'Cancelling…' : 'Cancel'}
                  </button>
                </div>
              </div>
            ) : null}
            {state.ended ? (
              <p className="field-error" role="alert" data-testid="calibrate-ended" data-phase={state.ended.phase}>
                {state.ended.message}
              </p>
            ) : null}
          </form>
        </div>
        <div className="run-main">
          {state.result ? <CalibrationResultCard r={state.result} model={state.resultModel ?? state.result.costTable.model.name} /> : null}
        </div>
      </div>
    </div>
  );
}

function ParameterRows({ ps, unit }: { ps: FittedParameterView[]; unit: string }) {
  return (
    <>
      {ps.map((x) => (
        <tr key={x.name} data-testid="fit-parameter" data-status={x.status}>
          <td>
            <code>{x.name}</code>
          </td>
          <td>{x.status === 'folded' || x.status === 'absent' ? '—' : `${x.value.toPrecision(3)} ${unit}`}</td>
          <td>{x.status}</td>
          <td className="muted">{x.note ?? ''}</td>
        </tr>
      ))}
    </>
  );
}

export function CalibrationResultCard({ r, model }: { r: CalibrationResultView; model: string }) {
  const h = r.heldOut;
  const heldIds = h.sessionIds ?? [h.sessionId];
  const profileWith = () => {
    paramStore.set({ costTable: r.costTable.name, backend: r.costTable.backend.name as ProfileParamValues['backend'] });
    prefillRunForm({ model });
    navigate({ page: 'run' });
  };
  return (
    <section className="card" data-testid="calibrate-result" data-table={r.costTable.name}>
      <div className="card-head">
        <h2>
          Cost table <span data-testid="calibrate-table-name">{r.costTable.name}</span>
        </h2>
        <SimBadge simulated={r.simulated} />
        <div className="spacer" />
        <button type="button" className="primary" onClick={profileWith} data-testid="calibrate-profile-with">
          Profile with this table
        </button>
      </div>
      <p className="muted">
        {r.costTable.model.name} on {r.costTable.backend.name} {r.costTable.backend.version}; idle power {si(r.costTable.idlePowerW, 'W')}.
      </p>
      <h3>Held-out run</h3>
      <dl className="profile-facts" data-testid="calibrate-held-out">
        <dt>Run</dt>
        <dd>
          {heldIds.length > 1 ? 'sessions ' : 'session '}
          {heldIds.map((id, k) => (
            <span key={id}>
              {k > 0 ? ', ' : ''}
              <a href={routeHref({ page: 'session', id })}>{id}</a>
            </span>
          ))}{' '}
          · {h.mode}
          {h.budget ? ` ${h.budget}` : ''} · {h.attribution} attribution, {h.observations} observation{h.observations === 1 ? '' : 's'}
        </dd>
        <dt>Energy error {heldOutUnit(h.attribution)}</dt>
        <dd data-testid="held-out-mape" data-value={h.energyMape ?? ''}>
          {percent(h.energyMape)} MAPE <span className="muted">(analytic 45 nm table: {percent(h.analyticEnergyMape)})</span>
        </dd>
        <dt>Mean energy error</dt>
        <dd data-testid="held-out-total" data-value={h.energyMeanError ?? ''}>
          {h.energyMeanError !== undefined ? signedPercent(h.energyMeanError) : percent(h.energyTotalError)}{' '}
          <span className="muted">
            (measured {si(h.measuredEnergyPerInferenceJ, 'J')}
            {h.energyMeanCi95 !== undefined && h.energyMeanCi95 !== null ? ` ± ${percent(h.energyMeanCi95)} (95 %)` : ''}, predicted{' '}
            {si(h.predictedEnergyPerInferenceJ, 'J')} per inference: the run total)
          </span>
        </dd>
        {r.precision ? (
          <>
            <dt>Precision</dt>
            <dd data-testid="calibrate-precision-result" data-reached={r.precision.reached ? 'true' : 'false'}>
              {r.precision.reached ? 'reached' : 'NOT reached'}:{' '}
              {r.precision.worstCi95 === null
                ? 'a run has too few energy observations for an interval'
                : `every run’s mean known to ± ${percent(r.precision.worstCi95)} or better`}{' '}
              (asked ± {percent(r.precision.target)}),{' '}
              {r.precision.extraRounds ? `${r.precision.extraRounds} extra round${r.precision.extraRounds > 1 ? 's' : ''}` : 'no extra rounds'}
            </dd>
          </>
        ) : null}
        <dt>Latency error</dt>
        <dd>
          {h.latencyMeanError !== undefined ? `mean ${signedPercent(h.latencyMeanError)}, ` : ''}
          {percent(h.latencyMape)} MAPE
        </dd>
      </dl>
      {(
        [
          ['Energy (active, above idle)', r.fit.energy, 'J'],
          ['Latency', r.fit.latency, 's'],
        ] as const
      ).map(([title, f, unit]) => {
        const { identified, unidentified } = splitParameters(f.parameters);
        return (
          <div key={title} data-testid="fit-table">
            <h3>
              {title} fit <span className="muted small-print">intercept {si(f.intercept, unit)}</span>
            </h3>
            <table className="table">
              <thead>
                <tr>
                  <th>Parameter</th>
                  <th>Value</th>
                  <th>Status</th>
                  <th>Why</th>
                </tr>
              </thead>
              <tbody>
                <ParameterRows ps={identified} unit={unit} />
              </tbody>
            </table>
            {unidentified.length ? (
              <>
                <p className="small-print">Not identified by these runs:</p>
                <table className="table" data-testid="fit-unidentified">
                  <tbody>
                    <ParameterRows ps={unidentified} unit={unit} />
                  </tbody>
                </table>
              </>
            ) : null}
          </div>
        );
      })}
    </section>
  );
}
