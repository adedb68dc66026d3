import { useRef, useState, type ReactNode } from 'react';
import { ErrorMessage } from './ErrorMessage';
import { savePlot } from './plotExport';

/**
 * An SVG plot with "Save SVG" / "Save PNG" buttons under it. `name` becomes the file name's stem
 * and the file's title; `testId` names the buttons (`${testId}-svg`, `${testId}-png`).
 */
export function PlotExport({ name, testId, children }: { name: string; testId: string; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const save = async (format: 'svg' | 'png') => {
    setError(null);
    try {
      if (box.current) setNote(`Saved ${await savePlot(box.current, name, format, name)}.`);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div className="plot-export">
      <div ref={box}>{children}</div>
      <div className="plot-export-actions">
        <button type="button" className="small" onClick={() => void save('svg')} data-testid={`${testId}-svg`}>
          Save SVG
        </button>
        <button type="button" className="small" onClick={() => void save('png')} data-testid={`${testId}-png`}>
          Save PNG
        </button>
        {note ? <span className="muted small-print">{note}</span> : null}
      </div>
      <ErrorMessage error={error} testId={`${testId}-error`} />
    </div>
  );
}
