import { si } from '../common/format';
import { formatMacs } from '../run/units';
import { exitColor, exitName, niceTicks, type ScatterPoint } from './profileLogic';

const W = 560;
const H = 240;
const PAD = { left: 56, right: 12, top: 12, bottom: 40 };

/**
 * Measured energy against counted MACs: each inference coloured by its exit (a violation ringed in
 * red), or each window in window mode. Axes start at zero so the slope reads as energy per MAC.
 */
export function EnergyScatter({ points }: { points: ScatterPoint[] }) {
  if (points.length === 0) {
    return (
      <p className="muted" data-testid="scatter-empty">
        No measured energy to plot against MACs.
      </p>
    );
  }
  const maxX = Math.max(...points.map((p) => p.macs)) * 1.05 || 1;
  const maxY = Math.max(...points.map((p) => p.energyJ)) * 1.05 || 1;
  const minY = Math.min(0, ...points.map((p) => p.energyJ));
  const x = (v: number) => PAD.left + (v / maxX) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - ((v - minY) / (maxY - minY)) * (H - PAD.top - PAD.bottom);
  const kind = points[0]!.kind;
  return (
    <svg
      className="profile-chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label="Measured energy against MACs"
      data-testid="energy-scatter"
      data-points={points.length}
      data-kind={kind}
    >
      {niceTicks(minY, maxY, 3).map((t) => (
        <g key={`y${t}`}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} className="grid" />
          <text x={PAD.left - 6} y={y(t)} className="tick" textAnchor="end" dominantBaseline="middle">
            {si(t, 'J')}
          </text>
        </g>
      ))}
      <line x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} className="axis" />
      {niceTicks(0, maxX, 4).map((t) => (
        <text key={`x${t}`} x={x(t)} y={H - PAD.bottom + 14} className="tick" textAnchor="middle">
          {formatMacs(t)}
        </text>
      ))}
      {points.map((p) => (
        <circle
          key={`${p.kind}${p.seq}`}
          cx={x(p.macs)}
          cy={y(p.energyJ)}
          r={p.kind === 'window' ? 4.5 : 3}
          fill={p.kind === 'window' ? '#1d4ed8' : exitColor(p.exit)}
          className={p.violates ? 'point violates' : 'point'}
          data-testid="scatter-point"
        >
          <title>
            {p.kind === 'window'
              ? `Window ${p.seq + 1}: ${p.n} inferences, mean ${formatMacs(p.macs)}, ${si(p.energyJ, 'J')} per inference (measured)`
              : `#${p.seq} ${exitName(p.exit)}: ${formatMacs(p.macs)}, ${si(p.energyJ, 'J')} measured${p.violates ? ', over a budget' : ''}`}
          </title>
        </circle>
      ))}
      <text x={(W + PAD.left) / 2} y={H - 6} className="axis-label" textAnchor="middle">
        {kind === 'window' ? 'mean MACs of the window’s inferences (counted)' : 'MACs per inference (counted)'}
      </text>
    </svg>
  );
}
