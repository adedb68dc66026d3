import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import { axes, BANDS, bandSeries, fitWidth } from '../common/chart';
import { drawLogicLanes, LANE_H } from '../common/logicLanes';
import type { LiveWindow, LogicWindow } from './liveWindow';

const HEIGHT = 260;
/** Shortest and longest span the wheel zooms to (the window keeps 10 minutes). */
export const MIN_SPAN_S = 0.01;
export const MAX_SPAN_S = 600;

export interface LiveView {
  spanS: number;
  /** Time at the right edge; null follows the newest data. */
  endS: number | null;
}

/** Wheel zoom around time `atS`: the point under the cursor stays put. */
export function zoomView(v: LiveView, latestS: number, atS: number, factor: number): LiveView {
  const spanS = Math.min(MAX_SPAN_S, Math.max(MIN_SPAN_S, v.spanS * factor));
  if (v.endS === null) return { spanS, endS: null };
  const endS = atS + (v.endS - atS) * (spanS / v.spanS);
  return { spanS, endS: Math.min(endS, Math.max(latestS, spanS)) };
}

/** Drag pan by `dtS` seconds to the left (positive = earlier); never past the newest data. */
export function panView(v: LiveView, latestS: number, dtS: number): LiveView {
  const end = (v.endS ?? Math.max(latestS, v.spanS)) - dtS;
  return { spanS: v.spanS, endS: Math.min(Math.max(end, v.spanS * 0.1), Math.max(latestS, v.spanS)) };
}

/**
 * The live trace, with logic lanes below it when the meter has digital inputs. Batches arrive tens of
 * times a second; drawing happens at most once per animation frame and only when the data or the
 * view changed. While paused (or after a pan) the view stays put and new data is not drawn.
 */
