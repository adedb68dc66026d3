import { useMemo, useState } from 'react';
import { si } from '../common/format';
import { className, visibleRange } from '../run/runStats';
import { formatMacs } from '../run/units';
import { exitColor, exitName, sortRows, type SortKey, type TableRow } from './profileLogic';

const ROW_PX = 30; // matches .records-table rows, so the scroller places rows without measuring
const VIEWPORT_PX = 420;

const COLUMNS: Array<{ key: SortKey | null; label: string; source?: string; num?: boolean }> = [
  { key: 'seq', label: '#', num: true },
  { key: null, label: 'Label' },
  { key: null, label: 'Prediction' },
  { key: 'exit', label: 'Exit' },
  { key: 'macs', label: 'MACs', source: 'counted', num: true },
  { key: 'latencyS', label: 'Latency', source: 'measured', num: true },
  { key: 'measuredEnergyJ', label: 'Energy', source: 'measured', num: true },
  { key: 'activeEnergyJ', label: 'Active energy', source: 'measured − baseline', num: true },
  { key: 'predictedEnergyJ', label: 'Energy', source: 'predicted', num: true },
  { key: 'graphBuilds', label: 'Graphs built', source: 'counted', num: true },
];

/**
 * One row per inference, virtualised like the Run page's table; sortable by any numeric column,
 * with the inferences that broke a budget always on top.
 */
export function InferenceTable({ rows, dataset, windowMode }: { rows: TableRow[]; dataset: string | undefined; windowMode: boolean }) {
  const [sort, setSort] = useState<{ key: SortKey; dir: 'asc' | 'desc' }>({ key: 'seq', dir: 'asc' });
  const [scrollTop, setScrollTop] = useState(0);
  const sorted = useMemo(() => sortRows(rows, sort.key, sort.dir), [rows, sort]);
  const { start, end } = visibleRange(scrollTop, VIEWPORT_PX, ROW_PX, sorted.length);
  const height = Math.min(VIEWPORT_PX, (sorted.length + 1) * ROW_PX + 2);
  const violations = rows.filter((r) => r.violates).length;
  const toggle = (key: SortKey) =>
    setSort((s) => (s.key === key ? { key, dir: s.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: key === 'seq' || key === 'exit' ? 'asc' : 'desc' }));
  return (
    <>
      <p className="help table-note">
        {violations > 0 ? `${violations} inference${violations === 1 ? '' : 's'} over a budget, listed first and marked red. ` : ''}
        {windowMode
          ? 'Window mode: single inferences have no measured energy (—); the energy per inference is the window estimate above.'
          : 'Click a column to sort.'}
      </p>
      <div
        className="records-scroll"
        style={{ height }}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        data-testid="inference-scroll"
        data-rows={sorted.length}
      >
        <table className="records-table profile-table" data-testid="inference-table" data-sort={`${sort.key}:${sort.dir}`}>
          <thead>
            <tr>
              {COLUMNS.map((c, i) => (
                <th
                  key={i}
                  className={c.num ? 'num' : undefined}
                  aria-sort={c.key && sort.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}
                >
                  {c.key ? (
                    <button type="button" className="sort" onClick={() => toggle(c.key!)} data-testid={`sort-${c.key}`}>
                      {c.label}
                      {c.source ? <span className={`src src-${c.source === 'predicted' ? 'predicted' : 'measured'}`}>{c.source}</span> : null}
                      {sort.key === c.key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {start > 0 ? <Spacer px={start * ROW_PX} /> : null}
            {sorted.slice(start, end).map((r) => (
              <tr
                key={r.seq}
                className={r.violates ? 'violates' : undefined}
                data-testid="inference-row"
                data-seq={r.seq}
                data-violates={r.violates ? 'true' : undefined}
              >
                <td className="num">{r.seq}</td>
                <td>{r.label === null ? '—' : className(dataset, r.label)}</td>
                <td>{r.prediction === null ? '—' : className(dataset, r.prediction)}</td>
                <td>
                  <span className="exit-swatch" style={{ background: exitColor(r.exit) }} />
                  {exitName(r.exit)}
                </td>
                <td className="num">{formatMacs(r.macs)}</td>
                <td className="num">{si(r.latencyS, 's')}</td>
                <td className="num" data-testid="cell-measured">
                  {si(r.measuredEnergyJ, 'J')}
                </td>
                <td className="num">{si(r.activeEnergyJ, 'J')}</td>
                <td className="num">{si(r.predictedEnergyJ, 'J')}</td>
                <td className="num" data-testid="cell-builds" title="Graphs the executor built during this inference (each costs milliseconds)">
                  {r.graphBuilds === null ? '—' : r.graphBuilds}
                </td>
              </tr>
            ))}
            {end < sorted.length ? <Spacer px={(sorted.length - end) * ROW_PX} /> : null}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Spacer({ px }: { px: number }) {
  return (
    <tr className="spacer" aria-hidden="true">
      <td colSpan={COLUMNS.length} style={{ height: px }} />
    </tr>
  );
}
