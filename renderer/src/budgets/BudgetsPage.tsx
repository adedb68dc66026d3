import { useEffect, useState, type FormEvent } from 'react';
import { toApiError } from '../api/errors';
import { useApi } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { dateTime } from '../common/format';
import { budgetValueText, emptyBudgetForm, metricLabel, METRICS, toBudgetInput, type BudgetField, type BudgetFormValues } from './budgetForm';
import { budgetsStore, useBudgets } from './budgetsStore';
import '../run/run.css';

/** Which field a refusal of the core concerns, by its code. */
const FIELD_OF_CODE: Record<string, BudgetField> = { 'bad-budget-name': 'name', 'budget-exists': 'name', 'bad-budget': 'value' };

/**
 * Named budgets: the limits a profiling run is checked against (Profile's "Check budgets"). List,
 * add (a name, a metric, a value with its unit, optionally one model, notes), remove.
 */
export function BudgetsPage() {
  const api = useApi();
  const { list, loadError } = useBudgets();
  const [form, setForm] = useState<BudgetFormValues>(emptyBudgetForm);
  const [error, setError] = useState<{ text: string; field: BudgetField | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const [removeError, setRemoveError] = useState<unknown>(null);

  useEffect(() => {
    void budgetsStore.load(api);
  }, [api]);

  const change = (patch: Partial<BudgetFormValues>) => {
    setError(null);
    setForm((f) => {
      const next = { ...f, ...patch };
      if (patch.metric) next.unit = METRICS.find((m) => m.metric === patch.metric)!.defaultUnit;
      return next;
    });
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = toBudgetInput(form);
    if ('error' in parsed) return setError({ text: parsed.error, field: parsed.field });
    setBusy(true);
    try {
      await budgetsStore.add(api, parsed.input);
      setForm(emptyBudgetForm());
      setError(null);
    } catch (x) {
      const a = toApiError(x);
      setError({ text: a.message, field: FIELD_OF_CODE[a.code] ?? null });
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (field: BudgetField) =>
    error?.field === field ? (
      <p className="field-error" role="alert" id={`budget-${field}-error`} data-testid="budget-form-error">
        {error.text}
      </p>
    ) : null;
  const unitChoices = METRICS.find((m) => m.metric === form.metric)!.units;

  return (
    <div className="page" data-testid="page-budgets">
      <div className="run-layout">
        <div className="run-side">
          <form className="card" noValidate onSubmit={(e) => void submit(e)} data-testid="budget-form" aria-busy={busy}>
            <h2>Add a budget</h2>
            <div className="field">
              <label htmlFor="budget-name">Name</label>
              <input
                id="budget-name"
                value={form.name}
                onChange={(e) => change({ name: e.target.value })}
                disabled={busy}
                aria-invalid={error?.field === 'name' ? 'true' : undefined}
                placeholder="e.g. mcu-energy"
                data-testid="budget-name"
              />
              {fieldError('name')}
            </div>
            <div className="field">
              <label htmlFor="budget-metric">Metric</label>
              <select
                id="budget-metric"
                value={form.metric}
                onChange={(e) => change({ metric: e.target.value as BudgetFormValues['metric'] })}
                disabled={busy}
                data-testid="budget-metric"
              >
                {METRICS.map((m) => (
                  <option key={m.metric} value={m.metric}>
                    {m.label}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="budget-value">At most</label>
              <div className="setting-input">
                <input
                  id="budget-value"
                  type="text"
                  inputMode="decimal"
                  value={form.value}
                  onChange={(e) => change({ value: e.target.value })}
                  disabled={busy}
                  aria-invalid={error?.field === 'value' ? 'true' : undefined}
                  placeholder="e.g. 0.8"
                  data-testid="budget-value"
                />
                <select aria-label="Budget unit" value={form.unit} onChange={(e) => change({ unit: e.target.value })} disabled={busy} data-testid="budget-unit">
                  {unitChoices.map((u) => (
                    <option key={u} value={u}>
                      {u}
                    </option>
                  ))}
                </select>
              </div>
              {fieldError('value')}
              <p className="help">Energy is what the meter measures over each inference (per run: over the whole inference phase).</p>
            </div>
            <div className="field">
              <label htmlFor="budget-model">Only for model (optional)</label>
              <input
                id="budget-model"
                value={form.model}
                onChange={(e) => change({ model: e.target.value })}
                disabled={busy}
                placeholder="any model"
                data-testid="budget-model"
              />
            </div>
            <div className="field">
              <label htmlFor="budget-notes">Notes</label>
              <input id="budget-notes" value={form.notes} onChange={(e) => change({ notes: e.target.value })} disabled={busy} data-testid="budget-notes" />
            </div>
            {error && error.field === null ? (
              <p className="field-error" role="alert" data-testid="budget-form-error">
                {error.text}
              </p>
            ) : null}
            <div className="actions">
              <button type="submit" className="primary" disabled={busy} data-testid="budget-add">
                {busy ? 'Adding…' : 'Add budget'}
              </button>
            </div>
          </form>
        </div>
        <div className="run-main">
          <section className="card" data-testid="budgets-list">
            <h2>Budgets</h2>
            <ErrorMessage error={loadError} testId="budgets-error" />
            <ErrorMessage error={removeError} testId="budget-remove-error" />
            {list && list.length === 0 ? (
              <p className="muted" data-testid="budgets-empty">
                No budgets yet. A profiling run can be checked against any budget added here.
              </p>
            ) : null}
            {list && list.length > 0 ? (
              <table className="table">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Metric</th>
                    <th>At most</th>
                    <th>Model</th>
                    <th>Notes</th>
                    <th>Added</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {list.map((b) => (
                    <tr key={b.id} data-testid="budget-row" data-name={b.name}>
                      <td>{b.name}</td>
                      <td>{metricLabel(b.metric)}</td>
                      <td data-testid="budget-row-value">{budgetValueText(b)}</td>
                      <td>{b.model ?? <span className="muted">any</span>}</td>
                      <td>{b.notes}</td>
                      <td>{dateTime(b.createdAt)}</td>
                      <td>
                        <button
                          type="button"
                          className="small danger"
                          data-testid="budget-remove"
                          onClick={() => {
                            setRemoveError(null);
                            budgetsStore.remove(api, b.name).catch(setRemoveError);
                          }}
                        >
                          Remove
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </section>
        </div>
      </div>
    </div>
  );
}
