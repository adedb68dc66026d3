/** Display formatting. Storage is SI (W, J, s); the UI picks a readable prefix. */

const PREFIXES: Array<[number, string]> = [
  [1e3, 'k'],
  [1, ''],
  [1e-3, 'm'],
  [1e-6, 'µ'],
  [1e-9, 'n'],
];

/** 3 significant digits with an SI prefix: 0.00123 W → "1.23 mW". */
export function si(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value === 0) return `0 ${unit}`;
  const abs = Math.abs(value);
  const [scale, prefix] = PREFIXES.find(([s]) => abs >= s * 0.9995) ?? PREFIXES[PREFIXES.length - 1]!;
  const scaled = value / scale;
  const digits = Math.abs(scaled) >= 100 ? 0 : Math.abs(scaled) >= 10 ? 1 : 2;
  return `${scaled.toFixed(digits)} ${prefix}${unit}`;
}

export const watts = (w: number | null | undefined) => si(w, 'W');
export const joules = (j: number | null | undefined) => si(j, 'J');
export const amps = (a: number | null | undefined) => si(a, 'A');
export const volts = (v: number | null | undefined) => si(v, 'V');

/** Seconds as "3.21 s", "2 min 05 s", "1 h 02 min". */
export function duration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const total = Math.floor(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min ${String(sec).padStart(2, '0')} s`;
}

/** Elapsed recording time as a stopwatch: "0:03.2", "12:45.0". */
export function stopwatch(s: number): string {
  const clamped = Math.max(0, s);
  const m = Math.floor(clamped / 60);
  const rest = clamped - m * 60;
  return `${m}:${rest.toFixed(1).padStart(4, '0')}`;
}

export function count(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Math.round(n).toLocaleString('en-US');
}

/** Local date and time without seconds noise: "2026-11-25 20:14:03". */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
