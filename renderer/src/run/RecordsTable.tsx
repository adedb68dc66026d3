import { useState } from 'react';
import { si } from '../common/format';
import { className, visibleRange, type RecordRow } from './runStats';
import { formatMacs } from './units';

/** Fixed row height (matched by .records-table CSS) so the scroller can place rows without measuring. */
export const ROW_PX = 30;
const VIEWPORT_PX = 420;

/**
 * One row per inference, virtualised: a 1000-image run renders only the rows in view (plus a few
 * either side), with spacer rows keeping the scrollbar true to the full length.
 */
export function RecordsTable({ rows, dataset, latencyBudgetS }: { rows: RecordRow[]; dataset: string | undefined; latencyBudgetS?: number | undefined }) {
  const [scrollTop, setScrollTop] = useState(0);
  const { start, end } = visibleRange(scrollTop, VIEWPORT_PX, ROW_PX, rows.length);
  const height = Math.min(VIEWPORT_PX, (rows.length + 1) * ROW_PX + 2);
  return (
    <div
      className="records-scroll"
      style={{ height }}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      data-testid="records-scroll"
      data-rows={rows.length}
    >
      <table className="records-table" data-testid="records-table">
        <thead>
          <tr>
            <th className="num">#</th>
            <th>Label</th>
            <th>Prediction</th>
            <th>Exit</th>
            <th className="num">MACs</th>
            <th>Halted</th>
            <th className="num">Wall time</th>
          </tr>
        </thead>
        <tbody>
          {start > 0 ? <Spacer px={start * ROW_PX} /> : null}
          {rows.slice(start, end).map((r) => {
            // A measured wall time over a latency budget is marked where it is read, next to the verdict.
            const over = latencyBudgetS !== undefined && r.wallS > latencyBudgetS;
            return (
              <tr
                key={r.index}
                className={r.correct === false ? 'wrong' : undefined}
                data-testid="record-row"
                data-exit-id={r.exitId}
                data-macs={r.macs}
                data-over-budget={over ? 'true' : undefined}
              >
                <td className="num">{r.index}</td>
                <td>{className(dataset, r.label)}</td>
                <td>
                  {className(dataset, r.predicted)}
                  {r.correct === false ? (
                    <span className="wrong-mark" title="Prediction differs from the label">
                      {' '}
                      ✗
                    </span>
                  ) : null}
                </td>
                <td>{r.exitId}</td>
                <td className="num">{formatMacs(r.macs)}</td>
                <td>{r.halted ? 'halted' : '—'}</td>
                <td className={over ? 'num over-budget' : 'num'} title={over ? 'Longer than the latency budget (measured wall time)' : undefined}>
                  {si(r.wallS, 's')}
                </td>
              </tr>
            );
          })}
          {end < rows.length ? <Spacer px={(rows.length - end) * ROW_PX} /> : null}
        </tbody>
      </table>
    </div>
  );
}

/** Stands in for the rows not rendered, so the scrollbar reflects every inference. */
function Spacer({ px }: { px: number }) {
  return (
    <tr className="spacer" aria-hidden="true">
      <td colSpan={7} style={{ height: px }} />
    </tr>
  );
}
