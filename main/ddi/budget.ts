/**
 * Budget parsing: a number and a unit. MACs: MAC, kMAC, MMAC, GMAC. Latency: us (or µs), ms, s.
 * Energy: uJ (or µJ), mJ, J. Values are converted to the base unit of the kind (MAC, s, J).
 */
import { UserError } from '../util/errors';
import type { Budget } from './types';
import type { CostKind } from './cost';

const UNITS: Record<string, { kind: CostKind; factor: number }> = {
  MAC: { kind: 'macs', factor: 1 },
  kMAC: { kind: 'macs', factor: 1e3 },
  KMAC: { kind: 'macs', factor: 1e3 },
  MMAC: { kind: 'macs', factor: 1e6 },
  GMAC: { kind: 'macs', factor: 1e9 },
  us: { kind: 'latency', factor: 1e-6 },
  'µs': { kind: 'latency', factor: 1e-6 },
  ms: { kind: 'latency', factor: 1e-3 },
  s: { kind: 'latency', factor: 1 },
  uJ: { kind: 'energy', factor: 1e-6 },
  'µJ': { kind: 'energy', factor: 1e-6 },
  mJ: { kind: 'energy', factor: 1e-3 },
  J: { kind: 'energy', factor: 1 },
};

const HELP = 'write a number and a unit, e.g. 20MMAC, 500kMAC, 3ms, 800us, 1.5mJ or 20uJ';

export function parseBudget(text: string): Budget {
  const t = text.trim();
  const m = /^(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)\s*([A-Za-zµ]+)$/.exec(t);
  if (!m) throw new UserError(`"${text}" is not a budget; ${HELP}.`, 'bad-budget');
  const value = Number(m[1]);
  const unit = m[2]!;
  const u = UNITS[unit];
  if (!u) {
    if (/flops?$/i.test(unit)) {
      throw new UserError(`"${text}": budgets are given in MACs, not FLOPs (FLOPs = 2×MACs); e.g. 40MFLOP is 20MMAC.`, 'bad-budget');
    }
    throw new UserError(`"${text}" has an unknown unit "${unit}"; use MAC, kMAC, MMAC, GMAC, us, ms, s, uJ, mJ or J (${HELP}).`, 'bad-budget');
  }
  if (!Number.isFinite(value) || value <= 0) throw new UserError(`"${text}": a budget must be a positive number; ${HELP}.`, 'bad-budget');
  return { kind: u.kind, value: value * u.factor, text: t };
}
