import type { FormEvent, ReactNode } from 'react';
import type { ModelSummaryDto } from '../../../main/api/contract';
import { BUDGET_UNIT_CHOICES } from '../../../main/domain/budget';
import { takesBudget } from '../../../main/domain/modes';
import { MAX_LIMIT, modeCaveat, MODES, toRunInput, type RunField, type RunFormValues } from './runForm';

export function RunForm({
  models,
  values,
  onChange,
  onSubmit,
  busy,
  busyText,
  formError,
  extraAction,
}: {
  models: ModelSummaryDto[];
  values: RunFormValues;
  onChange: (patch: Partial<RunFormValues>) => void;
  onSubmit: () => void;
  busy: boolean;
  busyText: string;
  formError: string | null;
  /** Another action beside Run (the Profile button). */
  extraAction?: ReactNode;
}) {
  const withBudget = takesBudget(values.mode);
  // A problem of the form's own check is shown beside its field; anything else (the core's answer) below.
  const checked = formError ? toRunInput(values) : null;
  const errorField: RunField | null = checked && 'error' in checked && checked.error === formError ? checked.field : null;
  const fieldError = (field: RunField) =>
    errorField === field ? (
      <p className="field-error" role="alert" id={`run-${field}-error`} data-testid="run-form-error">
        {formError}
      </p>
    ) : null;
  const caveat = modeCaveat(
    values.mode,
    models.find((m) => m.id === values.model),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <form className="card run-form" noValidate onSubmit={submit} data-testid="run-form" aria-busy={busy}>
      <h2>Run inferences</h2>
      <div className="field">
        <label htmlFor="run-model">Model</label>
        <select
          id="run-model"
          value={values.model}
          onChange={(e) => onChange({ model: e.target.value })}
          disabled={busy || models.length === 0}
          aria-invalid={errorField === 'model' ? 'true' : undefined}
          data-testid="run-model"
        >
          {models.length === 0 ? <option value="">No models installed</option> : null}
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.id}
              {m.randomWeights ? ' (random weights)' : ''}
            </option>
          ))}
        </select>
        {fieldError('model')}
      </div>

      <fieldset className="field modes" disabled={busy}>
        <legend>Mode</legend>
        {MODES.map((m) => (
          <label key={m.mode} className="mode-option">
            <input
              type="radio"
              name="run-mode"
              value={m.mode}
              checked={values.mode === m.mode}
              onChange={() => onChange({ mode: m.mode })}
              data-testid={`mode-${m.mode}`}
            />
            <span>
              <strong>{m.label}</strong> <span className="mode-explain">{m.explain}</span>
            </span>
          </label>
        ))}
        {caveat ? (
          <p className="help mode-caveat" data-testid="mode-caveat">
            {caveat}
          </p>
        ) : null}
      </fieldset>

      <div className="field">
        <label htmlFor="run-budget">Budget per inference</label>
        <div className="setting-input">
          <input
            id="run-budget"
            type="number"
            min="0"
            step="any"
            inputMode="decimal"
            value={withBudget ? values.budgetValue : ''}
            placeholder={withBudget ? 'e.g. 2.5' : 'radi / ddi only'}
            onChange={(e) => onChange({ budgetValue: e.target.value })}
            disabled={busy || !withBudget}
            aria-invalid={errorField === 'budget' ? 'true' : undefined}
            aria-describedby={errorField === 'budget' ? 'run-budget-error' : undefined}
            data-testid="run-budget-value"
          />
          <select
            aria-label="Budget unit"
            value={values.budgetUnit}
            onChange={(e) => onChange({ budgetUnit: e.target.value })}
            disabled={busy || !withBudget}
            data-testid="run-budget-unit"
          >
            {BUDGET_UNIT_CHOICES.map((g) => (
              <optgroup key={g.kind} label={g.label}>
                {g.units.map((u) => (
                  <option key={u} value={u}>
                    {u}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </div>
        {fieldError('budget')}
        <p className="help">
          {withBudget
            ? 'A hard limit: before each block and exit the engine checks the worst case still fits, and halts at the deepest exit reached otherwise. Latency and energy budgets are checked against the cost model’s predictions.'
            : 'Only the radi and ddi modes take a budget.'}
        </p>
      </div>

      <div className="field">
        <label htmlFor="run-limit">Number of images</label>
        <input
          id="run-limit"
          type="number"
          min={1}
          max={MAX_LIMIT}
          step={1}
          value={values.limit}
          onChange={(e) => onChange({ limit: e.target.value })}
          disabled={busy}
          aria-invalid={errorField === 'limit' ? 'true' : undefined}
          aria-describedby={errorField === 'limit' ? 'run-limit-error' : undefined}
          data-testid="run-limit"
        />
        {fieldError('limit')}
        <p className="help">The first N images of the shipped 1000-image Fashion-MNIST test sample, one at a time (batch 1).</p>
      </div>

      {formError && errorField === null ? (
        <p className="field-error" role="alert" data-testid="run-form-error">
          {formError}
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || models.length === 0} data-testid="run-submit">
          {busy ? busyText : 'Run'}
        </button>
        {extraAction}
      </div>
    </form>
  );
}
