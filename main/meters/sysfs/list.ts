/**
 * Lists on-board sensors this machine exposes, as ready-to-use meter specs, so the CLI and the
 * Meters page can offer them next to serial ports: RAPL zones (powercap) and labelled hwmon
 * power/current/voltage inputs (e.g. Jetson INA3221 rails). Reading them may still need
 * permissions (RAPL energy_uj is root-only since Linux 5.10); listing only reads names and labels.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OnboardSensor {
  driver: 'powercap' | 'hwmon';
  /** Meter spec, e.g. "powercap:package-0" or "hwmon:ina3221/VDD_IN". */
  spec: string;
  description: string;
}

const ls = (d: string) => {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
};
const cat = (p: string) => {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return undefined;
  }
};

export function listOnboardSensors(root = '/'): OnboardSensor[] {
  const out: OnboardSensor[] = [];
  const rapl = join(root, 'sys/class/powercap');
  for (const d of ls(rapl).sort()) {
    if (!/^[a-z-]+:\d+(:\d+)*$/.test(d)) continue;
    const name = cat(join(rapl, d, 'name'));
    if (!name) continue;
    const nested = d.split(':').length > 2;
    out.push({
      driver: 'powercap',
      spec: `powercap:${nested ? d : name}`,
      description: `RAPL ${name}${nested ? ` (inside ${d.split(':').slice(0, 2).join(':')})` : ''}`,
    });
  }
  const hw = join(root, 'sys/class/hwmon');
  for (const d of ls(hw).sort()) {
    const chip = cat(join(hw, d, 'name')) ?? d;
    for (const f of ls(join(hw, d)).sort()) {
      const m = /^(in|curr|power)(\d+)_label$/.exec(f);
      if (!m) continue;
      const label = cat(join(hw, d, f));
      if (!label) continue;
      const spec = `hwmon:${chip}/${label}`;
      if (!out.some((o) => o.spec === spec)) out.push({ driver: 'hwmon', spec, description: `hwmon ${chip} rail ${label}` });
    }
  }
  return out;
}
