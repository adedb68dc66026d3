/**
 * DDI control logic: modes, gate decisions, the per-sample running cost counter and hard-budget
 * halting. It drives a UnitRuntime (runtime/types.ts) and never touches tensors.
 *
 * Halting rule (RADI / DDI), per sample, with costs from the budget's cost table:
 * - Up front the budget must cover the worst case up to and including the first exit head
 *   (minimumBudget); otherwise the call is rejected with a UserError stating that minimum.
 * - A sample is "guaranteed" once spent + worst-case cost of everything left to the final
 *   classifier fits the budget; it then runs on without exit heads or further checks.
 * - Otherwise, before each unit (its gates included): if spent + worst(unit) + head(next exit)
 *   would exceed the budget, the sample halts and answers from the deepest exit computed so far.
 * - A not-guaranteed sample computes each exit head it passes (so it always has an answer).
 * Every unit is only started when its worst case fits, so spent ≤ budget by construction.
 */
import type { DdiModel, GatePattern } from './model';
import type { CostTable, UnitCost } from './cost';
import { shortcutId, unitCost } from './cost';
import { keptChannelIndices, type Layout } from './layout';
import type { HostGates, LstmState } from './gates';
import type { ExecPlan, UnitRuntime } from './runtime/types';
import type { Budget, ChannelsKept, InferenceMode, InferenceRecord } from './types';
import { UserError } from '../util/errors';
import { monotonicNs } from '../util/clock';
import { formatCost } from './cost';
import { takesBudget, usesGates } from '../domain/modes';

export interface CostTables {
  macs: CostTable;
  latency: CostTable | null;
  energy: CostTable | null;
}

export interface RunOptions {
  mode: InferenceMode;
  budget?: Budget | null;
  /** Force gate decisions per sample (tests, ablations, benchmarks). Gates still run and are charged. */
  forced?: GatePattern[];
  labels?: (number | undefined)[];
  datasetIndices?: (number | undefined)[];
  /**
   * Static and iadi only (no row halts): after each exit position, every row's logits of that exit
   * head [rows × classes], rows being indices into this call's images. Eval's per-exit accuracy
   * reads them, so every exit is measured on every image by the runtime and pass that answer.
   */
  everyExit?: (exit: number, rows: number[], logits: Float32Array) => void;
}

/** One sample's state through a call: costs so far, halting state, answer and what ran. */
export interface RowState {
  spent: number;
  macs: number;
  latency: number;
  energy: number;
  active: boolean;
  halted: boolean;
  guaranteed: boolean;
  answer: { exit: number; logits: Float32Array } | null;
  lstm: LstmState;
  executed: number[];
  skipped: number[];
  notReached: number[];
  channels: ChannelsKept[];
}

/** Per trunk position, for one cost table and mode (see `budgetPlan`). */
export interface BudgetPlan {
  worst: number[];
  remaining: number[];
  reserve: number[];
  toNextAnswer: number[];
}

/** One `run` call: its options, the mode's rules, the budget with its table and plan, and the rows. */
interface Call {
  n: number;
  opts: RunOptions;
  gating: boolean;
  budget: Budget | null;
  btable: CostTable | null;
  bplan: BudgetPlan | null;
  rows: RowState[];
}

export class DdiController {
  private readonly unitIdx: Map<string, number>;

  constructor(
    readonly model: DdiModel,
    readonly runtime: UnitRuntime<unknown>,
    readonly gates: HostGates,
    readonly tables: CostTables,
    readonly modelName: string,
  ) {
    this.unitIdx = new Map(model.units.map((u, i) => [u.id, i]));
    this.trunkIds = model.layout.trunk.map((u) => ({
      layerGate: `gate.layer${u.layer}`,
      channelGate: `gate.channel${u.layer}`,
      shortcut: shortcutId(u.id),
      channels: model.units[this.unitIdx.get(u.id)!]!.channels,
      allChannels: Array.from({ length: u.gatedChannels }, (_, c) => c),
    }));
  }

  /** Per trunk unit: the cost-entry ids of its gates and shortcut and its full channel count (hot loop). */
  private readonly trunkIds: { layerGate: string; channelGate: string; shortcut: string; channels: number; allChannels: number[] }[];
  /** MACs of the static network (every trunk unit + classifier), computed on first use. */
  private staticMacs: number | undefined;

  tableFor(kind: Budget['kind']): CostTable | null {
    return kind === 'macs' ? this.tables.macs : kind === 'latency' ? this.tables.latency : this.tables.energy;
  }

