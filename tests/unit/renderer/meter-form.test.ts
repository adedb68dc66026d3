// The Meters form kept across pages and reloads, and typed ports/URLs turned into meter specs.
import { describe, expect, it } from 'vitest';
import type { DriverInfo } from '../../../renderer/src/common/types';
import { loadMeterForm, portFromInput, restoreForm, saveMeterForm, ScanGuard, valuesFor, type FormStorage } from '../../../renderer/src/meters/meterForm';
import { meterSpec } from '../../../renderer/src/meters/settings';

const driver = (name: string, over: Partial<DriverInfo> = {}): DriverInfo =>
  ({ name, description: name, needsPort: name !== 'sim', simulated: name === 'sim', settings: [], ...over }) as DriverInfo;
const drivers = [
  driver('sim', {
    settings: [
      { key: 'idleW', label: 'Idle power', type: 'number', default: 1, unit: 'W', min: 0, max: 100 },
      { key: 'noise', label: 'Noise', type: 'boolean', default: true },
      { key: 'shape', label: 'Shape', type: 'enum', choices: ['cpu', 'square'], default: 'cpu' },
    ],
  }),
  driver('ppk2'),
  driver('scpi'),
];

function memoryStorage(): FormStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('meter form state', () => {
  it('comes back as it was left: driver, typed port and each driver’s settings', () => {
    const storage = memoryStorage();
    saveMeterForm({ driver: 'scpi', port: 'tcp://10.0.0.5:5025', values: { sim: { idleW: '2.5', noise: false, shape: 'square' } } }, storage);
    const form = restoreForm(drivers, loadMeterForm(storage), null);
    expect(form).toEqual({ driver: 'scpi', port: 'tcp://10.0.0.5:5025', values: { sim: { idleW: '2.5', noise: false, shape: 'square' } } });
    // Back on sim, its settings are the ones typed before, not the defaults.
    expect(valuesFor(drivers[0]!, form!.values.sim)).toEqual({ idleW: '2.5', noise: false, shape: 'square' });
  });

  it('starts on the simulated meter without a saved form, and when the saved driver no longer exists', () => {
    expect(restoreForm(drivers, null, null)).toEqual({ driver: 'sim', port: '', values: {} });
    expect(restoreForm(drivers, { driver: 'gone', port: '/dev/x', values: {} }, null)?.driver).toBe('sim');
    // A damaged entry (edited by hand, an older format) is ignored, not thrown.
    expect(() => loadMeterForm({ getItem: () => '{not json', setItem: () => {} })).not.toThrow();
  });

  it('follows a connected meter over the saved form', () => {
    const form = restoreForm(drivers, { driver: 'sim', port: '', values: {} }, 'scpi:tcp://lab-psu:5025');
    expect(form).toMatchObject({ driver: 'scpi', port: 'tcp://lab-psu:5025' });
  });

  it('drops saved settings that no longer fit the driver', () => {
    expect(valuesFor(drivers[0]!, { idleW: true, noise: 'yes', shape: 'triangle', gone: '1' })).toEqual({ idleW: '1', noise: true, shape: 'cpu' });
  });
});

describe('typed ports', () => {
  it('accepts any device path or URL, and a whole pasted spec', () => {
    expect(meterSpec('scpi', portFromInput('scpi', ' scpi:tcp://10.0.0.5:5025 '))).toBe('scpi:tcp://10.0.0.5:5025');
    expect(meterSpec('scpi', portFromInput('scpi', 'tcp://10.0.0.5:5025'))).toBe('scpi:tcp://10.0.0.5:5025');
    expect(meterSpec('um', portFromInput('um', '/dev/rfcomm0'))).toBe('um:/dev/rfcomm0');
    expect(meterSpec('ppk2', portFromInput('ppk2', '/tmp/ppk2-link'))).toBe('ppk2:/tmp/ppk2-link');
    expect(portFromInput('ppk2', '   ')).toBe('');
  });
});

describe('a port scan finishing while the user works', () => {
  it('clears an error shown before it started, keeps one shown meanwhile, and fills the port only if it was not edited', () => {
    const guard = new ScanGuard();
    guard.errorShown();
    const first = guard.begin();
    // Nothing happened during the scan: the old error goes and a found port may be proposed.
    expect(first()).toEqual({ clearError: true, fillPort: true });

    const second = guard.begin();
    guard.portEdited();
    guard.errorShown(); // Connect with the port cleared: "The scpi driver needs a port …"
    expect(second()).toEqual({ clearError: false, fillPort: false });

    // A scan started after that error may clear it (the user asked for a rescan).
    expect(guard.begin()()).toEqual({ clearError: true, fillPort: true });
  });
});
