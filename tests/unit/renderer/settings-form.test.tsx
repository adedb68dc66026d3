// The generic settings form renders any driver's descriptors; checked as static markup in Node.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { SettingsForm } from '../../../renderer/src/meters/SettingsForm';
import { initialValues, type Setting } from '../../../renderer/src/meters/settings';

const settings: Setting[] = [
  { key: 'rateHz', label: 'Sample rate', type: 'number', default: 10_000, unit: 'S/s', min: 1, max: 1_000_000, help: 'Samples per second.' },
  { key: 'port', label: 'Label', type: 'string' },
  { key: 'trigger', label: 'Use trigger', type: 'boolean', default: true },
  { key: 'range', label: 'Range', type: 'enum', choices: ['auto', '1A'], default: 'auto' },
];

describe('SettingsForm', () => {
  it('renders one input per setting with its type, unit, range, help and errors', () => {
    const html = renderToStaticMarkup(
      <SettingsForm
        settings={settings}
        values={initialValues(settings)}
        errors={{ rateHz: 'Sample rate must be at least 1 S/s.' }}
        disabled={false}
        onChange={() => {}}
      />,
    );
    expect(html).toMatch(/<input id="setting-rateHz" type="number"[^>]*min="1"[^>]*max="1000000"[^>]*value="10000"/);
    expect(html).toContain('aria-invalid="true"');
    expect(html).toContain('<span class="unit">S/s</span>');
    expect(html).toContain('Samples per second. · range 1 – 1000000 S/s');
    expect(html).toContain('Sample rate must be at least 1 S/s.');
    expect(html).toMatch(/<input id="setting-port" type="text"/);
    expect(html).not.toMatch(/id="setting-port"[^>]*step=/);
    expect(html).toMatch(/<input id="setting-trigger" type="checkbox"[^>]*checked=""/);
    expect(html).toMatch(/<select id="setting-range"[^>]*><option value="auto" selected="">auto<\/option><option value="1A">1A<\/option><\/select>/);
  });

  it('says so when a driver has no settings', () => {
    expect(renderToStaticMarkup(<SettingsForm settings={[]} values={{}} errors={{}} disabled={false} onChange={() => {}} />)).toContain(
      'This driver has no settings.',
    );
  });
});