  private entry(table: CostTable, id: string): UnitCost {
    const e = table.entries[id];
    if (!e) throw new Error(`Cost table ${table.name} has no entry for unit ${id}.`);
    return e;
  }

  /**
   * The entries a charge for unit `id` reads (MACs, latency, energy, budget table), resolved once per
   * set of tables: charges happen several times per unit per sample, and the lookups were a visible
   * part of the gates' host time at batch 1.
   */
  private costRows = { key: [] as (CostTable | null)[], rows: new Map<string, (UnitCost | null)[]>() };
  private costRow(btable: CostTable | null, id: string): (UnitCost | null)[] {
    const key = [this.tables.macs, this.tables.latency, this.tables.energy, btable];
    if (key.some((t, i) => t !== this.costRows.key[i])) this.costRows = { key, rows: new Map() };
    let row = this.costRows.rows.get(id);
    if (!row) {
      row = key.map((t) => (t ? this.entry(t, id) : null));
      this.costRows.rows.set(id, row);
    }
    return row;
  }

  private readonly plans = new Map<string, BudgetPlan>();

  /**
   * Per trunk position, for one table and mode: worst case of the unit (gates included), worst case of
   * everything from it to the end (classifier, no exit heads), and the head cost of the next exit.
   * Cached: the halting checks run before every unit of every sample.
   */
  private budgetPlan(table: CostTable, mode: InferenceMode): BudgetPlan {
    const key = `${table.name}|${table.createdAt ?? ''}|${mode}`;
    let p = this.plans.get(key);
    if (!p) {
      const lay = this.model.layout;
      const N = lay.trunk.length;
      const worst = lay.trunk.map((_, ti) => this.worstTrunk(table, ti, mode));
      const remaining = new Array<number>(N + 1).fill(0);
      remaining[N] = this.entry(table, 'classifier').fixed;
      for (let ti = N - 1; ti >= 0; ti--) remaining[ti] = remaining[ti + 1]! + worst[ti]!;
      const reserve = lay.trunk.map((_, ti) => {
        const e = lay.exits.find((x) => x.afterTrunk >= ti);
        return this.entry(table, e ? e.id : 'classifier').fixed;
      });
      // Cheapest possible cost from unit ti up to the next answer (exit head or classifier): with it a
      // row halts as soon as no better answer can fit, instead of running units it cannot use. In
      // radi mode the cheapest path is the only path, so no unit is ever computed in vain.
      const least = lay.trunk.map((_, ti) => this.leastTrunk(table, ti, mode));
      const toNextAnswer = lay.trunk.map((_, ti) => {
        const e = lay.exits.find((x) => x.afterTrunk >= ti);
        const last = e ? e.afterTrunk : N - 1;
        let c = this.entry(table, e ? e.id : 'classifier').fixed;
        for (let tj = ti; tj <= last; tj++) c += least[tj]!;
        return c;
      });
      p = { worst, remaining, reserve, toNextAnswer };
      this.plans.set(key, p);
    }
    return p;
  }

  /** Worst-case cost of trunk unit ti including the gates the mode runs. */
  private worstTrunk(table: CostTable, ti: number, mode: InferenceMode): number {
    const u = this.model.layout.trunk[ti]!;
    const info = this.model.units[this.unitIdx.get(u.id)!]!;
    let c = unitCost(this.entry(table, u.id), info.channels);
    if (usesGates(mode)) {
      if (u.layerGated) c += this.entry(table, `gate.layer${u.layer}`).fixed;
      if (u.groups > 0) c += this.entry(table, `gate.channel${u.layer}`).fixed;
    }
    return c;
  }

  /** Cheapest cost of trunk unit ti in a mode: gated units at their cheapest decision (skipped / no channel kept). */
  private leastTrunk(table: CostTable, ti: number, mode: InferenceMode): number {
    const u = this.model.layout.trunk[ti]!;
    if (!usesGates(mode) || (!u.layerGated && u.groups === 0)) return this.worstTrunk(table, ti, mode);
    const ids = this.trunkIds[ti]!;
    if (u.layerGated) return this.entry(table, ids.layerGate).fixed + (u.projection ? this.entry(table, ids.shortcut).fixed : 0);
    // Channel gate only: the gate runs; a dense layer with no kept channel is skipped, a block runs with none.
    return this.entry(table, ids.channelGate).fixed + (u.kind === 'dense' ? 0 : unitCost(this.entry(table, u.id), 0));
  }

