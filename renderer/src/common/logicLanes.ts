import type uPlot from 'uplot';

/** Height of one logic lane in CSS pixels. */
export const LANE_H = 14;

/** A lane's state per pixel column: 1 high, 0 low, 2 toggled within the column, -1 no data. */
export type LaneStates = (bit: number, columns: number) => Int8Array;

/**
 * Digital lines (D0–D7) as lanes under a plot, aligned with its x axis: a line high or low, a filled
 * block where the line toggled within a pixel column. Used by the live and the stored trace.
 */
export function drawLogicLanes(u: uPlot, canvas: HTMLCanvasElement | null, names: readonly string[], states: LaneStates): void {
  if (!canvas) return;
  const dpr = globalThis.devicePixelRatio || 1;
  const left = u.bbox.left / dpr;
  const width = Math.max(1, Math.floor(u.bbox.width / dpr));
  canvas.width = u.width;
  canvas.style.width = `${u.width}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const n = Math.max(names.length, 8);
  ctx.font = '10px sans-serif';
  for (let bit = 0; bit < n; bit++) {
    const y0 = bit * LANE_H;
    ctx.fillStyle = '#475569';
    ctx.fillText(names[bit] ?? `D${bit}`, Math.max(0, left - 24), y0 + 10);
    const lane = states(bit, width);
    ctx.strokeStyle = '#0f766e';
    ctx.fillStyle = 'rgba(15, 118, 110, 0.35)';
    ctx.beginPath();
    for (let x = 0; x < width; x++) {
      const s = lane[x]!;
      if (s === -1) continue;
      if (s === 2) ctx.fillRect(left + x, y0 + 2, 1, LANE_H - 4);
      else {
        const y = s === 1 ? y0 + 2.5 : y0 + LANE_H - 2.5;
        ctx.moveTo(left + x, y);
        ctx.lineTo(left + x + 1, y);
      }
    }
    ctx.stroke();
  }
}

/** Per-bucket high/low masks (uniform buckets from fromS) as a lane's states over [startS, endS] in `columns` columns. */
export function bucketLane(
  logic: { fromS: number; bucketS: number; high: readonly number[]; low: readonly number[]; covered: readonly boolean[] },
  bit: number,
  startS: number,
  endS: number,
  columns: number,
): Int8Array {
  const out = new Int8Array(columns).fill(-1);
  const w = (endS - startS) / columns;
  if (!(w > 0) || !(logic.bucketS > 0)) return out;
  const mask = 1 << bit;
  const n = logic.high.length;
  for (let x = 0; x < columns; x++) {
    // Every bucket that overlaps the column: toggled if they disagree.
    const a = Math.max(0, Math.floor((startS + x * w - logic.fromS) / logic.bucketS));
    const b = Math.min(n - 1, Math.ceil((startS + (x + 1) * w - logic.fromS) / logic.bucketS) - 1);
    let s = -1;
    for (let i = a; i <= b; i++) {
      if (!logic.covered[i]) continue;
      const v = logic.high[i]! & mask ? 1 : logic.low[i]! & mask ? 0 : 2;
      s = s === -1 || s === v ? v : 2;
    }
    out[x] = s;
  }
  return out;
}
