import { useCallback, useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import { useApi } from '../api/context';
import { axes, BANDS, bandSeries, COLORS, fitWidth } from '../common/chart';
import { ErrorMessage } from '../common/ErrorMessage';
import { duration, si } from '../common/format';
import { canvasToPng, plotFileName, saveBlob } from '../common/plotExport';
import type { Channel, LogicTrace, Trace } from '../common/types';
import { bucketLane, drawLogicLanes, LANE_H } from '../common/logicLanes';
import { lineWidth, panBy, pointsForWidth, samplePeriodS, traceColumns, zoomAbout, zoomRange } from './traceData';
import { drawWorkbench, isTypingTarget } from './traceMarks';
import { useWorkbench } from './workbench';

const HEIGHT = 320;

const linear = uPlot.paths.linear!();
// align 1: a sample's value holds until the next sample, as the meter reported it.
const stepped = uPlot.paths.stepped!({ align: 1 });

interface Range {
  fromS: number;
  toS: number;
}

/**
 * Intervals drawn under the trace, in seconds of trace time: `windows` filled in their colour
 * (e.g. each inference of a profiling run), `bands` as labelled light spans (e.g. its phases).
 */
export interface TraceOverlay {
  windows: ReadonlyArray<{ startS: number; endS: number; color: string }>;
  bands?: ReadonlyArray<{ startS: number; endS: number; label: string }>;
}

/**
 * A stored trace at pixel resolution. Drag selects a range and re-queries the core for just that
 * range (so zooming in reveals real detail, not stretched buckets); double-click goes back to the
 * whole session.
 */
export function TraceChart({ sessionId, durationS, channel, overlay }: { sessionId: number; durationS: number; channel: Channel; overlay?: TraceOverlay }) {
  const api = useApi();
  const plotRef = useRef<HTMLDivElement>(null);
  const uRef = useRef<uPlot | null>(null);
  const [range, setRange] = useState<Range | null>(null);
  const [trace, setTrace] = useState<Trace | null>(null);
  // D0–D7 of the same range when the session has digital inputs (drawn as lanes under the plot).
  const [logic, setLogic] = useState<LogicTrace | null>(null);
  const logicRef = useRef<LogicTrace | null>(null);
  logicRef.current = logic;
  const lanesRef = useRef<HTMLCanvasElement>(null);
  /** Where uPlot's legend goes: below the lanes, so the lanes sit right under the time axis. */
  const legendRef = useRef<HTMLDivElement>(null);
  /** False once the session said it has no digital inputs: no more asking. */
  const hasLogicRef = useRef(true);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [saveNote, setSaveNote] = useState<string | null>(null);
  const requestSeq = useRef(0);
  const gapsRef = useRef<Trace['gaps']>([]);
  const steppedRef = useRef(false);
  /** About a bucket per pixel column: the band is drawn as one rectangle per bucket (see drawDenseBand). */
  const denseRef = useRef(false);
  const durationRef = useRef(durationS);
  durationRef.current = durationS;
  const overlayRef = useRef(overlay);
  overlayRef.current = overlay;
  const unit = channel === 'power' ? 'W' : channel === 'current' ? 'A' : 'V';
  // The session page's selection and markers (absent when the trace is drawn on its own).
  const wb = useWorkbench();
  const wbRef = useRef(wb);
  wbRef.current = wb;
  const [dragMode, setDragMode] = useState<'zoom' | 'select' | 'pan'>('zoom');
  const dragModeRef = useRef(dragMode);
  dragModeRef.current = dragMode;
  // The ref changes with the click, not with the next render: a drag right after the click already
  // does what the button says.
  const chooseDragMode = (m: 'zoom' | 'select' | 'pan') => {
    dragModeRef.current = m;
    const drag = uRef.current?.cursor.drag;
    if (drag) drag.x = m !== 'pan';
    setDragMode(m);
  };
  /** Shift held when the drag began. */
  const shiftRef = useRef(false);
  /** A view the wheel or a pan has shown but whose data has not arrived yet (kept over older answers). */
  const localViewRef = useRef<Range | null>(null);

  const onZoom = useCallback((a: number, b: number) => {
    const r = zoomRange(a, b, durationRef.current);
    if (r) {
      localViewRef.current = null;
      setRange(r);
    }
  }, []);

  // Create the plot once per session/channel.
  useEffect(() => {
    const el = plotRef.current!;
    const u = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: HEIGHT,
        scales: { x: { time: false } },
        // Samples (deepest zoom) are drawn as steps, buckets as lines; decided per drawn trace.
        series: bandSeries(unit).map((s, i) =>
          i === 0
            ? s
            : {
                ...s,
                paths: (p: uPlot, si: number, i0: number, i1: number) => {
                  p.series[si]!.width = lineWidth(s.width ?? 1, i1 - i0 + 1, p.bbox.width, uPlot.pxRatio || 1);
                  return (steppedRef.current ? stepped : linear)(p, si, i0, i1);
                },
              },
        ),
        // Its own copy: delBand/addBand below change the array, which uPlot keeps as it is given.
        bands: BANDS.map((b) => ({ ...b })),
        // Deep-zoom times carry many digits (1.0250431 s): wider spacing keeps the labels apart.
        axes: axes(unit).map((a, i) => (i === 0 ? { ...a, space: 110 } : a)),
        // In "Drag pans" mode a drag moves the view instead of drawing uPlot's selection box.
        cursor: { drag: { x: dragModeRef.current !== 'pan', y: false, setScale: false } },
        legend: { mount: (_p, table) => legendRef.current?.appendChild(table) },
        hooks: {
          setSelect: [
            (p) => {
              if (p.select.width < 3) return;
              const a = p.posToVal(p.select.left, 'x');
              const b = p.posToVal(p.select.left + p.select.width, 'x');
              p.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              const w = wbRef.current;
              // Shift swaps what a drag does, in either mode.
              if (w && (dragModeRef.current === 'select') !== shiftRef.current) w.select(zoomRange(a, b, durationRef.current));
              else onZoom(a, b);
            },
          ],
          // Shade lost-data intervals so a gap is visible, not just a break in the line.
          drawClear: [
            (p) => {
              if (denseRef.current) drawDenseBand(p);
            },
            (p) => {
              const ctx = p.ctx;
              ctx.save();
              ctx.fillStyle = COLORS.gap;
              for (const g of gapsRef.current) {
                const x0 = p.valToPos(g.startS, 'x', true);
                const x1 = p.valToPos(g.endS, 'x', true);
                const left = Math.max(p.bbox.left, Math.min(x0, x1));
                const right = Math.min(p.bbox.left + p.bbox.width, Math.max(x0, x1, x0 + 1));
                if (right > left) ctx.fillRect(left, p.bbox.top, right - left, p.bbox.height);
              }
              ctx.restore();
            },
            (p) => drawOverlay(p, overlayRef.current),
            (p) => drawWorkbench(p, wbRef.current),
          ],
          // A mark on the element once data is on the canvas: tests and the frame-time benchmark
          // wait for it instead of guessing how long a fetch and a draw take.
          draw: [
            (p) => {
              if ((p.data[0]?.length ?? 0) > 0) el.dataset.drawn = String(Number(el.dataset.drawn ?? 0) + 1);
            },
            (p) => drawLanes(p, lanesRef.current, logicRef.current),
          ],
        },
      },
      [[], [], [], []],
      el,
    );
    uRef.current = u;
    const reset = () => {
      localViewRef.current = null;
      setRange(null);
    };
    u.over.addEventListener('dblclick', reset);
    const down = (e: MouseEvent) => (shiftRef.current = e.shiftKey);
    u.over.addEventListener('mousedown', down);
    // m over the trace: a marker at the time under the cursor, or over the selection.
    let hovering = false;
    const enter = () => (hovering = true);
    const leave = () => (hovering = false);
    const key = (e: KeyboardEvent) => {
      const w = wbRef.current;
      if (!w || !hovering || e.key !== 'm' || e.ctrlKey || e.metaKey || e.altKey || isTypingTarget(e.target)) return;
      const left = u.cursor.left ?? -1;
      if (w.selection) w.requestMarker(w.selection.fromS, w.selection.toS);
      else if (left >= 0) w.requestMarker(Math.max(0, u.posToVal(left, 'x')), null);
      else return;
      e.preventDefault();
    };
    u.over.addEventListener('mouseenter', enter);
    u.over.addEventListener('mouseleave', leave);
    window.addEventListener('keydown', key);
    // Wheel zooms about the cursor; shift-wheel (or a sideways wheel) pans; in "Drag pans" mode a
    // drag moves the view. The plot moves at once with the data it has, and the new range is
    // fetched once the wheel or the drag has rested for a moment.
    let commit: ReturnType<typeof setTimeout> | undefined;
    const currentView = (): Range => localViewRef.current ?? { fromS: u.scales.x?.min ?? 0, toS: u.scales.x?.max ?? durationRef.current };
    const show = (v: Range) => {
      localViewRef.current = v;
      u.setScale('x', { min: v.fromS, max: v.toS });
      clearTimeout(commit);
      commit = setTimeout(() => setRange(v.fromS <= 0 && v.toS >= durationRef.current ? null : v), 150);
    };
    const onWheel = (e: WheelEvent) => {
      const d = durationRef.current;
      if (!(d > 0) || (u.data[0]?.length ?? 0) === 0) return;
      e.preventDefault();
      const v = currentView();
      if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        const delta = Math.abs(e.deltaX) > Math.abs(e.deltaY) ? e.deltaX : e.deltaY;
        show(panBy(v, (Math.sign(delta) * Math.min(1, Math.abs(delta) / 100) * (v.toS - v.fromS)) / 4, d));
      } else {
        const r = u.over.getBoundingClientRect();
        const factor = Math.exp(Math.sign(e.deltaY) * Math.min(1, Math.abs(e.deltaY) / 100) * 0.25);
        show(zoomAbout(v, u.posToVal(e.clientX - r.left, 'x'), factor, d));
      }
    };
    let panFrom: { x: number; view: Range } | null = null;
    const panDown = (e: MouseEvent) => {
      if (dragModeRef.current === 'pan' && e.button === 0 && durationRef.current > 0) panFrom = { x: e.clientX, view: currentView() };
    };
    const panMove = (e: MouseEvent) => {
      if (!panFrom) return;
      const dtS = (-(e.clientX - panFrom.x) / Math.max(1, u.over.clientWidth)) * (panFrom.view.toS - panFrom.view.fromS);
      show(panBy(panFrom.view, dtS, durationRef.current));
    };
    const panUp = () => (panFrom = null);
    u.over.addEventListener('wheel', onWheel, { passive: false });
    u.over.addEventListener('mousedown', panDown);
    window.addEventListener('mousemove', panMove);
    window.addEventListener('mouseup', panUp);
    const stopFit = fitWidth(u, el, HEIGHT);
    return () => {
      clearTimeout(commit);
      u.over.removeEventListener('wheel', onWheel);
      u.over.removeEventListener('mousedown', panDown);
      window.removeEventListener('mousemove', panMove);
      window.removeEventListener('mouseup', panUp);
      u.over.removeEventListener('dblclick', reset);
      u.over.removeEventListener('mousedown', down);
      u.over.removeEventListener('mouseenter', enter);
      u.over.removeEventListener('mouseleave', leave);
      window.removeEventListener('keydown', key);
      stopFit();
      u.destroy();
      uRef.current = null;
    };
  }, [sessionId, channel, unit, onZoom]);

  // A new session has not yet said whether it has digital inputs.
  useEffect(() => {
    hasLogicRef.current = true;
    setLogic(null);
  }, [sessionId]);

  // Fetch the visible range at the plot's pixel width.
  useEffect(() => {
    const u = uRef.current;
    const width = u ? u.bbox.width / (window.devicePixelRatio || 1) : (plotRef.current?.clientWidth ?? 800);
    const seq = ++requestSeq.current;
    setLoading(true);
    setError(null);
    const points = pointsForWidth(width || 800);
    api
      .call('sessions.trace', {
        id: sessionId,
        channel,
        points,
        ...(range ? { fromS: range.fromS, toS: range.toS } : {}),
      })
      .then(
        (t) => {
          if (seq !== requestSeq.current) return; // a newer zoom superseded this answer
          setTrace(t);
        },
        (e: unknown) => {
          if (seq === requestSeq.current) setError(e);
        },
      )
      .finally(() => {
        if (seq === requestSeq.current) setLoading(false);
      });
    // After the trace: the server answers in order, and the trace is what the view waits for.
    if (hasLogicRef.current) {
      api.call('sessions.logic', { id: sessionId, points, ...(range ? { fromS: range.fromS, toS: range.toS } : {}) }).then(
        (l) => {
          if (l.names.length === 0) hasLogicRef.current = false;
          if (seq === requestSeq.current) setLogic(l.names.length > 0 ? l : null);
        },
        // The lanes are an addition to the trace: without them the trace still stands.
        () => undefined,
      );
    }
  }, [api, sessionId, channel, range]);

  // A new overlay is drawn without refetching. Not before the first data: uPlot has no axes to
  // draw then (it throws), and the data's own draw will include the overlay.
  useEffect(() => {
    const u = uRef.current;
    if (u && (u.data[0]?.length ?? 0) > 0) u.redraw(false);
  }, [overlay]);

  // Lanes that arrive after the trace are drawn against the plot as it is.
  useEffect(() => {
    const u = uRef.current;
    if (u && (u.data[0]?.length ?? 0) > 0) drawLanes(u, lanesRef.current, logic);
  }, [logic]);

  // The selection and the markers are drawn over the data already there.
  useEffect(() => {
    const u = uRef.current;
    if (u && (u.data[0]?.length ?? 0) > 0) u.redraw(false);
  }, [wb?.selection, wb?.markers]);

  // Zoom requested from outside (the selection's "Zoom to it", a marker in the list).
  const zoomRequest = wb?.zoomRequest;
  useEffect(() => {
    if (!zoomRequest) return;
    localViewRef.current = null;
    setRange(zoomRange(zoomRequest.fromS, zoomRequest.toS, durationRef.current));
  }, [zoomRequest]);

  // Draw what arrived.
  useEffect(() => {
    const u = uRef.current;
    if (!u || !trace) return;
    gapsRef.current = trace.gaps;
    steppedRef.current = samplePeriodS(trace) !== null;
    // A dense band as uPlot draws it (the max line's path filled, clipped by the min line's) costs
    // 12-16 ms per frame on a zigzag in Chromium's software canvas; a rectangle per bucket, ~1 ms.
    const dense = !steppedRef.current && trace.tS.length * 2 > u.bbox.width / (uPlot.pxRatio || 1);
    if (dense !== denseRef.current) {
      denseRef.current = dense;
      if (dense) u.delBand();
      else for (const b of BANDS) u.addBand({ ...b });
    }
    // A view the wheel or a pan has moved to since this range was asked for stays on screen.
    const local = localViewRef.current;
    const stale = local !== null && (Math.abs(local.fromS - trace.fromS) > 1e-9 || Math.abs(local.toS - trace.toS) > 1e-9);
    if (!stale) localViewRef.current = null;
    u.batch(() => {
      u.setData(traceColumns(trace), false);
      const to = trace.toS > trace.fromS ? trace.toS : trace.fromS + 1;
      u.setScale('x', stale ? { min: local.fromS, max: local.toS } : { min: trace.fromS, max: to });
    });
  }, [trace]);

  // The canvas as drawn (data, gaps, overlay, selection and markers), axes included.
  const savePng = async () => {
    const u = uRef.current;
    if (!u) return;
    try {
      const name = plotFileName(`session-${sessionId}-${channel}`, 'png');
      saveBlob(await canvasToPng(u.ctx.canvas), name);
      setSaveNote(`Saved ${name}.`);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section className="card trace" data-testid="trace">
      <div className="card-head">
        <h2>Trace ({channel})</h2>
        <span className="muted" data-testid="trace-range" data-from={trace?.fromS ?? ''} data-to={trace?.toS ?? ''} data-buckets={trace?.tS.length ?? ''}>
          {trace ? `${trace.fromS.toFixed(3)} s – ${trace.toS.toFixed(3)} s · ${resolution(trace)}` : loading ? 'Loading…' : ''}
          {range ? ' · zoomed' : ''}
        </span>
        {wb ? (
          <span className="drag-mode" role="group" aria-label="Dragging on the trace">
            <button
              type="button"
              className={`small${dragMode === 'zoom' ? ' active' : ''}`}
              aria-pressed={dragMode === 'zoom'}
              onClick={() => chooseDragMode('zoom')}
              data-testid="drag-zoom"
            >
              Drag zooms
            </button>
            <button
              type="button"
              className={`small${dragMode === 'select' ? ' active' : ''}`}
              aria-pressed={dragMode === 'select'}
              onClick={() => chooseDragMode('select')}
              data-testid="drag-select"
            >
              Drag selects
            </button>
            <button
              type="button"
              className={`small${dragMode === 'pan' ? ' active' : ''}`}
              aria-pressed={dragMode === 'pan'}
              onClick={() => chooseDragMode('pan')}
              data-testid="drag-pan"
            >
              Drag pans
            </button>
          </span>
        ) : null}
        {range ? (
          <button
            type="button"
            className="small"
            onClick={() => {
              localViewRef.current = null;
              setRange(null);
            }}
            data-testid="trace-reset"
          >
            Show all
          </button>
        ) : null}
        <button
          type="button"
          className="small"
          onClick={() => void savePng()}
          disabled={!trace}
          data-testid="trace-save-png"
          title="Save the trace as drawn as a PNG image"
        >
          Save PNG
        </button>
      </div>
      <div ref={plotRef} className="chart-plot" data-testid="trace-chart" data-loading={loading ? 'true' : 'false'} />
      {logic ? (
        <canvas
          ref={lanesRef}
          className="logic-lanes"
          height={Math.max(logic.names.length, 8) * LANE_H}
          data-testid="trace-logic-lanes"
          data-from={logic.fromS}
          data-to={logic.toS}
        />
      ) : null}
      <div ref={legendRef} className="trace-legend" />
      <p className="chart-caption muted">
        {wb
          ? dragMode === 'select'
            ? 'Drag across the plot to select a range and read its statistics (shift-drag zooms); press m to mark it; the wheel zooms, shift-wheel pans; double-click to see the whole '
            : dragMode === 'pan'
              ? 'Drag the plot to pan; the wheel zooms about the cursor, shift-wheel pans; press m to mark the time under the cursor; double-click to see the whole '
              : 'Drag across the plot to zoom (shift-drag selects); the wheel zooms about the cursor, shift-wheel pans; press m to mark the time under the cursor; double-click to see the whole '
          : 'Drag across the plot to zoom; the wheel zooms, shift-wheel pans; double-click to see the whole '}
        {duration(durationS)}.{trace && trace.gaps.length > 0 ? ` ${trace.gaps.length} gap${trace.gaps.length === 1 ? '' : 's'} shaded red.` : ''}
      </p>
      {saveNote ? (
        <p className="muted" data-testid="trace-save-note">
          {saveNote}
        </p>
      ) : null}
      <ErrorMessage error={error} testId="trace-error" />
      {wb?.belowTrace}
    </section>
  );
}