export function LiveChart({
  window: live,
  logic,
  unit,
  log,
  paused,
  spanS,
  onDetach,
}: {
  window: LiveWindow;
  logic: LogicWindow | null;
  unit: string;
  log: boolean;
  paused: boolean;
  spanS: number;
  /** The user panned or zoomed away from the newest data: the panel shows itself paused. */
  onDetach: () => void;
}) {
  const plotRef = useRef<HTMLDivElement>(null);
  const lanesRef = useRef<HTMLCanvasElement>(null);
  const pointsRef = useRef<HTMLSpanElement>(null);
  const captionRef = useRef<HTMLSpanElement>(null);
  const view = useRef<LiveView>({ spanS, endS: null });
  const redraw = useRef<() => void>(() => {});
  const pausedRef = useRef(paused);
  const detachRef = useRef(onDetach);
  detachRef.current = onDetach;

  // Pause freezes the right edge where it is; resume follows the newest data again.
  useEffect(() => {
    pausedRef.current = paused;
    if (paused && view.current.endS === null) view.current = { ...view.current, endS: Math.max(live.latestT() ?? 0, view.current.spanS) };
    if (!paused) view.current = { ...view.current, endS: null };
    redraw.current();
  }, [paused, live]);

  useEffect(() => {
    view.current = { ...view.current, spanS };
    redraw.current();
  }, [spanS]);

  useEffect(() => {
    const el = plotRef.current!;
    const u = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: HEIGHT,
        scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
        series: bandSeries(unit),
        bands: BANDS,
        axes: axes(unit),
        legend: { show: false },
        cursor: { show: false },
      },
      [[], [], [], []],
      el,
    );
    let drawnKey = '';
    let frame = 0;
    const positive = (a: number[]): (number | null)[] => a.map((v) => (v > 0 ? v : null));
    const draw = () => {
      frame = 0;
      const v = view.current;
      const latest = live.latestT() ?? 0;
      const end = v.endS ?? Math.max(latest, v.spanS);
      const start = end - v.spanS;
      const key = `${pausedRef.current || v.endS !== null ? 'still' : live.version}:${logic?.version ?? 0}:${start}:${end}:${u.width}`;
      if (key === drawnKey) return;
      drawnKey = key;
      const [t, lo, hi, mean] = live.range(start, end, Math.max(200, u.width * 2));
      // A log axis has no place for zero or negative values: they are left out, not clamped.
      const cols = (log ? [t, positive(lo), positive(hi), positive(mean)] : [t, lo, hi, mean]) as uPlot.AlignedData;
      u.batch(() => {
        u.setData(cols, false);
        u.setScale('x', { min: start, max: end });
      });
      el.dataset.start = start.toFixed(4);
      el.dataset.end = end.toFixed(4);
      el.dataset.unit = unit;
      el.dataset.lastMean = mean.length ? String(mean[mean.length - 1]) : '';
      if (pointsRef.current) pointsRef.current.textContent = String(t.length);
      if (captionRef.current)
        captionRef.current.textContent = v.endS === null ? `Last ${fmtSpan(v.spanS)}` : `${fmtSpan(v.spanS)} to ${end.toFixed(2)} s (paused)`;
      if (logic) drawLogicLanes(u, lanesRef.current, logic.names, (bit, columns) => logic.lane(bit, start, end, columns));
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(draw);
    };
    redraw.current = schedule;
    const unsubscribe = live.subscribe(schedule);
    draw();
    const stopFit = fitWidth(u, el, HEIGHT);

    // Wheel zooms around the cursor; drag pans (and pauses the display, so the view stays put).
    const over = u.over;
    const timeAt = (clientX: number): number => {
      const r = over.getBoundingClientRect();
      return u.posToVal(clientX - r.left, 'x');
    };
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const factor = Math.exp(Math.sign(e.deltaY) * Math.min(1, Math.abs(e.deltaY) / 100) * 0.25);
      view.current = zoomView(view.current, live.latestT() ?? 0, timeAt(e.clientX), factor);
      schedule();
    };
    let dragX: number | null = null;
    const onDown = (e: MouseEvent) => {
      dragX = e.clientX;
    };
    const onMove = (e: MouseEvent) => {
      if (dragX === null) return;
      const dx = e.clientX - dragX;
      if (Math.abs(dx) < 2) return;
      dragX = e.clientX;
      const dtS = (dx / Math.max(1, over.clientWidth)) * view.current.spanS;
      view.current = panView(view.current, live.latestT() ?? 0, dtS);
      if (!pausedRef.current) detachRef.current();
      schedule();
    };
    const onUp = () => {
      dragX = null;
    };
    over.addEventListener('wheel', onWheel, { passive: false });
    over.addEventListener('mousedown', onDown);
    window.addEventListener('mousemove', onMove);
    window.addEventListener('mouseup', onUp);
    return () => {
      over.removeEventListener('wheel', onWheel);
      over.removeEventListener('mousedown', onDown);
      window.removeEventListener('mousemove', onMove);
      window.removeEventListener('mouseup', onUp);
      redraw.current = () => {};
      unsubscribe();
      if (frame) cancelAnimationFrame(frame);
      stopFit();
      u.destroy();
    };
  }, [live, logic, unit, log]);

  const lanes = logic ? Math.max(logic.names.length, 8) : 0;
  return (
    <div className="chart">
      <div ref={plotRef} className="chart-plot" data-testid="live-chart" />
      {logic ? <canvas ref={lanesRef} className="logic-lanes" height={lanes * LANE_H} data-testid="logic-lanes" /> : null}
      <p className="chart-caption muted">
        <span ref={captionRef} data-testid="live-span" /> · min/max band and mean per bucket ·{' '}
        <span ref={pointsRef} data-testid="live-points">
          0
        </span>{' '}
        buckets on screen · wheel zooms, drag pans
      </p>
    </div>
  );
}

function fmtSpan(s: number): string {
  return s >= 60 ? `${+(s / 60).toFixed(2)} min` : s >= 1 ? `${+s.toFixed(2)} s` : `${+(s * 1000).toFixed(1)} ms`;
}
