import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useApi } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { SimBadge } from '../common/SimBadge';
import type { DriverInfo, PortInfo } from '../common/types';
import { useLiveState } from '../shell/LiveState';
import { SettingsForm } from './SettingsForm';
import { loadMeterForm, portFromInput, restoreForm, saveMeterForm, ScanGuard, valuesFor } from './meterForm';
import { fieldError, meterSpec, toOptions, type FormValues } from './settings';

/** Choose a driver and port, fill in the driver's settings, connect or disconnect. */
export function MeterPicker() {
  const api = useApi();
  const { meter, recording, setMeter } = useLiveState();
  const [drivers, setDrivers] = useState<DriverInfo[] | null>(null);
  const [ports, setPorts] = useState<PortInfo[] | null>(null);
  const [driverName, setDriverName] = useState<string>('');
  const [port, setPort] = useState<string>('');
  const [values, setValues] = useState<FormValues>({});
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setErrorState] = useState<unknown>(null);
  const scanGuard = useRef(new ScanGuard()).current;
  const setError = useCallback(
    (e: unknown) => {
      if (e) scanGuard.errorShown();
      setErrorState(e);
    },
    [scanGuard],
  );
  const [busy, setBusy] = useState(false);
  const [scanning, setScanning] = useState(false);
  // Settings typed for the other drivers, kept for switching back (and across pages, see meterForm.ts).
  const otherValues = useRef<Record<string, FormValues>>({});
  const connectedSpec = useRef<string | null>(null);
  connectedSpec.current = meter && meter.state !== 'closed' ? meter.spec : null;

  const driver = useMemo(() => drivers?.find((d) => d.name === driverName), [drivers, driverName]);

  useEffect(() => {
    api.call('meters.drivers', {}).then((list) => {
      setDrivers(list);
      const form = restoreForm(list, loadMeterForm(), connectedSpec.current);
      const chosen = form && list.find((d) => d.name === form.driver);
      if (form && chosen) {
        otherValues.current = form.values;
        setDriverName(chosen.name);
        setPort(form.port);
        setValues(valuesFor(chosen, form.values[chosen.name]));
      }
    }, setError);
  }, [api, setError]);

  // Every change is kept, so the form survives a visit to another page or a reload.
  useEffect(() => {
    if (!driverName) return;
    otherValues.current = { ...otherValues.current, [driverName]: values };
    saveMeterForm({ driver: driverName, port, values: otherValues.current });
  }, [driverName, port, values]);

  const rescan = useCallback(() => {
    setScanning(true);
    const after = scanGuard.begin();
    api
      .call('meters.ports', {})
      .then((list) => {
        setPorts(list);
        const { clearError, fillPort } = after();
        // A port the user typed (rfcomm, a pty, tcp://…) stays even when the scan does not list it.
        if (fillPort) setPort((current) => current || (list[0]?.path ?? ''));
        // What a failed connect said about the old port list no longer applies (an error shown
        // while the scan ran is about the form as it is now).
        if (clearError) setError(null);
      }, setError)
      .finally(() => setScanning(false));
  }, [api, scanGuard, setError]);
  useEffect(rescan, [rescan]);

  const chooseDriver = (name: string) => {
    setDriverName(name);
    const d = drivers?.find((x) => x.name === name);
    if (d) setValues(valuesFor(d, otherValues.current[name]));
    setFieldErrors({});
    // An error about the previous driver (e.g. "scpi driver needs a port") no longer applies.
    setError(null);
    // Prefer a port whose device this driver recognises.
    const suggested = ports?.find((p) => p.suggestedDrivers.includes(name));
    if (suggested) setPort(suggested.path);
  };

  const connected = meter !== null && meter.state !== 'closed';

  const connect = async () => {
    if (!driver) return;
    const { options, errors } = toOptions(driver.settings, values);
    setFieldErrors(errors);
    setError(null);
    if (Object.keys(errors).length > 0) return;
    const typedPort = portFromInput(driver.name, port);
    if (driver.needsPort && !typedPort) {
      setError(new Error(`The ${driver.name} driver needs a port; pick a found one after Rescan, or type it (e.g. /dev/rfcomm0 or tcp://HOST:5025).`));
      return;
    }
    setBusy(true);
    try {
      setMeter(await api.call('meters.connect', { spec: meterSpec(driver.name, driver.needsPort ? typedPort : undefined), options }));
    } catch (e) {
      const field = fieldError(e, driver.settings);
      if (field) setFieldErrors({ [field.key]: field.message });
      else setError(e);
    } finally {
      setBusy(false);
    }
  };

  const disconnect = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.call('meters.disconnect', {});
      setMeter(await api.call('meters.status', {}));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" data-testid="meter-picker">
      <h2>Meter</h2>
      <div className="field">
        <label htmlFor="driver">Driver</label>
        <select id="driver" value={driverName} disabled={connected || !drivers} onChange={(e) => chooseDriver(e.target.value)} data-testid="driver-select">
          {(drivers ?? []).map((d) => (
            <option key={d.name} value={d.name}>
              {d.name}
              {d.simulated ? ' (simulated)' : ''}
            </option>
          ))}
        </select>
        {driver ? (
          <p className="help">
            <SimBadge simulated={driver.simulated} /> {driver.description}
          </p>
        ) : null}
      </div>

      <div className="field">
        <div className="field-head">
          <label htmlFor="port">Port</label>
          <button type="button" className="small" onClick={rescan} disabled={scanning} data-testid="rescan">
            {scanning ? 'Scanning…' : 'Rescan'}
          </button>
        </div>
        {driver && !driver.needsPort ? (
          <p className="muted" data-testid="port-not-needed">
            The {driver.name} driver needs no port.
          </p>
        ) : null}
        {driver?.needsPort !== false ? (
          <>
            {/* Typed or picked: the scan cannot find every port (rfcomm, a pty, a symlink, tcp://HOST:5025). */}
            <input
              id="port"
              type="text"
              list="port-list"
              value={port}
              placeholder={driverName === 'scpi' ? 'tcp://HOST:5025 or /dev/ttyUSB0' : '/dev/ttyACM0'}
              autoComplete="off"
              spellCheck={false}
              disabled={connected}
              onChange={(e) => {
                scanGuard.portEdited();
                setPort(e.target.value);
                setError(null);
              }}
              data-testid="port-input"
            />
            <p className="help">Pick a found port or type any device path or URL.</p>
            <datalist id="port-list" data-testid="port-list">
              {(ports ?? []).map((p) => (
                <option key={p.path} value={p.path}>
                  {[p.manufacturer, p.suggestedDrivers.length ? `(${p.suggestedDrivers.join(', ')})` : ''].filter(Boolean).join(' ')}
                </option>
              ))}
            </datalist>
          </>
        ) : null}
        <p className="help" data-testid="port-count">
          {ports === null
            ? 'Looking for serial ports…'
            : ports.length === 0
              ? 'No serial ports found.'
              : `${ports.length} serial port${ports.length === 1 ? '' : 's'} found.`}
        </p>
      </div>

      {driver ? (
        <SettingsForm
          settings={driver.settings}
          values={values}
          errors={fieldErrors}
          disabled={connected || busy}
          onChange={(key, value) => setValues((v) => ({ ...v, [key]: value }))}
        />
      ) : null}

      <div className="actions">
        {connected ? (
          <button
            type="button"
            onClick={() => void disconnect()}
            disabled={busy || recording !== null}
            data-testid="disconnect"
            title={recording ? 'Stop the recording first' : undefined}
          >
            Disconnect
          </button>
        ) : (
          <button type="button" className="primary" onClick={() => void connect()} disabled={busy || !driver} data-testid="connect">
            {busy ? 'Connecting…' : 'Connect'}
          </button>
        )}
      </div>
      <ErrorMessage error={error} testId="meter-error" />
    </section>
  );
}
