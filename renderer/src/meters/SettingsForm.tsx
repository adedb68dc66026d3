import type { FormValues, Setting } from './settings';

interface Props {
  settings: readonly Setting[];
  values: FormValues;
  errors: Record<string, string>;
  disabled: boolean;
  onChange: (key: string, value: string | boolean) => void;
}

/** Renders any driver's settings from their descriptors. */
export function SettingsForm({ settings, values, errors, disabled, onChange }: Props) {
  if (settings.length === 0) return <p className="muted">This driver has no settings.</p>;
  return (
    <div className="settings" data-testid="driver-settings">
      {settings.map((s) => {
        const id = `setting-${s.key}`;
        const error = errors[s.key];
        const value = values[s.key];
        let input;
        if (s.type === 'boolean') {
          input = (
            <input id={id} type="checkbox" checked={value === true} disabled={disabled} onChange={(e) => onChange(s.key, e.target.checked)} data-testid={id} />
          );
        } else if (s.type === 'enum') {
          input = (
            <select id={id} value={String(value ?? '')} disabled={disabled} onChange={(e) => onChange(s.key, e.target.value)} data-testid={id}>
              {(s.choices ?? []).map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          );
        } else {
          input = (
            <input
              id={id}
              type={s.type === 'number' ? 'number' : 'text'}
              inputMode={s.type === 'number' ? 'decimal' : undefined}
              min={s.min}
              max={s.max}
              step={s.type === 'number' ? 'any' : undefined}
              value={String(value ?? '')}
              placeholder={s.default === undefined ? '' : String(s.default)}
              disabled={disabled}
              aria-invalid={error ? true : undefined}
              onChange={(e) => onChange(s.key, e.target.value)}
              data-testid={id}
            />
          );
        }
        const range =
          s.type === 'number' && (s.min !== undefined || s.max !== undefined) ? `${s.min ?? '…'} – ${s.max ?? '…'}${s.unit ? ` ${s.unit}` : ''}` : null;
        return (
          <div className={`setting setting-${s.type}`} key={s.key}>
            <label htmlFor={id}>{s.label}</label>
            <div className="setting-input">
              {input}
              {s.unit && s.type !== 'boolean' ? <span className="unit">{s.unit}</span> : null}
            </div>
            {s.help || range ? (
              <p className="help">
                {s.help}
                {s.help && range ? ' · ' : ''}
                {range ? `range ${range}` : ''}
              </p>
            ) : null}
            {error ? (
              <p className="field-error" role="alert">
                {error}
              </p>
            ) : null}
          </div>
        );
      })}
    </div>
  );
}
