// Plots as standalone SVG files: a plot's markup (here the profile histogram, as React renders it)
// becomes an SVG document with the namespace, a pixel size, a white background and its own
// stylesheet, keeping the plot's data; file names are safe everywhere.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { PLOT_CSS, plotFileName, svgFileText, viewBoxSize } from '../../../renderer/src/common/plotExport';
import { EnergyHistogram } from '../../../renderer/src/profile/EnergyHistogram';

describe('svgFileText', () => {
  const markup = renderToStaticMarkup(
    <EnergyHistogram values={[1e-3, 1.2e-3, 1.3e-3, 2e-3, 2.1e-3]} per="inference" budgets={[{ name: 'cap & limit', valueJ: 1.5e-3 }]} />,
  );

  it('makes a standalone SVG document that keeps the bins, the budget line and the labels', () => {
    const text = svgFileText(markup, 'Energy <per> inference');
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(text).toMatch(/<svg[^>]* width="560" height="240"/);
    expect(text).toContain('<title>Energy &lt;per&gt; inference</title>');
    expect(text).toContain(`<style>${PLOT_CSS.replace(/>/g, '&gt;')}</style>`);
    expect(text).toContain('<rect x="0" y="0" width="560" height="240" fill="#ffffff"/>');
    const counts = [...text.matchAll(/data-testid="histogram-bin" data-count="(\d+)"/g)].map((m) => Number(m[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(text).toContain('data-value="0.0015"');
    expect(text).toContain('cap &amp; limit');
    expect(text.trimEnd().endsWith('</svg>')).toBe(true);
    // The stylesheet has literal colours: a file has no page to resolve var(--…) against.
    expect(PLOT_CSS).not.toContain('var(');
  });

  it('keeps an existing namespace and size, and turns the HTML-only &nbsp; into an XML reference', () => {
    const text = svgFileText('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="5" viewBox="0 0 100 50"><text>a&nbsp;b</text></svg>');
    expect(text.match(/xmlns=/g)).toHaveLength(1);
    expect(text).toContain('width="10" height="5"');
    expect(text).toContain('a&#160;b');
  });

  it('refuses markup that is not an SVG', () => {
    expect(() => svgFileText('<div></div>')).toThrow(/no <svg> to save/);
  });

  it('reads the viewBox size', () => {
    expect(viewBoxSize('<svg class="x" viewBox="0 0 720 280">')).toEqual({ width: 720, height: 280 });
    expect(viewBoxSize('<svg>')).toBeNull();
  });
});

describe('plotFileName', () => {
  it('keeps letters, digits, dots, dashes and underscores, and adds a time stamp', () => {
    expect(plotFileName('compare 3,7 / power', 'svg', new Date('2026-03-04T05:06:07Z'))).toBe('compare-3-7-power-20260304050607.svg');
    expect(plotFileName('///', 'png', new Date('2026-03-04T05:06:07Z'))).toBe('plot-20260304050607.png');
  });
});
