import { si } from '../common/format';
import { niceTicks } from '../profile/profileLogic';
import { extent, seriesColor, type Segment } from './compareLogic';

const W = 720;
const H = 280;
const PAD = { left: 60, right: 12, top: 14, bottom: 40 };

const path = (s: Segment, x: (v: number) => number, y: (v: number) => number) =>
  s.x.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(v).toFixed(1)},${y(s.y[i]!).toFixed(1)}`).join('');

/**
 * Traces of several sessions on one time axis (seconds from each session's alignment point), as
 * their bucket means; lines break at gaps. Drawn as SVG so it saves as SVG and PNG unchanged.
 */
export function OverlayTrace({
  series,
  unit,
  alignLabel,
}: {
  series: Array<{ name: string; color: string; segments: Segment[] }>;
  unit: string;
  alignLabel: string;
}) {
  const ext = extent(series.map((s) => s.segments));
  if (!ext)
    return (
      <p className="muted" data-testid="overlay-empty">
        No samples to draw.
      </p>
    );
  const x = (v: number) => PAD.left + ((v - ext.x0) / (ext.x1 - ext.x0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - ((v - ext.y0) / (ext.y1 - ext.y0)) * (H - PAD.top - PAD.bottom);
  return (
    <svg
      className="profile-chart compare-chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={`Traces overlaid, aligned on ${alignLabel}`}
      data-testid="overlay-trace"
      data-series={series.length}
    >
      {niceTicks(ext.y0, ext.y1, 4).map((t) => (
        <g key={`y${t}`}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} className="grid" />
          <text x={PAD.left - 6} y={y(t)} className="tick" textAnchor="end" dominantBaseline="middle">
            {si(t, unit)}
          </text>
        </g>
      ))}
      <line x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} className="axis" />
      {ext.x0 < 0 && ext.x1 > 0 ? <line x1={x(0)} x2={x(0)} y1={PAD.top} y2={H - PAD.bottom} className="zero-line" /> : null}
      {niceTicks(ext.x0, ext.x1, 6).map((t) => (
        <text key={`x${t}`} x={x(t)} y={H - PAD.bottom + 14} className="tick" textAnchor="middle">
          {`${+t.toPrecision(6)} s`}
        </text>
      ))}
      <text x={(W + PAD.left) / 2} y={H - 6} className="axis-label" textAnchor="middle">
        {`time from ${alignLabel} (s)`}
      </text>
      {series.map((s, i) => (
        <g key={i} data-testid="overlay-series" data-name={s.name} data-points={s.segments.reduce((n, g) => n + g.x.length, 0)}>
          {s.segments.map((g, j) => (
            <path key={j} d={path(g, x, y)} className="series" stroke={s.color} />
          ))}
        </g>
      ))}
      <Legend names={series.map((s) => s.name)} colors={series.map((s) => s.color)} />
    </svg>
  );
}

function Legend({ names, colors }: { names: string[]; colors?: string[] }) {
  return (
    <g>
      {names.map((n, i) => (
        <g key={i} transform={`translate(${PAD.left + 8}, ${PAD.top + 4 + i * 14})`}>
          <rect width={10} height={3} y={-2} fill={colors?.[i] ?? seriesColor(i)} />
          <text x={14} className="legend-text" dominantBaseline="middle">
            {n}
          </text>
        </g>
      ))}
    </g>
  );
}

/** Energy-per-inference histograms of several runs on shared bins, as coloured step outlines. */
export function OverlayHistogram({ names, colors, hist }: { names: string[]; colors: string[]; hist: { edges: number[]; counts: number[][] } }) {
  const { edges, counts } = hist;
  const maxCount = Math.max(1, ...counts.flat());
  const lo = edges[0]!;
  const hi = edges[edges.length - 1]!;
  const x = (v: number) => PAD.left + ((v - lo) / (hi - lo)) * (W - PAD.left - PAD.right);
  const y = (c: number) => H - PAD.bottom - (c / maxCount) * (H - PAD.top - PAD.bottom);
  const step = (c: number[]) => {
    let d = `M${x(lo).toFixed(1)},${y(0).toFixed(1)}`;
    c.forEach((n, i) => (d += `L${x(edges[i]!).toFixed(1)},${y(n).toFixed(1)}L${x(edges[i + 1]!).toFixed(1)},${y(n).toFixed(1)}`));
    return `${d}L${x(hi).toFixed(1)},${y(0).toFixed(1)}`;
  };
  return (
    <svg
      className="profile-chart compare-chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label="Energy per inference of each run, overlaid"
      data-testid="overlay-histogram"
      data-series={counts.length}
    >
      {niceTicks(0, maxCount, 3)
        .filter((t) => Number.isInteger(t))
        .map((t) => (
          <g key={`y${t}`}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} className="grid" />
            <text x={PAD.left - 6} y={y(t)} className="tick" textAnchor="end" dominantBaseline="middle">
              {t}
            </text>
          </g>
        ))}
      <line x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} className="axis" />
      {niceTicks(lo, hi, 5).map((t) => (
        <text key={`x${t}`} x={x(t)} y={H - PAD.bottom + 14} className="tick" textAnchor="middle">
          {si(t, 'J')}
        </text>
      ))}
      <text x={(W + PAD.left) / 2} y={H - 6} className="axis-label" textAnchor="middle">
        measured energy per inference
      </text>
      {counts.map((c, i) => (
        <path
          key={i}
          d={step(c)}
          className="series-step"
          stroke={colors[i] ?? seriesColor(i)}
          data-testid="overlay-histogram-series"
          data-n={c.reduce((a, b) => a + b, 0)}
        />
      ))}
      <Legend names={names} colors={colors} />
    </svg>
  );
}

export type SweepAxis = 'energy' | 'latency' | 'macs';

const AXIS_TEXT: Record<SweepAxis, { label: string; unit: string }> = {
  energy: { label: 'measured energy per inference', unit: 'J' },
  latency: { label: 'mean latency per inference', unit: 's' },
  macs: { label: 'mean MACs per inference', unit: 'MAC' },
};

export interface SweepLine {
  model: string;
  points: Array<{ x: number; y: number; budget: string }>;
}

/** Accuracy against a cost, one line per model, with the budgets as dashed lines when they are on this axis. */
export function SweepChart({ lines, axis, budgets }: { lines: SweepLine[]; axis: SweepAxis; budgets: number[] }) {
  const pts = lines.flatMap((l) => l.points);
  if (pts.length === 0)
    return (
      <p className="muted" data-testid="sweep-empty">
        No point of this sweep has a measured value on this axis.
      </p>
    );
  const xs = [...pts.map((p) => p.x), ...budgets];
  let x0 = Math.min(0, ...xs);
  let x1 = Math.max(...xs) * 1.05;
  if (x1 <= x0) x1 = x0 + 1;
  const y0 = 0;
  const y1 = 1;
  const x = (v: number) => PAD.left + ((v - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - ((v - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const t = AXIS_TEXT[axis];
  return (
    <svg
      className="profile-chart compare-chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={`Accuracy against ${t.label}`}
      data-testid="sweep-chart"
      data-axis={axis}
      data-lines={lines.length}
    >
      {niceTicks(0, 1, 5).map((v) => (
        <g key={`y${v}`}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} className="grid" />
          <text x={PAD.left - 6} y={y(v)} className="tick" textAnchor="end" dominantBaseline="middle">
            {`${Math.round(v * 100)} %`}
          </text>
        </g>
      ))}
      <line x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} className="axis" />
      {niceTicks(x0, x1, 5).map((v) => (
        <text key={`x${v}`} x={x(v)} y={H - PAD.bottom + 14} className="tick" textAnchor="middle">
          {si(v, t.unit)}
        </text>
      ))}
      <text x={(W + PAD.left) / 2} y={H - 6} className="axis-label" textAnchor="middle">
        {`accuracy vs ${t.label}`}
      </text>
      {budgets.map((b) => (
        <line key={`b${b}`} x1={x(b)} x2={x(b)} y1={PAD.top} y2={H - PAD.bottom} className="budget-line" data-testid="sweep-budget-line" data-value={b} />
      ))}
      {lines.map((l, i) => (
        <g key={l.model} data-testid="sweep-line" data-model={l.model} data-points={l.points.length}>
          <path d={path({ x: l.points.map((p) => p.x), y: l.points.map((p) => p.y) }, x, y)} className="series" stroke={seriesColor(i)} />
          {l.points.map((p, j) => (
            <circle key={j} cx={x(p.x)} cy={y(p.y)} r={3.5} fill={seriesColor(i)} className="point">
              <title>{`${l.model} at ${p.budget}: ${(100 * p.y).toFixed(1)} % at ${si(p.x, t.unit)}`}</title>
            </circle>
          ))}
        </g>
      ))}
      <Legend names={lines.map((l) => l.model)} />
    </svg>
  );
}