  /** Smallest budget that guarantees an answer: worst case through the first exit head (or the classifier). */
  minimumBudget(table: CostTable, mode: InferenceMode): number {
    const lay = this.model.layout;
    const first = lay.exits[0];
    const last = first ? first.afterTrunk : lay.trunk.length - 1;
    let c = 0;
    for (let ti = 0; ti <= last; ti++) c += this.worstTrunk(table, ti, mode);
    c += this.entry(table, first ? first.id : 'classifier').fixed;
    return c;
  }

  /**
   * Validates a budget for a mode: present for radi/ddi, a table of its kind exists, and it covers
   * the worst case to the first exit. Returns the budget's cost table (null for static / iadi).
   */
  checkBudget(mode: InferenceMode, budget: Budget | null | undefined): CostTable | null {
    if (!takesBudget(mode)) return null;
    if (!budget) throw new UserError(`Mode ${mode} needs a budget; pass one like --budget 20MMAC, 3ms or 1.5mJ.`, 'bad-budget');
    const btable = this.tableFor(budget.kind);
    if (!btable) {
      throw new UserError(
        `No ${budget.kind} cost table is available for this model on backend ${this.runtime.backend}; profile latency first or use a MAC budget.`,
        'bad-budget',
      );
    }
    const min = this.minimumBudget(btable, mode);
    if (!(budget.value >= min)) {
      throw new UserError(
        `Budget ${budget.text ?? formatCost(budget.value, budget.kind)} is below the minimum of ${formatCost(min, budget.kind)} needed to reach the first exit in ${mode} mode${btable.name.startsWith('calibrated:') ? ` by cost table ${btable.name}` : ''}; raise the budget to at least that.`,
        'budget-too-small',
      );
    }
    return btable;
  }

  /** Runs one batch of normalised NHWC images. */
  run(images: Float32Array, n: number, opts: RunOptions): InferenceRecord[] {
    const call = this.beginCall(n, opts);
    const trunk = this.model.layout.trunk;
    const stats = this.runtime.stats;
    const work0 = stats ? { runs: stats.runs, builds: stats.builds, generic: stats.generic } : null;
    const start = monotonicNs();
    let x = this.runtime.input(images, n);
    let pooledFor: { x: unknown; data: Float32Array } | null = null;
    try {
      for (let ti = 0; ti < trunk.length; ti++) {
        const u = trunk[ti]!;
        if (call.bplan) haltBeforeUnit(call.rows, call.bplan, ti, call.budget!.value);
        const active = activeRows(call.rows);
        if (active.length === 0) {
          for (const r of call.rows) for (let tj = ti; tj < trunk.length; tj++) if (trunk[tj]!.layer >= 0) r.notReached.push(trunk[tj]!.layer);
          break;
        }
        for (const r of call.rows) if (!r.active && u.layer >= 0) r.notReached.push(u.layer);

        let plan: ExecPlan;
        if (call.gating && (u.layerGated || u.groups > 0)) {
          // A skipped block returns its input handle: reuse the pooled vector read for it.
          const pooled: Float32Array = pooledFor !== null && pooledFor.x === x ? pooledFor.data : this.runtime.pool(x);
          pooledFor = { x, data: pooled };
          plan = this.gatedStep(call, ti, active, pooled);
        } else {
          plan = this.plainStep(call, ti, active);
        }
        const y = this.runtime.trunk(ti, x, plan);
        if (y !== x) this.runtime.release(x);
        x = y;

        const e = this.exitAfter().get(ti);
        if (e && call.bplan) this.answerAtExit(call, e, x);
        if (e && opts.everyExit) {
          const rows = activeRows(call.rows);
          opts.everyExit(e.index, rows, this.runtime.head(e.index, x, rows));
        }
      }
      this.answerAtClassifier(call, x);
    } finally {
      this.runtime.release(x);
    }
    const end = monotonicNs();
    const work =
      stats && work0 ? { runs: stats.runs - work0.runs, builds: stats.builds - work0.builds, sharedGraphRuns: stats.generic - work0.generic } : undefined;
    return this.records(call, start, end, work);
  }

