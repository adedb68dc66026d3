/**
 * What one inference executed, rebuilt from its stored engine record and the model's layout: the
 * units the engine charged (with the channels each kept), and from them the features a calibrated
 * cost table is fitted on — executed MACs, activation and weight bytes and units, per unit kind.
 *
 * The walk mirrors DdiController.run (ddi/infer.ts) unit by unit. Two things a record does not
 * state are recovered from its MAC count, which the engine accumulates exactly: which exit heads a
 * budgeted row computed before its budget was guaranteed (always a prefix of the exits it passed),
 * and whether a transition right before a halt ran (a halt there leaves no layer index behind).
 * A record whose MACs no combination explains is not used (null), never guessed.
 */
import { unitCost, unitInfos, type CostTable, type UnitInfo } from '../../ddi/cost';
import type { Layout } from '../../ddi/layout';
import type { InferenceRecord } from '../../ddi/types';
import { takesBudget, usesGates } from '../../domain/modes';

export type UnitKind = UnitInfo['kind'];
export const UNIT_KINDS: UnitKind[] = ['stem', 'block', 'shortcut', 'transition', 'dense', 'layer-gate', 'channel-gate', 'exit', 'classifier'];
/** Per-kind quantities; a feature's name is `${kind}.${quantity}`, e.g. "block.macs". */
export const QUANTITIES = ['macs', 'activationBytes', 'weightBytes', 'units'] as const;
export type Quantity = (typeof QUANTITIES)[number];

/** One unit the engine charged for an inference, with the channels it kept. */
export interface Charge {
  id: string;
  kept: number;
}

/** The fields of an engine record the walk reads. */
export type RecordView = Pick<InferenceRecord, 'mode' | 'blocksExecuted' | 'blocksNotReached' | 'channelsKept' | 'halted' | 'macs'>;

export interface InferenceFeatures {
  /** Feature name (`kind.quantity`) → value; absent kinds are 0. */
  values: Record<string, number>;
  /** Units executed (gates, heads and shortcuts included). */
  units: number;
  /** Gates evaluated (layer and channel). */
  gates: number;
  /** Executed MACs (equal to the record's). */
  macs: number;
}

/** A model's units by id, for the walk and for building tables. */
export class UnitCatalog {
  readonly infos: Map<string, UnitInfo>;
  constructor(readonly layout: Layout) {
    this.infos = new Map(unitInfos(layout).map((u) => [u.id, u]));
  }
  info(id: string): UnitInfo {
    const u = this.infos.get(id);
    if (!u) throw new Error(`The model has no unit ${id}.`);
    return u;
  }
}

/** The units a record's inference was charged for, or null when its MAC count cannot be explained. */
export function chargesOf(cat: UnitCatalog, rec: RecordView): Charge[] | null {
  const lay = cat.layout;
  const N = lay.trunk.length;
  const executed = new Set(rec.blocksExecuted);
  const notReached = new Set(rec.blocksNotReached);
  const kept = new Map(rec.channelsKept.map((c) => [c.layer, c.kept]));
  // The first trunk unit never reached: units from there on did not run.
  let reachEnd = N;
  for (let ti = 0; ti < N; ti++) {
    const l = lay.trunk[ti]!.layer;
    if (l >= 0 && notReached.has(l)) {
      reachEnd = ti;
      break;
    }
  }
  // Transitions (no layer index) right before that point may or may not have run.
  let firstAmbiguous = reachEnd;
  if (rec.halted) while (firstAmbiguous > 0 && lay.trunk[firstAmbiguous - 1]!.layer < 0 && firstAmbiguous - 1 > 0) firstAmbiguous--;

  const trunkCharges = (end: number): Charge[] => {
    const out: Charge[] = [];
    for (let ti = 0; ti < end; ti++) {
      const u = lay.trunk[ti]!;
      const full = cat.info(u.id).channels;
      if (!(usesGates(rec.mode) && (u.layerGated || u.groups > 0))) {
        out.push({ id: u.id, kept: full });
        continue;
      }
      if (u.layerGated) {
        out.push({ id: `gate.layer${u.layer}`, kept: 0 });
        if (!executed.has(u.layer)) {
          if (u.projection) out.push({ id: `${u.id}.shortcut`, kept: 0 });
          continue;
        }
      }
      let k = full;
      if (u.groups > 0) {
        out.push({ id: `gate.channel${u.layer}`, kept: 0 });
        k = kept.get(u.layer) ?? full;
        if (u.kind === 'dense' && k === 0) continue;
      }
      out.push({ id: u.id, kept: k });
    }
    return out;
  };
  const macsOf = (cs: Charge[]) => cs.reduce((s, c) => s + unitCost(cat.info(c.id).macs, c.kept), 0);

  for (let end = firstAmbiguous; end <= reachEnd; end++) {
    const trunk = trunkCharges(end);
    const base = macsOf(trunk);
    // Exit heads: none outside budgeted modes; a prefix of the exits passed otherwise.
    const passed = takesBudget(rec.mode) ? lay.exits.filter((e) => e.afterTrunk < end) : [];
    for (let k = rec.halted ? passed.length : 0; k <= passed.length; k++) {
      const heads = passed.slice(0, k).map((e) => ({ id: e.id, kept: 0 }));
      const tail = rec.halted ? [] : [{ id: 'classifier', kept: 0 }];
      const all = [...trunk, ...heads, ...tail];
      if (Math.abs(base + macsOf(heads) + macsOf(tail) - rec.macs) <= 0.5) return all;
    }
  }
  return null;
}

/** Per-kind MACs, bytes and unit counts of a set of charges. */
export function featuresOf(cat: UnitCatalog, charges: Charge[]): InferenceFeatures {
  const values: Record<string, number> = {};
  for (const k of UNIT_KINDS) for (const q of QUANTITIES) values[`${k}.${q}`] = 0;
  let macs = 0;
  let gates = 0;
  for (const c of charges) {
    const u = cat.info(c.id);
    const m = unitCost(u.macs, c.kept);
    values[`${u.kind}.macs`]! += m;
    values[`${u.kind}.activationBytes`]! += unitCost(u.activationBytes, c.kept);
    values[`${u.kind}.weightBytes`]! += unitCost(u.weightBytes, c.kept);
    values[`${u.kind}.units`]! += 1;
    macs += m;
    if (u.kind === 'layer-gate' || u.kind === 'channel-gate') gates++;
  }
  return { values, units: charges.length, gates, macs };
}

/** The cost a table gives these charges (what the engine would have accumulated with it). */
export function predictCost(table: CostTable, charges: Charge[]): number {
  let s = 0;
  for (const c of charges) {
    const e = table.entries[c.id];
    if (!e) throw new Error(`Cost table ${table.name} has no entry for unit ${c.id}.`);
    s += unitCost(e, c.kept);
  }
  return s;
}

/** Mean of several inferences' features (a window-mode observation). */
export function meanFeatures(list: InferenceFeatures[]): InferenceFeatures {
  const values: Record<string, number> = {};
  const n = list.length;
  for (const f of list) for (const [k, v] of Object.entries(f.values)) values[k] = (values[k] ?? 0) + v / n;
  const avg = (pick: (f: InferenceFeatures) => number) => list.reduce((s, f) => s + pick(f), 0) / n;
  return { values, units: avg((f) => f.units), gates: avg((f) => f.gates), macs: avg((f) => f.macs) };
}
