import { useEffect, useState } from 'react';
import type { CostTableSummary } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { budgetValueText, budgetsForModel, metricLabel } from '../budgets/budgetForm';
import { budgetsStore, useBudgets } from '../budgets/budgetsStore';
import { routeHref } from '../shell/route';
import { costTableOptions } from './costTableChoice';
import { BACKENDS, MAX_MARGIN_PCT, paramStore, useProfileParams, type ProfileParamValues } from './profileParams';

/**
 * What a profiling run is measured with and against: the images, the executor, the cost table
 * that predicts and enforces energy and latency (the analytic one, or a table calibrated for this
 * model, machine and backend), the margin kept below a hard budget, and the stored budgets checked.
 */
export function ProfileOptions({ model, disabled }: { model: string; disabled: boolean }) {
  const api = useApi();
  const params = useProfileParams();
  const { list: budgets } = useBudgets();
  const [tables, setTables] = useState<CostTableSummary[] | null>(null);
  const [tablesError, setTablesError] = useState<unknown>(null);

  useEffect(() => {
    void budgetsStore.load(api);
  }, [api]);
  useEffect(() => {
    if (!model) return;
    let live = true;
    setTablesError(null);
    api
      .call('costTables.list', { model, ...(params.backend ? { backend: params.backend } : {}) })
      .then((t) => live && setTables(t))
      .catch((e: unknown) => live && setTablesError(e));
    return () => {
      live = false;
    };
  }, [api, model, params.backend]);

  const choice = costTableOptions(tables, params.costTable);
  const offered = budgetsForModel(budgets ?? [], model);
  const toggle = (name: string, on: boolean) =>
    paramStore.set({ checks: on ? [...params.checks.filter((c) => c !== name), name] : params.checks.filter((c) => c !== name) });

  return (
    <div className="profile-options" data-testid="profile-options">
      <div className="profile-params">
        <div className="field">
          <label htmlFor="profile-dataset">Images</label>
          <select
            id="profile-dataset"
            value={params.dataset}
            disabled={disabled}
            data-testid="profile-dataset"
            onChange={(e) => paramStore.set({ dataset: e.target.value as ProfileParamValues['dataset'] })}
          >
            <option value="sample">Shipped sample (1000 Fashion-MNIST test images)</option>
            <option value="fashion-mnist">Fashion-MNIST test set (10 000, installed separately)</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="profile-backend">Executor</label>
          <select
            id="profile-backend"
            value={params.backend}
            disabled={disabled}
            data-testid="profile-backend"
            onChange={(e) => paramStore.set({ backend: e.target.value as ProfileParamValues['backend'] })}
          >
            {BACKENDS.map((b) => (
              <option key={b.value} value={b.value}>
                {b.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="field">
        <label htmlFor="profile-cost-table">Cost table (energy and latency budgets, predictions)</label>
        <select
          id="profile-cost-table"
          value={params.costTable}
          disabled={disabled}
          data-testid="profile-cost-table"
          aria-invalid={choice.selectedProblem ? 'true' : undefined}
          onChange={(e) => paramStore.set({ costTable: e.target.value })}
        >
          {choice.options.map((o) => (
            <option key={o.value} value={o.value} disabled={o.disabled} title={o.title}>
              {o.label}
            </option>
          ))}
        </select>
        {choice.selectedProblem ? (
          <p className="field-error" role="alert" data-testid="profile-cost-table-error">
            {choice.selectedProblem}
          </p>
        ) : null}
        <ErrorMessage error={tablesError} testId="profile-cost-tables-error" />
        {choice.refused.length > 0 ? (
          <ul className="small-print muted" data-testid="profile-cost-tables-refused">
            {choice.refused.map((r) => (
              <li key={r.name}>{r.reason}</li>
            ))}
          </ul>
        ) : null}
        <p className="help">
          Without a calibrated table, energy is predicted from the analytic 45 nm table (a textbook chip, not this board).{' '}
          <a href={routeHref({ page: 'calibrate' })}>Calibrate</a> measures this board’s.
        </p>
      </div>
      <div className="field">
        <label htmlFor="profile-margin">Safety margin (%)</label>
        <input
          id="profile-margin"
          type="number"
          min={0}
          max={MAX_MARGIN_PCT}
          step="any"
          value={params.marginPct}
          disabled={disabled}
          onChange={(e) => paramStore.set({ marginPct: e.target.value })}
          data-testid="profile-margin"
        />
        <p className="help">The engine enforces the hard budget this much lower; the run is still checked against the budget as given.</p>
      </div>
      <fieldset className="field" disabled={disabled} data-testid="profile-checks">
        <legend>Check budgets</legend>
        {offered.length === 0 ? (
          <p className="muted small-print">
            No stored budgets for this model; add some on the <a href={routeHref({ page: 'budgets' })}>Budgets page</a>.
          </p>
        ) : (
          offered.map((b) => (
            <label key={b.id} className="mode-option">
              <input
                type="checkbox"
                checked={params.checks.includes(b.name)}
                onChange={(e) => toggle(b.name, e.target.checked)}
                data-testid="profile-check"
                data-name={b.name}
              />
              <span>
                <strong>{b.name}</strong>{' '}
                <span className="muted">
                  {metricLabel(b.metric)} ≤ {budgetValueText(b)}
                </span>
              </span>
            </label>
          ))
        )}
      </fieldset>
    </div>
  );
}