  /** Validates the call (budget against the mode, forced patterns) and sets up one row per image. */
  private beginCall(n: number, opts: RunOptions): Call {
    const { mode } = opts;
    const budgeted = takesBudget(mode);
    const budget = budgeted ? (opts.budget ?? null) : null;
    const btable = this.checkBudget(mode, budget);
    if (opts.forced && opts.forced.length !== n) throw new Error(`forced has ${opts.forced.length} patterns for ${n} images.`);
    // A halted row reaches no later exit, so "every exit on every row" exists only without a budget.
    if (opts.everyExit && budgeted) throw new Error(`everyExit needs a mode without a budget (static or iadi), not ${mode}.`);
    const rows: RowState[] = Array.from({ length: n }, () => ({
      spent: 0,
      macs: 0,
      latency: 0,
      energy: 0,
      active: true,
      halted: false,
      guaranteed: !budgeted,
      answer: null,
      lstm: this.gates.initialState(),
      executed: [],
      skipped: [],
      notReached: [],
      channels: [],
    }));
    return { n, opts, gating: usesGates(mode), budget, btable, bplan: btable ? this.budgetPlan(btable, mode) : null, rows };
  }

  /** Charges unit `id` with `kept` channels to a row: MACs, predicted latency and energy, budget spent. */
  private charge(call: Call, r: RowState, id: string, kept: number): void {
    const [m, l, e, b] = this.costRow(call.btable, id);
    r.macs += unitCost(m!, kept);
    if (l) r.latency += unitCost(l, kept);
    if (e) r.energy += unitCost(e, kept);
    if (b) r.spent += unitCost(b, kept);
  }

  /** A trunk unit without gates (or with gates the mode does not run): every active row runs it whole. */
  private plainStep(call: Call, ti: number, active: number[]): ExecPlan {
    const u = this.model.layout.trunk[ti]!;
    for (const i of active) {
      const r = call.rows[i]!;
      this.charge(call, r, u.id, this.trunkIds[ti]!.channels);
      if (u.layer >= 0) r.executed.push(u.layer);
    }
    return { rows: active, channels: null };
  }

  /**
   * A gated trunk unit: per active row, the layer gate decides whether the unit runs and the channel
   * gate which channel groups it keeps. Gates run even when decisions are forced, so forced runs
   * (tests, ablations, benchmarks) pay the real gate overhead; the forced pattern then overrides the
   * decision.
   */
  private gatedStep(call: Call, ti: number, active: number[], pooled: Float32Array): ExecPlan {
    const u = this.model.layout.trunk[ti]!;
    const ids = this.trunkIds[ti]!;
    const C = u.inC;
    const plan: ExecPlan = { rows: [], channels: null };
    const chans: number[][] = [];
    for (const i of active) {
      const r = call.rows[i]!;
      const forced = call.opts.forced?.[i];
      let run = true;
      if (u.layerGated) {
        this.charge(call, r, ids.layerGate, 0);
        run = this.gates.layerLogit(u.layerGateProj, pooled, i * C, r.lstm) > 0;
        if (forced) run = forced.layer[u.layer] !== false;
      }
      if (!run) {
        r.skipped.push(u.layer);
        if (u.projection) this.charge(call, r, ids.shortcut, 0); // the runtime still runs its projection for this row
        continue;
      }
      let keptIdx: number[] | null = null;
      if (u.groups > 0) {
        this.charge(call, r, ids.channelGate, 0);
        keptIdx = this.keptChannels(ti, this.gates.channelLogits(u.layer, pooled, i * C), forced);
        r.channels.push({ layer: u.layer, kept: keptIdx.length, total: u.gatedChannels });
      }
      const kept = keptIdx ? keptIdx.length : ids.channels;
      // A dense layer with no kept channel is skipped whole.
      if (u.kind === 'dense' && kept === 0) {
        r.skipped.push(u.layer);
        continue;
      }
      this.charge(call, r, u.id, kept);
      r.executed.push(u.layer);
      plan.rows.push(i);
      if (keptIdx) chans.push(keptIdx);
    }
    plan.channels = u.groups > 0 ? chans : null;
    return plan;
  }

  /** The channel indices a channel gate keeps: a group is on when its logit is positive (or the forced pattern says so). */
  private keptChannels(ti: number, logits: ArrayLike<number>, forced: GatePattern | undefined): number[] {
    const u = this.model.layout.trunk[ti]!;
    const keep = forced ? (forced.channel[u.layer] ?? []) : null;
    let all = true;
    for (let g = 0; g < u.groups && all; g++) all = keep ? keep[g] !== false : logits[g]! > 0;
    // Every group on (the common case early in a budget): share one index list, no allocation.
    if (all) return this.trunkIds[ti]!.allChannels;
    const on = keep ? Array.from({ length: u.groups }, (_, g) => keep[g] !== false) : Array.from(logits, (z) => z > 0);
    return keptChannelIndices(u.gatedChannels, this.model.config.gates.groupSize, on);
  }

