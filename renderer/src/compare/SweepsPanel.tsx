import { useEffect, useState } from 'react';
import { useApi } from '../api/context';
import type { CallOutput, SweepListItemDto } from '../../../main/api/contract';
import { ErrorMessage } from '../common/ErrorMessage';
import { dateTime, si } from '../common/format';
import { PlotExport } from '../common/PlotExport';
import { plotFileName, saveText } from '../common/plotExport';
import { SweepChart, type SweepAxis } from './CompareCharts';
import { sweepLines } from './sweepLogic';

type Sweep = CallOutput<'sweeps.get'>;

/** The stored budget sweeps (`ddi-profiler sweep`): pick one, see its curves, export them. */
export function SweepsPanel() {
  const api = useApi();
  const [list, setList] = useState<SweepListItemDto[] | null>(null);
  const [chosen, setChosen] = useState<string>('');
  const [sweep, setSweep] = useState<Sweep | null>(null);
  const [axis, setAxis] = useState<SweepAxis>('energy');
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api.call('sweeps.list', {}).then((l) => {
      setList(l);
      if (l[0]) setChosen((c) => c || l[0]!.sweepId);
    }, setError);
  }, [api]);

  useEffect(() => {
    if (!chosen) return;
    let live = true;
    setSweep(null);
    api.call('sweeps.get', { sweepId: chosen }).then(
      (s) => live && setSweep(s),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [api, chosen]);

  if (list && list.length === 0) {
    return (
      <section className="card" data-testid="sweeps">
        <h2>Budget sweeps</h2>
        <p className="muted">
          No sweep is stored yet. <code>ddi-profiler sweep --model NAME --budgets 40%,60%,80%,100% --meter SPEC</code> runs one.
        </p>
      </section>
    );
  }
  const drawn = sweep ? sweepLines(sweep, axis) : null;
  const { csv, ...json } = sweep ?? { csv: '' };
  return (
    <section className="card" data-testid="sweeps">
      <h2>Budget sweeps</h2>
      <ErrorMessage error={error} testId="sweeps-error" />
      {list ? (
        <div className="compare-head">
          <div className="field">
            <label htmlFor="sweep-pick">Sweep</label>
            <select id="sweep-pick" value={chosen} onChange={(e) => setChosen(e.target.value)} data-testid="sweep-pick">
              {list.map((s) => (
                <option key={s.sweepId} value={s.sweepId}>
                  {`${s.sweepId} — ${s.models.join(', ')}, ${s.points} points, ${dateTime(s.createdAt)}`}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="sweep-axis">Against</label>
            <select id="sweep-axis" value={axis} onChange={(e) => setAxis(e.target.value as SweepAxis)} data-testid="sweep-axis">
              <option value="energy">measured energy per inference</option>
              <option value="latency">latency per inference</option>
              <option value="macs">MACs per inference</option>
            </select>
          </div>
        </div>
      ) : null}
      {sweep && drawn ? (
        <>
          {sweep.simulated ? <p className="note">Measured with a simulated meter: the energies are the simulator's.</p> : null}
          <PlotExport name={`${sweep.sweepId}-${axis}`} testId="sweep-chart-save">
            <SweepChart lines={drawn.lines} axis={axis} budgets={drawn.budgets} />
          </PlotExport>
          <div className="plot-export-actions">
            <button type="button" className="small" onClick={() => saveText(csv, plotFileName(sweep.sweepId, 'csv'), 'text/csv')} data-testid="sweep-csv">
              Export curve CSV
            </button>
            <button
              type="button"
              className="small"
              onClick={() => saveText(`${JSON.stringify(json, null, 2)}\n`, plotFileName(sweep.sweepId, 'json'), 'application/json')}
              data-testid="sweep-json"
            >
              Export curve JSON
            </button>
          </div>
          <div className="table-scroll">
            <table className="compare-stats" data-testid="sweep-points">
              <thead>
                <tr>
                  <th>Model</th>
                  <th>Budget</th>
                  <th>Session</th>
                  <th>Accuracy</th>
                  <th>Energy / inference</th>
                  <th>Latency</th>
                  <th>MACs</th>
                  <th>Within budget</th>
                </tr>
              </thead>
              <tbody>
                {sweep.curves.flatMap((c) =>
                  c.points.map((p) => (
                    <tr key={p.sessionId}>
                      <td>{c.model}</td>
                      <td>{p.budget}</td>
                      <td>
                        <a href={`#/sessions/${p.sessionId}`}>#{p.sessionId}</a>
                      </td>
                      <td>{p.accuracy === null ? '—' : `${(100 * p.accuracy).toFixed(1)} %`}</td>
                      <td>{si(p.energyPerInferenceJ, 'J')}</td>
                      <td>{si(p.latencyMeanS, 's')}</td>
                      <td>{si(p.macsMean, 'MAC')}</td>
                      <td>{p.fractionWithin === null ? p.verdict : `${(100 * p.fractionWithin).toFixed(1)} % (${p.verdict})`}</td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </section>
  );
}