/**
 * The min–max band of a bucketed trace as rectangles: one per pixel column, spanning every bucket that
 * starts in it (buckets narrower than a pixel share one; drawn twice, the translucent fill would darken).
 */
function drawDenseBand(u: uPlot): void {
  const [t, lo, hi] = u.data as unknown as [number[], Array<number | null>, Array<number | null>];
  if (!t || t.length === 0) return;
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.fillStyle = COLORS.band;
  let col = NaN;
  let right = NaN;
  let yTop = Infinity;
  let yBottom = -Infinity;
  const flush = () => {
    if (Number.isFinite(col) && yBottom >= yTop) ctx.fillRect(col, yTop, Math.max(1, right - col), Math.max(1, yBottom - yTop));
  };
  for (let i = 0; i < t.length; i++) {
    const a = lo[i];
    const b = hi[i];
    if (a == null || b == null) continue;
    const x0 = Math.floor(u.valToPos(t[i]!, 'x', true));
    const x1 = i + 1 < t.length ? Math.floor(u.valToPos(t[i + 1]!, 'x', true)) : x0 + 1;
    if (x0 !== col) {
      flush();
      col = x0;
      yTop = Infinity;
      yBottom = -Infinity;
    }
    right = Math.max(x0 + 1, x1);
    yTop = Math.min(yTop, Math.round(u.valToPos(b, 'y', true)));
    yBottom = Math.max(yBottom, Math.round(u.valToPos(a, 'y', true)));
  }
  flush();
  ctx.restore();
}