  /** Exit heads by the trunk position they follow. */
  private exitAt: Map<number, Layout['exits'][number]> | undefined;
  private exitAfter(): Map<number, Layout['exits'][number]> {
    return (this.exitAt ??= new Map(this.model.layout.exits.map((e) => [e.afterTrunk, e])));
  }

  /** A sample not yet guaranteed to reach the classifier computes the exit head, so it always has an answer. */
  private answerAtExit(call: Call, e: Layout['exits'][number], x: unknown): void {
    const need = call.rows.map((r, i) => (r.active && !r.guaranteed ? i : -1)).filter((i) => i >= 0);
    if (need.length === 0) return;
    const k = this.model.config.numClasses;
    const logits = this.runtime.head(e.index, x, need);
    need.forEach((i, j) => {
      const r = call.rows[i]!;
      this.charge(call, r, e.id, 0);
      r.answer = { exit: e.index, logits: logits.subarray(j * k, (j + 1) * k) };
    });
  }

  /** Every sample still active at the end answers from the final classifier. */
  private answerAtClassifier(call: Call, x: unknown): void {
    const fin = activeRows(call.rows);
    if (fin.length === 0) return;
    const k = this.model.config.numClasses;
    const logits = this.runtime.head(-1, x, fin);
    fin.forEach((i, j) => {
      const r = call.rows[i]!;
      this.charge(call, r, 'classifier', 0);
      r.answer = { exit: -1, logits: logits.subarray(j * k, (j + 1) * k) };
    });
  }

  private records(call: Call, start: number, end: number, work: InferenceRecord['executorWork']): InferenceRecord[] {
    const { mode } = call.opts;
    const staticMacs = (this.staticMacs ??= this.model.units
      .filter((u) => u.kind !== 'exit' && u.kind !== 'layer-gate' && u.kind !== 'channel-gate' && u.kind !== 'shortcut')
      .reduce((s, u) => s + unitCost(u.macs, u.channels), 0));
    return call.rows.map((r, i) => {
      const a = r.answer!;
      const { cls, conf } = argmaxSoftmax(a.logits);
      return {
        mode,
        budget: call.budget,
        model: this.modelName,
        backend: this.runtime.backend,
        batchSize: call.n,
        sampleIndex: i,
        datasetIndex: call.opts.datasetIndices?.[i],
        label: call.opts.labels?.[i],
        predictedClass: cls,
        confidence: conf,
        logits: Array.from(a.logits),
        exit: a.exit >= 0 ? a.exit : null,
        exitId: a.exit >= 0 ? `exit${a.exit}` : 'classifier',
        halted: r.halted,
        blocksExecuted: r.executed,
        blocksSkipped: r.skipped,
        blocksNotReached: r.notReached,
        channelsKept: r.channels,
        macs: r.macs,
        staticMacs,
        predictedLatencyS: this.tables.latency ? r.latency : null,
        latencyTable: this.tables.latency?.name ?? null,
        predictedEnergyJ: this.tables.energy ? r.energy : null,
        energyTable: this.tables.energy?.name ?? null,
        budgetSpent: call.btable ? r.spent : null,
        ...(work ? { executorWork: work } : {}),
        startNs: start,
        endNs: end,
      };
    });
  }
}

/**
 * The halting policy, applied before trunk unit ti (see the rule at the top of this file): a row whose
 * worst case to the classifier fits is guaranteed from now on; a row that has an answer halts when
 * the unit with the next answer's head, or the cheapest way to the next answer, would not fit.
 */
export function haltBeforeUnit(rows: RowState[], plan: BudgetPlan, ti: number, budget: number): void {
  const worst = plan.worst[ti]!;
  const reserve = plan.reserve[ti]!;
  const remaining = plan.remaining[ti]!;
  const toNextAnswer = plan.toNextAnswer[ti]!;
  for (const r of rows) {
    if (!r.active || r.guaranteed) continue;
    if (r.spent + remaining <= budget) {
      r.guaranteed = true;
      continue;
    }
    if (r.answer && (r.spent + worst + reserve > budget || r.spent + toNextAnswer > budget)) {
      r.active = false;
      r.halted = true;
    }
  }
}

const activeRows = (rows: RowState[]): number[] => rows.map((r, i) => (r.active ? i : -1)).filter((i) => i >= 0);

export function argmaxSoftmax(logits: ArrayLike<number>): { cls: number; conf: number } {
  let cls = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[cls]!) cls = i;
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.exp(logits[i]! - logits[cls]!);
  return { cls, conf: 1 / s };
}
