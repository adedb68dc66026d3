/**
 * A fitted parameter vector as an engine cost table: every unit's affine cost
 * (fixed + anyChannel·[kept > 0] + perChannel·kept) is the sum over the fitted terms of its kind —
 * rate × the unit's MACs (or bytes, per coefficient) and the per-unit cost on `fixed` — and the
 * intercept, the fixed per-inference overhead, is charged to the stem, which every inference runs
 * exactly once. Charging such a table over an inference's units gives exactly the fit's prediction.
 */
import type { CostTable, UnitCost } from '../../ddi/cost';
import type { UnitCatalog } from './features';
import type { FitResult } from './fit';

const FIELDS: (keyof UnitCost)[] = ['fixed', 'anyChannel', 'perChannel'];

export function tableFromFit(cat: UnitCatalog, fit: Pick<FitResult, 'intercept' | 'terms'>, meta: Omit<CostTable, 'entries'>): CostTable {
  const entries: Record<string, UnitCost> = {};
  for (const u of cat.infos.values()) {
    const e: UnitCost = { fixed: 0, anyChannel: 0, perChannel: 0 };
    for (const t of fit.terms) {
      for (const f of t.features) {
        const [kind, q] = f.split('.') as [string, string];
        if (kind !== u.kind) continue;
        if (q === 'units') e.fixed += t.value;
        else if (q === 'macs' || q === 'activationBytes' || q === 'weightBytes') for (const k of FIELDS) e[k] += t.value * u[q][k];
      }
    }
    if (u.id === 'stem') e.fixed += fit.intercept;
    entries[u.id] = e;
  }
  return { ...meta, entries };
}

/** a + factor · b, entry by entry (the energy table: active energy + idle power × latency). */
export function combineTables(a: CostTable, b: CostTable, factor: number, meta: Omit<CostTable, 'entries'>): CostTable {
  const entries: Record<string, UnitCost> = {};
  for (const [id, x] of Object.entries(a.entries)) {
    const y = b.entries[id] ?? { fixed: 0, anyChannel: 0, perChannel: 0 };
    entries[id] = { fixed: x.fixed + factor * y.fixed, anyChannel: x.anyChannel + factor * y.anyChannel, perChannel: x.perChannel + factor * y.perChannel };
  }
  return { ...meta, entries };
}
