import { useCallback, useEffect, useMemo, useState } from 'react';
import { useApi } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { SimBadge } from '../common/SimBadge';
import type { DriverInfo, PortInfo } from '../common/types';
import { useLiveState } from '../shell/LiveState';
import { SettingsForm } from './SettingsForm';
import { fieldError, initialValues, meterSpec, toOptions, type FormValues } from './settings';

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
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [scanning, setScanning] = useState(false);

  const driver = useMemo(() => drivers?.find((d) => d.name === driverName), [drivers, driverName]);

  useEffect(() => {
    api.call('meters.drivers', {}).then(
      (list) => {
        setDrivers(list);
        // Without hardware the simulated meter is the one that works out of the box.
        const first = list.find((d) => d.simulated) ?? list[0];
        if (first) {
          setDriverName(first.name);
          setValues(initialValues(first.settings));
        }
      },
      setError,
    );
  }, [api]);

  const rescan = useCallback(() => {
    setScanning(true);
    api
      .call('meters.ports', {})
      .then((list) => {
        setPorts(list);
        setPort((current) => (current && list.some((p) => p.path === current) ? current : (list[0]?.path ?? '')));
      }, setError)
      .finally(() => setScanning(false));
  }, [api]);
  useEffect(rescan, [rescan]);

  const chooseDriver = (name: string) => {
    setDriverName(name);
    const d = drivers?.find((x) => x.name === name);
    setValues(initialValues(d?.settings ?? []));
    setFieldErrors({});
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
    if (driver.needsPort && !port) {
      setError(new Error(`The ${driver.name} driver needs a port; plug the meter in and press Rescan.`));
      return;
    }
    setBusy(true);
    try {
      setMeter(await api.call('meters.connect', { spec: meterSpec(driver.name, driver.needsPort ? port : undefined), options }));
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
        <select
          id="driver"
          value={driverName}
          disabled={connected || !drivers}
          onChange={(e) => chooseDriver(e.target.value)}
          data-testid="driver-select"
        >
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
            <select
              id="port"
              value={port}
              disabled={connected || !ports || ports.length === 0}
              onChange={(e) => setPort(e.target.value)}
              data-testid="port-select"
            >
              {(ports ?? []).map((p) => (
                <option key={p.path} value={p.path}>
                  {p.path}
                  {p.manufacturer ? ` — ${p.manufacturer}` : ''}
                  {p.suggestedDrivers.length ? ` (${p.suggestedDrivers.join(', ')})` : ''}
                </option>
              ))}
            </select>
          </>
        ) : null}
        <p className="help" data-testid="port-count">
          {ports === null ? 'Looking for serial ports…' : ports.length === 0 ? 'No serial ports found.' : `${ports.length} serial port${ports.length === 1 ? '' : 's'} found.`}
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
          <button type="button" onClick={disconnect} disabled={busy || recording !== null} data-testid="disconnect"
            title={recording ? 'Stop the recording first' : undefined}>
            Disconnect
          </button>
        ) : (
          <button type="button" className="primary" onClick={connect} disabled={busy || !driver} data-testid="connect">
            {busy ? 'Connecting…' : 'Connect'}
          </button>
        )}
      </div>
      <ErrorMessage error={error} testId="meter-error" />
    </section>
  );
}
