import { count } from '../common/format';
import { budgetLabel } from './runForm';
import type { RunEntry } from './runStore';
import { summarize } from './runStats';
import { formatMacs, formatShare } from './units';

/** The last few runs side by side; a row shows that run's full result below. */
export function RunHistory({ runs, selected, onSelect }: { runs: RunEntry[]; selected: number | null; onSelect: (seq: number) => void }) {
  if (runs.length === 0) return null;
  return (
    <section className="card" data-testid="run-history">
      <div className="card-head">
        <h2>Recent runs</h2>
        <span className="muted">the last {runs.length} on this page, newest first; choose one to see it</span>
      </div>
      <div className="table-scroll">
        <table className="sessions-table">
          <thead>
            <tr>
              <th>Model</th>
              <th>Mode</th>
              <th>Budget</th>
              <th className="num">Images</th>
              <th className="num">Accuracy</th>
              <th className="num">Mean MACs</th>
              <th className="num">% of static</th>
              <th className="num">Within budget</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((e) => {
              const s = summarize(e.run);
              return (
                <tr
                  key={e.seq}
                  className={`clickable${e.seq === selected ? ' selected' : ''}`}
                  tabIndex={0}
                  aria-selected={e.seq === selected}
                  onClick={() => onSelect(e.seq)}
                  onKeyDown={(k) => k.key === 'Enter' && onSelect(e.seq)}
                  data-testid="history-row"
                  data-seq={e.seq}
                  data-mode={e.run.mode}
                  data-mean-macs={e.run.meanMacs}
                >
                  <td>{e.run.model}</td>
                  <td>{e.run.mode}</td>
                  <td>{budgetLabel(e.run.budget)}</td>
                  <td className="num">{count(e.run.count)}</td>
                  <td className="num">{formatShare(s.accuracy)}</td>
                  <td className="num">{formatMacs(s.meanMacs)}</td>
                  <td className="num">{formatShare(s.macsShare)}</td>
                  <td className={`num${s.withinBudget !== null && s.withinBudget < 1 ? ' warn' : ''}`}>
                    {s.withinBudget === null ? '—' : formatShare(s.withinBudget)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
