/**
 * Budgets: a number and a unit. MACs: MAC, kMAC, MMAC, GMAC. Latency: us (or µs), ms, s.
 * Energy: uJ (or µJ), mJ, J. Values are converted to the base unit of the kind (MAC, s, J).
 * The core parses with `parseBudget`; the Run page offers `BUDGET_UNIT_CHOICES` from the same table.
 */
import { z } from 'zod';
import { UserError } from '../util/errors';

export const CostKindSchema = z.enum(['macs', 'latency', 'energy']);
export type CostKind = z.infer<typeof CostKindSchema>;
/** The base unit of each kind, in which budgets and cost tables are stored. */
export const COST_UNITS: Record<CostKind, string> = { macs: 'MAC', latency: 's', energy: 'J' };

/** A hard per-sample budget in the base unit of its kind: MAC, seconds or joules; `text` as the user wrote it ("20MMAC"). */
export const BudgetSchema = z.object({ kind: CostKindSchema, value: z.number(), text: z.string().optional() });
export type Budget = z.infer<typeof BudgetSchema>;

/** Every unit spelling the parser accepts, with its kind and factor to the base unit. */
export const BUDGET_UNITS: Record<string, { kind: CostKind; factor: number }> = {
  MAC: { kind: 'macs', factor: 1 },
  kMAC: { kind: 'macs', factor: 1e3 },
  KMAC: { kind: 'macs', factor: 1e3 },
  MMAC: { kind: 'macs', factor: 1e6 },
  GMAC: { kind: 'macs', factor: 1e9 },
  us: { kind: 'latency', factor: 1e-6 },
  µs: { kind: 'latency', factor: 1e-6 },
  ms: { kind: 'latency', factor: 1e-3 },
  s: { kind: 'latency', factor: 1 },
  uJ: { kind: 'energy', factor: 1e-6 },
  µJ: { kind: 'energy', factor: 1e-6 },
  mJ: { kind: 'energy', factor: 1e-3 },
  J: { kind: 'energy', factor: 1 },
};

/** The units a form offers, grouped by kind: one ASCII spelling each, sized for the shipped models. */
export const BUDGET_UNIT_CHOICES: Array<{ kind: CostKind; label: string; units: string[] }> = [
  { kind: 'macs', label: 'Compute', units: ['MAC', 'kMAC', 'MMAC'] },
  { kind: 'latency', label: 'Latency', units: ['us', 'ms', 's'] },
  { kind: 'energy', label: 'Energy', units: ['uJ', 'mJ', 'J'] },
];

const HELP = 'write a number and a unit, e.g. 20MMAC, 500kMAC, 3ms, 800us, 1.5mJ or 20uJ';

/**
 * The largest budget of each kind, in its base unit (MAC, s, J). Far beyond any model here (the
 * shipped ones cost a few MMAC; ImageNet-scale networks a few GMAC), yet small enough that every
 * cost sum stays exact in a double, so a budget can never turn into Infinity anywhere downstream.
 */
export const BUDGET_MAX: Record<CostKind, { value: number; unit: string }> = {
  macs: { value: 1e15, unit: 'MAC' },
  latency: { value: 3600, unit: 's' },
  energy: { value: 1e4, unit: 'J' },
};

export function parseBudget(text: string): Budget {
  const t = text.trim();
  const m = /^(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)\s*([A-Za-zµ]+)$/.exec(t);
  if (!m) throw new UserError(`"${text}" is not a budget; ${HELP}.`, 'bad-budget');
  const value = Number(m[1]);
  const unit = m[2]!;
  const u = BUDGET_UNITS[unit];
  if (!u) {
    if (/flops?$/i.test(unit)) {
      throw new UserError(`"${text}": budgets are given in MACs, not FLOPs (FLOPs = 2×MACs); e.g. 40MFLOP is 20MMAC.`, 'bad-budget');
    }
    throw new UserError(`"${text}" has an unknown unit "${unit}"; use MAC, kMAC, MMAC, GMAC, us, ms, s, uJ, mJ or J (${HELP}).`, 'bad-budget');
  }
  const base = value * u.factor;
  const max = BUDGET_MAX[u.kind];
  if (!Number.isFinite(base) || base > max.value) {
    const inUnit = u.factor === 1 ? '' : ` (${formatLimit(max.value / u.factor)} ${unit})`;
    throw new UserError(
      `The budget ${m[1]} ${unit} is larger than any model here could use; give at most ${formatLimit(max.value)} ${max.unit}${inUnit}.`,
      'bad-budget',
    );
  }
  if (!(base > 0)) throw new UserError(`"${text}": a budget must be a positive number; ${HELP}.`, 'bad-budget');
  return { kind: u.kind, value: base, text: t };
}

/** 1e15 rather than 1000000000000000; 3600 as it is. */
function formatLimit(v: number): string {
  return v >= 1e6 ? v.toExponential().replace('e+', 'e') : String(Number(v.toPrecision(6)));
}
