import type uPlot from 'uplot';
import type { Workbench } from './workbench';

/**
 * Draws the selection (a blue band with edges) and the user's note markers over a trace: a range
 * as a light labelled span, a single time as a line with its label, in the same style as a
 * profiling run's phase bands so every mark on a trace reads alike.
 */
export function drawWorkbench(p: uPlot, wb: Workbench | null): void {
  if (!wb) return;
  const ctx = p.ctx;
  const { left: l, top, width, height } = p.bbox;
  const dpr = window.devicePixelRatio || 1;
  const x = (v: number) => p.valToPos(v, 'x', true);
  const inside = (px: number) => px >= l && px <= l + width;
  ctx.save();
  ctx.font = `${Math.round(11 * dpr)}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  let row = 0;
  for (const m of wb.markers) {
    if (m.kind !== 'note') continue; // phases arrive shifted into trace time through the overlay
    const x0 = x(m.tS);
    const labelY = top + (16 + 14 * (row++ % 3)) * dpr;
    if (m.endS !== null) {
      const a = Math.max(l, x0);
      const b = Math.min(l + width, Math.max(x(m.endS), x0 + 1));
      if (b <= a) continue;
      ctx.fillStyle = 'rgba(124, 58, 237, 0.10)';
      ctx.fillRect(a, top, b - a, height);
      ctx.fillStyle = 'rgba(91, 33, 182, 0.95)';
      if (b - a > ctx.measureText(m.label).width + 6) ctx.fillText(m.label, a + 3, labelY);
    } else if (inside(x0)) {
      ctx.strokeStyle = 'rgba(124, 58, 237, 0.9)';
      ctx.lineWidth = dpr;
      ctx.beginPath();
      ctx.moveTo(Math.round(x0) + 0.5, top);
      ctx.lineTo(Math.round(x0) + 0.5, top + height);
      ctx.stroke();
      ctx.fillStyle = 'rgba(91, 33, 182, 0.95)';
      ctx.fillText(m.label, Math.min(x0 + 3, l + width - ctx.measureText(m.label).width - 2), labelY);
    }
  }
  const sel = wb.selection;
  if (sel) {
    const a = Math.max(l, x(sel.fromS));
    const b = Math.min(l + width, Math.max(x(sel.toS), x(sel.fromS) + 1));
    if (b > a) {
      ctx.fillStyle = 'rgba(14, 165, 233, 0.16)';
      ctx.fillRect(a, top, b - a, height);
      ctx.strokeStyle = 'rgba(2, 132, 199, 0.9)';
      ctx.lineWidth = dpr;
      for (const edge of [x(sel.fromS), x(sel.toS)]) {
        if (!inside(edge)) continue;
        ctx.beginPath();
        ctx.moveTo(Math.round(edge) + 0.5, top);
        ctx.lineTo(Math.round(edge) + 0.5, top + height);
        ctx.stroke();
      }
    }
  }
  ctx.restore();
}

/** A key press meant for a text field, not for the trace. */
export function isTypingTarget(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el || typeof el.tagName !== 'string') return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}
