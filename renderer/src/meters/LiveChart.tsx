import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import { axes, BANDS, bandSeries, fitWidth } from '../common/chart';
import type { LiveWindow } from './liveWindow';

const HEIGHT = 260;

/**
 * The live trace. Batches arrive tens of times a second; drawing happens at most once per
 * animation frame and only when the window changed since the last frame.
 */
export function LiveChart({ window: live, unit }: { window: LiveWindow; unit: string }) {
  const plotRef = useRef<HTMLDivElement>(null);
  const pointsRef = useRef<HTMLSpanElement>(null);

  useEffect(() => {
    const el = plotRef.current!;
    const u = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: HEIGHT,
        scales: { x: { time: false } },
        series: bandSeries(unit),
        bands: BANDS,
        axes: axes(unit),
        legend: { show: false },
        cursor: { show: false },
      },
      [[], [], [], []],
      el,
    );
    let drawn = -1;
    let frame = 0;
    const draw = () => {
      frame = 0;
      if (live.version === drawn) return;
      drawn = live.version;
      const cols = live.columns();
      const latest = live.latestT() ?? 0;
      // Scroll: the newest data at the right edge, a fixed window wide.
      const max = Math.max(latest, live.windowS);
      u.batch(() => {
        u.setData(cols, false);
        u.setScale('x', { min: max - live.windowS, max });
      });
      if (pointsRef.current) pointsRef.current.textContent = String(cols[0].length);
    };
    const unsubscribe = live.subscribe(() => {
      if (!frame) frame = requestAnimationFrame(draw);
    });
    draw();
    const stopFit = fitWidth(u, el, HEIGHT);
    return () => {
      unsubscribe();
      if (frame) cancelAnimationFrame(frame);
      stopFit();
      u.destroy();
    };
  }, [live, unit]);

  return (
    <div className="chart">
      <div ref={plotRef} className="chart-plot" data-testid="live-chart" />
      <p className="chart-caption muted">
        Last {live.windowS} s · min/max band and mean per bucket · <span ref={pointsRef} data-testid="live-points">0</span> buckets on screen
      </p>
    </div>
  );
}
