/**
 * Plots as files: an SVG plot (histograms, scatter, overlays, sweep curves) becomes a standalone
 * .svg, or a PNG rasterised through a canvas; a uPlot chart's canvas becomes a PNG. The page's
 * styles live in CSS classes with custom properties, which a standalone file does not have, so the
 * file carries its own stylesheet with literal colours (PLOT_CSS). Files are handed to the browser
 * as a download: browser mode saves them to the download folder, Electron shows its save dialog.
 */

/** The plot classes' look, with the page's CSS variables resolved to their light-theme values. */
export const PLOT_RULES: ReadonlyArray<readonly [string, Readonly<Record<string, string>>]> = [
  ['svg', { 'font-family': 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', 'font-size': '11px' }],
  ['.grid', { stroke: 'rgba(0, 0, 0, 0.07)' }],
  ['.axis', { stroke: '#94a3b8' }],
  ['.tick, .axis-label', { fill: '#475569' }],
  ['.axis-label', { 'font-size': '12px' }],
  ['.bar', { fill: '#3b82f6' }],
  ['.budget-line', { stroke: '#dc2626', 'stroke-width': '2', 'stroke-dasharray': '5 3' }],
  ['.budget-label', { fill: '#dc2626', 'font-weight': '600' }],
  ['.point', { 'fill-opacity': '0.75' }],
  ['.point.violates', { stroke: '#dc2626', 'stroke-width': '2' }],
  ['.series, .series-step', { fill: 'none', 'stroke-width': '1.5' }],
  ['.legend-text', { fill: '#0f172a' }],
  ['.zero-line', { stroke: '#0f172a', 'stroke-dasharray': '2 3' }],
];

/** PLOT_RULES as a stylesheet, for the .svg file. */
export const PLOT_CSS = PLOT_RULES.map(
  ([sel, decl]) =>
    `${sel} { ${Object.entries(decl)
      .map(([k, v]) => `${k}: ${v};`)
      .join(' ')} }`,
).join('\n');

const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** The width and height of an SVG's viewBox ("0 0 560 240" → 560 × 240), or null without one. */
export function viewBoxSize(markup: string): { width: number; height: number } | null {
  const m = /<svg\b[^>]*?\sviewBox="\s*[-\d.e]+[\s,]+[-\d.e]+[\s,]+([\d.e]+)[\s,]+([\d.e]+)\s*"/i.exec(markup);
  if (!m) return null;
  const width = Number(m[1]);
  const height = Number(m[2]);
  return width > 0 && height > 0 ? { width, height } : null;
}

/**
 * A standalone SVG document from the markup of an on-page <svg> (XMLSerializer in the page,
 * renderToStaticMarkup in tests): the SVG namespace, a pixel size from the viewBox, a white
 * background, the plot stylesheet and a title. HTML-only entities are turned into XML ones.
 */
export function svgFileText(markup: string, title?: string, options: { stylesheet?: boolean } = {}): string {
  const open = /<svg\b[^>]*>/i.exec(markup);
  if (!open) throw new Error('Not an SVG element: the plot has no <svg> to save.');
  const size = viewBoxSize(markup);
  let tag = open[0];
  if (size && !/\swidth=/.test(tag)) tag = tag.replace(/^<svg\b/i, `<svg width="${size.width}" height="${size.height}"`);
  if (!/\sxmlns=/.test(tag)) tag = tag.replace(/^<svg\b/i, '<svg xmlns="http://www.w3.org/2000/svg"');
  const background = size ? `<rect x="0" y="0" width="${size.width}" height="${size.height}" fill="#ffffff"/>` : '';
  const style = options.stylesheet === false ? '' : `<style>${escapeXml(PLOT_CSS)}</style>`;
  const head = `${title ? `<title>${escapeXml(title)}</title>` : ''}${style}${background}`;
  const body = markup.slice(open.index + open[0].length).replace(/&nbsp;/g, '&#160;');
  return `${XML_DECL}${markup.slice(0, open.index)}${tag}${head}${body}\n`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A file name of the plot's name and a time stamp, safe on every file system. */
export function plotFileName(base: string, ext: 'svg' | 'png' | 'csv' | 'json', now = new Date()): string {
  const safe = base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'plot';
  return `${safe}-${now.toISOString().slice(0, 19).replace(/[-:T]/g, '')}.${ext}`;
}

/** Hands a blob to the browser as a download (Electron: its save dialog). */
export function saveBlob(blob: Blob, fileName: string, doc: Document = document): void {
  const url = URL.createObjectURL(blob);
  const a = doc.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  doc.body.appendChild(a);
  a.click();
  a.remove();
  // The download has taken its copy once the click's task has run.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function saveText(text: string, fileName: string, type: string): void {
  saveBlob(new Blob([text], { type }), fileName);
}

/** The standalone SVG of a plot on the page. */
export function svgOf(svg: SVGSVGElement, title?: string): string {
  return svgFileText(new XMLSerializer().serializeToString(svg), title);
}

/**
 * A copy of an on-page SVG with PLOT_RULES written onto its elements as presentation attributes,
 * for drawing as an image: an SVG image falls under the page's CSP, which refuses a <style> element.
 */
export function svgForRaster(svg: SVGSVGElement, title?: string): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  for (const [sel, decl] of PLOT_RULES) {
    const els = [...(copy.matches(sel) ? [copy] : []), ...Array.from(copy.querySelectorAll(sel))];
    for (const el of els) for (const [k, v] of Object.entries(decl)) el.setAttribute(k, v);
  }
  return svgFileText(new XMLSerializer().serializeToString(copy), title, { stylesheet: false });
}

/** Rasterises standalone SVG text (from svgForRaster) to a PNG at `scale` × its pixel size (2: sharp on HiDPI screens). */
export async function svgToPng(svgText: string, scale = 2): Promise<Blob> {
  const size = viewBoxSize(svgText) ?? { width: 800, height: 400 };
  // A data: URL, not a blob: one: the page's CSP allows images from 'self' and data: only.
  const img = new Image();
  img.decoding = 'async';
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgText)}`;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(size.width * scale);
  canvas.height = Math.round(size.height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This browser cannot draw on a canvas, so the plot cannot be made a PNG; save it as SVG instead.');
  ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  return canvasToPng(canvas);
}

/** A canvas (a uPlot chart's, or one drawn from an SVG) as PNG bytes, on a white background. */
export function canvasToPng(canvas: HTMLCanvasElement): Promise<Blob> {
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height;
  const ctx = out.getContext('2d');
  if (!ctx) return Promise.reject(new Error('This browser cannot draw on a canvas, so the plot cannot be made a PNG.'));
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(canvas, 0, 0);
  return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('The canvas could not be encoded as PNG.'))), 'image/png'));
}

/** Saves the SVG plot inside `container` (the first <svg>) as .svg or .png. */
export async function savePlot(container: Element, base: string, format: 'svg' | 'png', title?: string): Promise<string> {
  const svg = container.querySelector('svg');
  if (!svg) throw new Error('There is no plot to save yet.');
  const name = plotFileName(base, format);
  if (format === 'svg') saveText(svgOf(svg, title), name, 'image/svg+xml');
  else saveBlob(await svgToPng(svgForRaster(svg, title)), name);
  return name;
}
