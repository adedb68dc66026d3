import { si } from '../common/format';
import { histogram, niceTicks } from './profileLogic';

const W = 560;
const H = 240;
const PAD = { left: 44, right: 12, top: 14, bottom: 40 };

/**
 * Measured energy per inference (or per window, in window mode) as equal-width bins, with each
 * energy budget as a vertical line: a bar right of a line is energy over that budget.
 */
export function EnergyHistogram({ values, per, budgets }: { values: number[]; per: 'inference' | 'window'; budgets: Array<{ name: string; valueJ: number }> }) {
  const h = histogram(
    values,
    budgets.map((b) => b.valueJ),
  );
  if (h.n === 0) {
    return (
      <p className="muted" data-testid="histogram-empty">
        No measured energy to draw: the run has no attributed inference or window.
      </p>
    );
  }
  const maxCount = Math.max(...h.bins.map((b) => b.count));
  const x = (v: number) => PAD.left + ((v - h.min) / (h.max - h.min)) * (W - PAD.left - PAD.right);
  const y = (c: number) => H - PAD.bottom - (c / maxCount) * (H - PAD.top - PAD.bottom);
  const xTicks = niceTicks(h.min, h.max, 4);
  const yTicks = niceTicks(0, maxCount, 3).filter((t) => Number.isInteger(t));
  return (
    <svg
      className="profile-chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={`Histogram of measured energy per ${per}`}
      data-testid="energy-histogram"
      data-bins={h.bins.length}
      data-n={h.n}
      data-per={per}
    >
      {yTicks.map((t) => (
        <g key={`y${t}`}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} className="grid" />
          <text x={PAD.left - 6} y={y(t)} className="tick" textAnchor="end" dominantBaseline="middle">
            {t}
          </text>
        </g>
      ))}
      {h.bins.map((b, i) => (
        <rect
          key={i}
          className="bar"
          x={x(b.from) + 0.5}
          width={Math.max(0.5, x(b.to) - x(b.from) - 1)}
          y={y(b.count)}
          height={H - PAD.bottom - y(b.count)}
          data-testid="histogram-bin"
          data-count={b.count}
        >
          <title>{`${si(b.from, 'J')} – ${si(b.to, 'J')}: ${b.count} ${per}${b.count === 1 ? '' : 's'}`}</title>
        </rect>
      ))}
      {budgets.map((b) => (
        <g key={b.name} data-testid="histogram-budget" data-value={b.valueJ}>
          <line x1={x(b.valueJ)} x2={x(b.valueJ)} y1={PAD.top - 6} y2={H - PAD.bottom} className="budget-line" />
          <text x={x(b.valueJ) + 4} y={PAD.top} className="budget-label">
            {b.name}
          </text>
        </g>
      ))}
      <line x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} className="axis" />
      {xTicks.map((t) => (
        <text key={`x${t}`} x={x(t)} y={H - PAD.bottom + 14} className="tick" textAnchor="middle">
          {si(t, 'J')}
        </text>
      ))}
      <text x={(W + PAD.left) / 2} y={H - 6} className="axis-label" textAnchor="middle">
        {per === 'inference' ? 'measured energy per inference' : 'measured energy per inference, per window (window mode)'}
      </text>
    </svg>
  );
}
