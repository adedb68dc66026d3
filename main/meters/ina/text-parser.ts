/**
 * Tolerant parser for what DIY INA219/INA226/INA260 sketches print (formats of
 * adafruit/Adafruit_INA219 `examples/getcurrent/getcurrent.ino`, arduino/Arduino
 * `build/shared/ArduinoSerialPlotterProtocol.md`, nesnes/teleplot `README.md`):
 *  - CSV/TSV/semicolon with a header naming the columns ("ms,V,mA,mW", "bus_V;current_mA"),
 *  - Arduino Serial Plotter / Teleplot `label:value` pairs ("V:3.30 I:12.5", ">busV:3.3"),
 *  - Adafruit-style blocks ("Bus Voltage:   3.30 V" / "Current:  12.5 mA" lines, blank line between),
 *  - bare "V I" pairs (two numbers; units from the settings, default V and A).
 * Units come from the label when it has one (mV, mA, uA, mW, ...). A line yields a sample only when
 * every number on it parsed; anything else is counted as a bad line and skipped.
 */

export interface TextSample {
  voltageV: number;
  currentA: number;
  powerW: number;
}

export interface TextParserOptions {
  /** Units of bare "V I" pairs. */
  plainVoltageUnit?: 'V' | 'mV';
  plainCurrentUnit?: 'A' | 'mA' | 'uA';
}

type Quantity = 'voltage' | 'current' | 'power' | 'time' | 'other';
interface Field {
  q: Quantity;
  scale: number;
}

const NUM = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Classifies a label like "Bus Voltage", "current_mA", "mW", "Load Voltage (V)" with its unit. */
export function classifyLabel(label: string, unitHint = ''): Field {
  const raw = `${label} ${unitHint}`.trim();
  const l = raw.toLowerCase().replace(/[()[\]§]/g, ' ');
  const unit = /(?:^|[\s_\-.])(uv|µv|mv|v|ua|µa|ma|a|uw|µw|mw|w|us|µs|ms|s)\s*$/i.exec(l)?.[1] ?? '';
  const unitScale = (u: string): number => (u.startsWith('u') || u.startsWith('µ') ? 1e-6 : u.startsWith('m') ? 1e-3 : 1);
  const has = (re: RegExp) => re.test(l);
  if (has(/shunt/)) return { q: 'other', scale: 1 };
  if (has(/time|^t\b|millis|micros|^ms$|^us$|^s$|timestamp/)) return { q: 'time', scale: unitScale(unit) };
  if (has(/volt|^v\b|vbus|bus_?v|busv|load_?v|^u\b|^mv$|^uv$/) || unit.endsWith('v')) {
    return { q: 'voltage', scale: unitScale(unit) };
  }
  if (has(/curr|amp|^i\b|^ma$|^ua$|^a$/) || unit === 'a' || unit === 'ma' || unit === 'ua' || unit === 'µa') {
    return { q: 'current', scale: unitScale(unit) };
  }
  if (has(/pow|watt|^p\b|^mw$|^w$/) || unit.endsWith('w')) return { q: 'power', scale: unitScale(unit) };
  return { q: 'other', scale: 1 };
}

export class InaTextParser {
  private header: Field[] | undefined;
  private headerSep: RegExp | undefined;
  private block: Partial<Record<Quantity, number>> = {};
  private readonly blockLabels = new Set<string>();
  badLines = 0;

  constructor(private readonly options: TextParserOptions = {}) {}