/** The session's digital inputs under the plot, for the x range the plot shows. */
function drawLanes(u: uPlot, canvas: HTMLCanvasElement | null, logic: LogicTrace | null): void {
  const min = u.scales.x?.min;
  const max = u.scales.x?.max;
  if (!logic || min == null || max == null) return;
  drawLogicLanes(u, canvas, logic.names, (bit, columns) => bucketLane(logic, bit, min, max, columns));
}

/** Bands as light spans with their label at the top, windows in their colour; at least a pixel wide so short ones stay visible. */
function drawOverlay(p: uPlot, overlay: TraceOverlay | undefined): void {
  if (!overlay) return;
  const ctx = p.ctx;
  const { left: l, top, width, height } = p.bbox;
  const span = (a: number, b: number): [number, number] | null => {
    const x0 = Math.max(l, p.valToPos(a, 'x', true));
    const x1 = Math.min(l + width, Math.max(p.valToPos(b, 'x', true), p.valToPos(a, 'x', true) + 1));
    return x1 > x0 ? [x0, x1] : null;
  };
  ctx.save();
  ctx.font = `${Math.round(11 * (window.devicePixelRatio || 1))}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  for (const b of overlay.bands ?? []) {
    const s = span(b.startS, b.endS);
    if (!s) continue;
    ctx.fillStyle = 'rgba(100, 116, 139, 0.08)';
    ctx.fillRect(s[0], top, s[1] - s[0], height);
    ctx.fillStyle = 'rgba(71, 85, 105, 0.9)';
    if (s[1] - s[0] > ctx.measureText(b.label).width + 6) ctx.fillText(b.label, s[0] + 3, top + 3);
  }
  ctx.globalAlpha = 0.28;
  for (const w of overlay.windows) {
    const s = span(w.startS, w.endS);
    if (!s) continue;
    ctx.fillStyle = w.color;
    ctx.fillRect(s[0], top, s[1] - s[0], height);
  }
  ctx.restore();
}

/** What one point of the drawn trace is: a bucket of samples, or (deepest zoom) one sample. */
function resolution(trace: Trace): string {
  const periodS = samplePeriodS(trace);
  if (periodS !== null) {
    return `${trace.tS.length} sample${trace.tS.length === 1 ? '' : 's'}, ${si(periodS, 's')} apart (steps)`;
  }
  return `${trace.tS.length} buckets of ${si(trace.bucketS, 's')}`;
}
