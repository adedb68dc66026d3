import type uPlot from 'uplot';
import { si } from './format';

/**
 * Shared uPlot setup for min/max/mean traces: a light band between min and max (every spike
 * stays visible however far the data is decimated) and a solid mean line.
 */
export const COLORS = {
  band: 'rgba(37, 99, 235, 0.18)',
  edge: 'rgba(37, 99, 235, 0.45)',
  mean: '#1d4ed8',
  gap: 'rgba(220, 38, 38, 0.12)',
  grid: 'rgba(0, 0, 0, 0.07)',
  axis: '#475569',
};

export type Columns = [number[], Array<number | null>, Array<number | null>, Array<number | null>];

export function bandSeries(unit: string): uPlot.Series[] {
  const fmt = (_u: uPlot, v: number | null) => (v === null ? '—' : si(v, unit));
  return [
    { label: 't', value: (_u, v) => (v === null ? '—' : `${v.toFixed(4)} s`) },
    { label: 'min', stroke: COLORS.edge, width: 1, value: fmt, points: { show: false } },
    { label: 'max', stroke: COLORS.edge, width: 1, value: fmt, points: { show: false } },
    { label: 'mean', stroke: COLORS.mean, width: 1.5, value: fmt, points: { show: false } },
  ];
}

export const BANDS: uPlot.Band[] = [{ series: [2, 1], fill: COLORS.band }];

export function axes(unit: string): uPlot.Axis[] {
  return [
    {
      stroke: COLORS.axis,
      grid: { stroke: COLORS.grid },
      ticks: { stroke: COLORS.grid },
      values: (_u, splits) => splits.map((v) => `${+v.toFixed(6)} s`),
    },
    {
      stroke: COLORS.axis,
      grid: { stroke: COLORS.grid },
      ticks: { stroke: COLORS.grid },
      size: 70,
      values: (_u, splits) => splits.map((v) => si(v, unit)),
    },
  ];
}

/** Keeps a plot as wide as its container. */
export function fitWidth(u: uPlot, el: HTMLElement, height: number): () => void {
  const ro = new ResizeObserver(() => {
    const width = Math.max(200, Math.floor(el.clientWidth));
    if (width !== u.width) u.setSize({ width, height });
  });
  ro.observe(el);
  return () => ro.disconnect();
}