  /** Parses one line (without its terminator). Returns a sample, or undefined for none/bad. */
  parseLine(rawLine: string): TextSample | undefined {
    const line = rawLine.replace(/^\uFEFF/, '').trim();
    if (line === '') return this.endBlock();
    if (line.startsWith('#') || line.startsWith('//')) return undefined; // comments, firmware banners

    // Arduino plotter / Teleplot / Adafruit: contains "label:value".
    if (/[A-Za-z_µ][^:]*:\s*[+-]?[\d.]/.test(line)) return this.parseLabelled(line);

    const sep = /[,;\t]/.test(line) ? /\s*[,;\t]\s*/ : /\s+/;
    const tokens = line.split(sep).filter((t) => t !== '');
    if (tokens.length === 0) return undefined;
    const numeric = tokens.map((t) => NUM.test(t));
    if (numeric.every((n) => !n)) {
      // A header line: remember what each column is.
      const fields = tokens.map((t) => classifyLabel(t));
      if (fields.some((f) => f.q === 'voltage' || f.q === 'current' || f.q === 'power')) {
        this.header = fields;
        this.headerSep = sep;
        return undefined;
      }
      this.badLines++;
      return undefined;
    }
    if (!numeric.every(Boolean)) {
      this.badLines++;
      return undefined;
    }
    const values = tokens.map(Number);
    if (this.header && this.headerSep && this.header.length === values.length) {
      const got: Partial<Record<Quantity, number>> = {};
      this.header.forEach((f, k) => {
        if (f.q !== 'other' && f.q !== 'time') got[f.q] = values[k]! * f.scale;
      });
      return this.finish(got);
    }
    if (values.length === 2) {
      const vScale = this.options.plainVoltageUnit === 'mV' ? 1e-3 : 1;
      const iUnit = this.options.plainCurrentUnit ?? 'A';
      const iScale = iUnit === 'mA' ? 1e-3 : iUnit === 'uA' ? 1e-6 : 1;
      return this.finish({ voltage: values[0]! * vScale, current: values[1]! * iScale });
    }
    this.badLines++;
    return undefined;
  }

  private parseLabelled(line: string): TextSample | undefined {
    // Split into "label:value[ unit]" pairs; pairs are separated by commas, tabs or spaces.
    const re =
      />?\s*([A-Za-z_µ][A-Za-z0-9_µ .()-]*?)\s*:\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?::([+-]?\d+\.?\d*))?\s*([a-zA-Zµ]{1,2}\b)?(?:§\S*)?(?:\|\S*)?[\s,;]*/gy;
    const got: Partial<Record<Quantity, number>> = {};
    let m: RegExpExecArray | null;
    let consumed = 0;
    let pairs = 0;
    while ((m = re.exec(line)) !== null) {
      consumed = re.lastIndex;
      pairs++;
      // Teleplot "name:timestamp:value" puts the value third.
      const valueText = m[3] ?? m[2]!;
      const f = classifyLabel(m[1]!, m[4] ?? '');
      const value = Number(valueText);
      if (!Number.isFinite(value)) {
        this.badLines++;
        return undefined;
      }
      if (f.q !== 'other' && f.q !== 'time') got[f.q] = value * f.scale;
    }
    if (pairs === 0 || consumed < line.length) {
      this.badLines++;
      return undefined;
    }
    const known = Object.keys(got).length;
    if (pairs === 1 && known <= 1) {
      // One value per line: an Adafruit-style block. A repeated label closes the block; within a
      // block the first label of a quantity wins ("Bus Voltage" before the derived "Load Voltage").
      const label = /^>?\s*([^:]+?)\s*:/.exec(line)?.[1]?.toLowerCase() ?? '';
      let out: TextSample | undefined;
      if (this.blockLabels.has(label)) out = this.endBlock();
      this.blockLabels.add(label);
      const [q, v] = Object.entries(got)[0] ?? [];
      if (q && this.block[q as Quantity] === undefined) this.block[q as Quantity] = v;
      return out;
    }
    return this.finish(got);
  }

  private endBlock(): TextSample | undefined {
    const b = this.block;
    this.block = {};
    this.blockLabels.clear();
    if (b.voltage === undefined && b.current === undefined) return undefined;
    return this.finish(b);
  }

  private finish(got: Partial<Record<Quantity, number>>): TextSample | undefined {
    const v = got.voltage;
    const i = got.current;
    if (v === undefined && i === undefined) {
      this.badLines++;
      return undefined;
    }
    const voltageV = v ?? Number.NaN;
    const currentA = i ?? (got.power !== undefined && v ? got.power / v : Number.NaN);
    const powerW = got.power ?? voltageV * currentA;
    return { voltageV, currentA, powerW };
  }
}
