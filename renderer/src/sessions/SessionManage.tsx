import { useState, type FormEvent } from 'react';
import { useApi } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { count } from '../common/format';
import type { SessionSummary } from '../common/types';
import { navigate } from '../shell/route';

const MAX_NAME = 200;
const MAX_NOTES = 10_000;

/** The session's name as a heading, or a one-field form to rename it. */
export function SessionTitle({ session, onSaved }: { session: SessionSummary; onSaved: (s: SessionSummary) => void }) {
  const api = useApi();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(session.name);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  if (!editing) {
    return (
      <>
        <h1 data-testid="session-title">{session.name}</h1>
        <button
          type="button"
          className="small"
          onClick={() => {
            setName(session.name);
            setFieldError(null);
            setError(null);
            setEditing(true);
          }}
          data-testid="session-rename"
        >
          Rename
        </button>
      </>
    );
  }
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const trimmed = name.trim();
    const problem =
      trimmed === ''
        ? 'Type a name of at least one character.'
        : trimmed.length > MAX_NAME
          ? `Keep the name to ${MAX_NAME} characters (it has ${trimmed.length}).`
          : null;
    setFieldError(problem);
    if (problem) return;
    try {
      onSaved(await api.call('sessions.update', { id: session.id, name: trimmed }));
      setEditing(false);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="rename-form" noValidate onSubmit={(e) => void submit(e)} data-testid="rename-form">
      <div className="field">
        <label htmlFor="session-name-edit">Session name</label>
        <input
          id="session-name-edit"
          type="text"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={fieldError ? 'true' : undefined}
          autoFocus
          data-testid="session-name-edit"
        />
        {fieldError ? (
          <p className="field-error" data-testid="session-name-error">
            {fieldError}
          </p>
        ) : null}
        <ErrorMessage error={error} testId="rename-error" />
      </div>
      <div className="actions">
        <button type="submit" className="primary" data-testid="session-name-save">
          Save
        </button>
        <button type="button" onClick={() => setEditing(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Notes (saved on request) and deleting the session, with a confirmation that says what goes. */
export function SessionNotesAndDelete({ session, onSaved }: { session: SessionSummary; onSaved: (s: SessionSummary) => void }) {
  const api = useApi();
  const [notes, setNotes] = useState(session.notes);
  const [noteError, setNoteError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const recording = session.status === 'recording';

  const saveNotes = async (e: FormEvent) => {
    e.preventDefault();
    const problem =
      notes.length > MAX_NOTES
        ? `Keep the notes to ${MAX_NOTES.toLocaleString('en-US')} characters (they have ${notes.length.toLocaleString('en-US')}).`
        : null;
    setNoteError(problem);
    setSaved(false);
    if (problem) return;
    try {
      onSaved(await api.call('sessions.update', { id: session.id, notes }));
      setSaved(true);
    } catch (err) {
      setError(err);
    }
  };
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.call('sessions.delete', { id: session.id });
      navigate({ page: 'sessions' });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <section className="card session-manage" data-testid="session-manage">
      <form noValidate onSubmit={(e) => void saveNotes(e)} data-testid="notes-form">
        <div className="field">
          <label htmlFor="session-notes">Notes</label>
          <textarea
            id="session-notes"
            rows={3}
            value={notes}
            onChange={(e) => (setNotes(e.target.value), setSaved(false))}
            aria-invalid={noteError ? 'true' : undefined}
            data-testid="session-notes"
          />
          {noteError ? (
            <p className="field-error" data-testid="session-notes-error">
              {noteError}
            </p>
          ) : null}
        </div>
        <div className="actions">
          <button type="submit" disabled={notes === session.notes} data-testid="session-notes-save">
            Save notes
          </button>
          {saved ? (
            <span className="muted" data-testid="session-notes-saved">
              Saved.
            </span>
          ) : null}
          <div className="spacer" />
          {!confirming ? (
            <button
              type="button"
              className="danger"
              onClick={() => setConfirming(true)}
              disabled={recording}
              title={recording ? 'Stop the recording first' : undefined}
              data-testid="session-delete"
            >
              Delete session…
            </button>
          ) : null}
        </div>
      </form>
      {confirming ? (
        <div className="confirm" role="alertdialog" aria-labelledby="confirm-delete-text" data-testid="delete-confirm">
          <p id="confirm-delete-text">
            Delete “{session.name}” for good? Its {count(session.samples)} samples, gaps, markers{session.kind === 'profile' ? ' and inferences' : ''} are
            removed and the space is given back; this cannot be undone.
          </p>
          <div className="actions">
            <button type="button" className="danger" onClick={() => void remove()} disabled={busy} data-testid="session-delete-confirm">
              {busy ? 'Deleting…' : 'Delete for good'}
            </button>
            <button type="button" onClick={() => setConfirming(false)} disabled={busy} data-testid="session-delete-cancel">
              Cancel
            </button>
          </div>
        </div>
      ) : null}
      <ErrorMessage error={error} testId="session-manage-error" />
    </section>
  );
}
