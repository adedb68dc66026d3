import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { MarkerDto } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { checkMarker, type MarkerDraft, type MarkerErrors } from './markerForm';

/**
 * The session's markers: the user's notes (at a time or over a range; added with the form, the `m`
 * key on the trace, or "Mark it" on a selection) and a profiling run's phases, which are listed but
 * belong to the run and cannot be deleted here.
 */
export function MarkersPanel({
  sessionId,
  durationS,
  markers,
  draft,
  setDraft,
  onChanged,
  onShow,
}: {
  sessionId: number;
  durationS: number;
  markers: readonly MarkerDto[];
  draft: MarkerDraft | null;
  setDraft: (d: MarkerDraft | null) => void;
  onChanged: () => void;
  onShow: (m: MarkerDto) => void;
}) {
  const api = useApi();
  const [errors, setErrors] = useState<MarkerErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const labelRef = useRef<HTMLInputElement>(null);
  const open = draft !== null;
  useEffect(() => {
    if (open) {
      setErrors({});
      setError(null);
      labelRef.current?.focus();
      labelRef.current?.scrollIntoView({ block: 'nearest' });
    }
  }, [open]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft) return;
    const checked = checkMarker(draft, durationS);
    setErrors(checked.errors);
    if (!checked.value) return;
    setBusy(true);
    setError(null);
    try {
      await api.call('markers.add', { sessionId, tS: checked.value.tS, endS: checked.value.endS, label: checked.value.label });
      setDraft(null);
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (m: MarkerDto) => {
    setError(null);
    try {
      await api.call('markers.delete', { sessionId, markerId: m.id });
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  const field = (key: keyof MarkerDraft) => ({
    value: draft?.[key] ?? '',
    onChange: (e: { target: { value: string } }) => draft && setDraft({ ...draft, [key]: e.target.value }),
    'aria-invalid': errors[key] ? ('true' as const) : undefined,
    'aria-describedby': errors[key] ? `marker-${key}-error` : undefined,
  });

  return (
    <section className="card markers" data-testid="markers">
      <div className="card-head">
        <h2>Markers</h2>
        <span className="muted">Press m over the trace to mark the time under the cursor (or the selection).</span>
        <div className="spacer" />
        {!open ? (
          <button type="button" className="small" onClick={() => setDraft({ start: '', end: '', label: '' })} data-testid="marker-new">
            Add marker…
          </button>
        ) : null}
      </div>
      {open ? (
        <form className="marker-form" noValidate onSubmit={(e) => void submit(e)} data-testid="marker-form">
          <div className="field">
            <label htmlFor="marker-start">Start (s)</label>
            <input id="marker-start" type="text" inputMode="decimal" {...field('start')} data-testid="marker-start" />
            {errors.start ? (
              <p className="field-error" id="marker-start-error" data-testid="marker-start-error">
                {errors.start}
              </p>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor="marker-end">End (s, optional)</label>
            <input id="marker-end" type="text" inputMode="decimal" {...field('end')} data-testid="marker-end" />
            {errors.end ? (
              <p className="field-error" id="marker-end-error" data-testid="marker-end-error">
                {errors.end}
              </p>
            ) : null}
          </div>
          <div className="field marker-label">
            <label htmlFor="marker-label">Label</label>
            <input id="marker-label" type="text" ref={labelRef} {...field('label')} data-testid="marker-label" />
            {errors.label ? (
              <p className="field-error" id="marker-label-error" data-testid="marker-label-error">
                {errors.label}
              </p>
            ) : null}
          </div>
          <div className="actions">
            <button type="submit" className="primary" disabled={busy} data-testid="marker-save">
              {busy ? 'Saving…' : 'Save marker'}
            </button>
            <button type="button" onClick={() => setDraft(null)} data-testid="marker-cancel">
              Cancel
            </button>
          </div>
        </form>
      ) : null}
      <ErrorMessage error={error} testId="marker-error" />
      {markers.length === 0 ? (
        <p className="muted" data-testid="markers-empty">
          No markers yet.
        </p>
      ) : (
        <ul className="marker-list" data-testid="marker-list">
          {markers.map((m) => (
            <li key={m.id} data-testid="marker-item" data-kind={m.kind} data-marker-id={m.id}>
              <button type="button" className="link" onClick={() => onShow(m)} title="Show it on the trace">
                {m.tS.toFixed(3)} s{m.endS !== null ? ` – ${m.endS.toFixed(3)} s` : ''}
              </button>
              <span className={`badge badge-${m.kind}`}>{m.kind === 'phase' ? 'PHASE' : 'NOTE'}</span>
              <span className="marker-text">{m.label}</span>
              {m.kind === 'note' ? (
                <button type="button" className="small" onClick={() => void remove(m)} aria-label={`Delete marker ${m.label}`} data-testid="marker-delete">
                  Delete
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
