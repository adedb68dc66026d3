import { useEffect, useMemo, useState } from 'react';
import { useApi } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { ProfileButton, ProfilePanel } from '../profile/ProfileControls';
import { useProfileState } from '../profile/profileStore';
import { ModelCards } from './ModelCards';
import { RunForm } from './RunForm';
import { RunHistory } from './RunHistory';
import { RunResults } from './RunResults';
import { takesBudget } from '../../../main/domain/modes';
import { DEFAULT_LIMIT, suggestedBudget, toRunInput, type RunFormValues } from './runForm';
import { runStore, useRunState } from './runStore';
import { useModels, type BackendInfo } from './useModels';
import './run.css';

let savedForm: RunFormValues = { model: '', mode: 'static', budgetValue: '', budgetUnit: 'MMAC', limit: String(DEFAULT_LIMIT) };

/** Fills in the form before the page opens (the Calibrate page's "Profile with this table"). */
export function prefillRunForm(patch: Partial<RunFormValues>): void {
  savedForm = { ...savedForm, ...patch };
}

/**
 * The Run page: the installed DDI models, a form to run one of them on the shipped sample in a
 * chosen mode and budget, and what came out (with the last few runs kept to compare).
 */
export function RunPage() {
  const api = useApi();
  const { list, listError, backend, backendError, loading, reload } = useModels();
  const state = useRunState();
  const profiling = useProfileState().running !== null;
  // Memoised: a fresh [] each render would re-run the effects that depend on it.
  const models = useMemo(() => list?.models ?? [], [list]);
  const [form, setForm] = useState<RunFormValues>(() => savedForm);
  // Coming back to the page finds the form as it was left, like the runs in the store.
  useEffect(() => {
    savedForm = form;
  }, [form]);
  const [formError, setFormError] = useState<string | null>(null);

  // Pick a model once the list arrives (or again if the chosen one disappeared on a rescan).
  useEffect(() => {
    if (models.length > 0 && !models.some((m) => m.id === form.model)) setForm((f) => ({ ...f, model: models[0]!.id }));
  }, [models, form.model]);

  const change = (patch: Partial<RunFormValues>) => {
    setFormError(null);
    runStore.clearError();
    setForm((f) => {
      const next = { ...f, ...patch };
      // Entering a budgeted mode with no budget yet: offer half the model's static cost.
      if (patch.mode && takesBudget(patch.mode) && next.budgetValue.trim() === '') {
        const card = models.find((m) => m.id === next.model);
        if (card) {
          const suggestion = suggestedBudget(card.backboneMacs);
          next.budgetValue = suggestion.value;
          next.budgetUnit = suggestion.unit;
        }
      }
      return next;
    });
  };

  const submit = () => {
    const parsed = toRunInput(form);
    if ('error' in parsed) return setFormError(parsed.error);
    setFormError(null);
    void runStore.run(
      api,
      parsed.input,
      models.find((m) => m.id === parsed.input.model),
    );
  };

  const selected = state.runs.find((r) => r.seq === state.selected) ?? state.runs[0];
  // Profile takes the same form; its problems are said the same way, by the profiling panel.
  const parsed = toRunInput(form);

  return (
    <div className="page" data-testid="page-run">
      <section className="card">
        <div className="card-head">
          <h2>Run</h2>
          <BackendBadge backend={backend} error={backendError} />
        </div>
        <p className="muted run-intro">
          Run a Dual Dynamic Inference model on the shipped Fashion-MNIST test sample and see what each mode costs: MACs per inference, where inferences exit,
          which blocks the gates skip, and whether a hard budget held.
        </p>
        <p className="note" data-testid="energy-note">
          Run counts MACs and times the wall clock without recording power. Energy per inference measured with a power meter comes from profiling runs: Profile
          runs the same form while the connected meter records.
        </p>
      </section>

      <section className="card" data-testid="models-section">
        <div className="card-head">
          <h2>Models</h2>
          <span className="muted" data-testid="model-count">
            {list ? `${models.length} installed` : loading ? 'Loading…' : ''}
          </span>
          <div className="spacer" />
          <button type="button" className="small" onClick={reload} disabled={loading} data-testid="models-rescan">
            {loading ? 'Scanning…' : 'Rescan'}
          </button>
        </div>
        <ErrorMessage error={listError} testId="models-error" />
        {list && models.length === 0 ? (
          <p className="muted" data-testid="models-empty">
            No models installed. Trained models go in data/models/ or your models folder (DDI_MODELS_DIR).
          </p>
        ) : null}
        <ModelCards models={models} selected={form.model} onSelect={(id) => change({ model: id })} />
        {list && list.invalid.length > 0 ? (
          <ul className="invalid-models" data-testid="models-invalid">
            {list.invalid.map((i) => (
              <li key={i.dir}>
                <code>{i.dir}</code> was skipped: {i.error}
              </li>
            ))}
          </ul>
        ) : null}
      </section>

      <div className="run-layout">
        <div className="run-side">
          <RunForm
            models={models}
            values={form}
            onChange={change}
            onSubmit={submit}
            busy={state.pending !== null || profiling}
            busyText={state.pending ? `Running ${state.pending.limit} image${state.pending.limit === 1 ? '' : 's'}…` : 'Run'}
            formError={formError}
            extraAction={
              <ProfileButton
                input={'input' in parsed ? parsed.input : null}
                inputError={'error' in parsed ? parsed.error : null}
                disabled={state.pending !== null || models.length === 0}
              />
            }
          />
          <ErrorMessage error={state.error} testId="run-error" />
          <ProfilePanel model={form.model} />
        </div>
        <div className="run-main">
          <RunHistory runs={state.runs} selected={selected?.seq ?? null} onSelect={runStore.select} />
          {selected ? (
            <RunResults key={selected.seq} entry={selected} />
          ) : (
            <section className="card muted" data-testid="run-empty">
              No runs yet. Choose a model and a mode and press Run.
            </section>
          )}
        </div>
      </div>
    </div>
  );
}

function BackendBadge({ backend, error }: { backend: BackendInfo | null; error: unknown }) {
  if (error) return <ErrorMessage error={error} testId="backend-error" />;
  if (!backend)
    return (
      <span className="muted" data-testid="backend-loading">
        Starting the inference engine…
      </span>
    );
  return (
    <>
      <span
        className="badge badge-backend"
        data-testid="backend-badge"
        data-backend={backend.name}
        title={`TensorFlow.js ${backend.version}, ${backend.name} backend${backend.notes.length ? `\n${backend.notes.join('\n')}` : ''}`}
      >
        {backend.name.toUpperCase()} · tfjs {backend.version}
      </span>
      {backend.notes.length > 0 ? (
        <span className="muted small-print" data-testid="backend-notes">
          {backend.notes.join(' · ')}
        </span>
      ) : null}
    </>
  );
}
