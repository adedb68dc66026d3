/**
 * DdiEngine: the in-process engine used by the CLI, the tests and the worker. One loaded model at a
 * time: load → infer (modes, budgets, records) → profile latency. Raw images are pixels in [0,1],
 * NHWC; the model's stored normalisation is applied here.
 */
import type { DdiModel, InputNormalization } from './model';
import { initBackend, currentBackendInfo, type BackendInfo, type BackendName } from './backend';
import { OrtRuntime } from './runtime/ort';
import { loadOrtBinding, ortThreads } from './runtime/ort-binding';
import type { UnitRuntime } from './runtime/types';
import { listModels, loadModel, type ListModelsResult, type ModelMetadata } from './io';
import { derivedTablesDir, loadDerivedTable, modelHash, saveDerivedTable, thisMachine, type DerivedTableKey } from './derived-tables';
import { ENERGY_PRESETS, energyTable, macTable, summarizeCost, type CostKind, type CostTable } from './cost';
import { HostGates } from './gates';
import { TfjsRuntime } from './runtime/tfjs';
import { DdiController, type RunOptions } from './infer';
import { offsetRows } from './exit-accuracy';
import { profileLatency } from './profile';
import type { Budget, InferenceMode, InferenceRecord } from './types';
import { UserError } from '../util/errors';
import type { BudgetedMode } from '../domain/modes';

export interface LoadedModelInfo {
  dir: string | null;
  name: string;
  kind: 'resnet' | 'densenet';
  architecture: string;
  input: { height: number; width: number; channels: number };
  numClasses: number;
  classes?: string[];
  dataset?: string;
  randomWeights: boolean;
  params: number;
  backboneMacs: number;
  gateMacs: number;
  exitMacs: number;
  exits: number;
  layers: number;
  costTables: { name: string; kind: CostKind; unit: string; source: string }[];
  /** Smallest accepted budget per mode and table kind (null if no such table). */
  minimumBudgets: Record<BudgetedMode, Record<CostKind, number | null>>;
}

export interface EngineInferOptions {
  mode: InferenceMode;
  budget?: Budget | null;
  /** Rows per runtime call (default 1: per-sample latency, what the profiler measures). */
  batchSize?: number;
  labels?: (number | undefined)[];
  datasetIndices?: (number | undefined)[];
  forced?: RunOptions['forced'];
  /** Static and iadi: every exit head's logits on every image (rows index into this call's images); see RunOptions. */
  everyExit?: RunOptions['everyExit'];
}

/** ONNX Runtime executor settings (ignored on tfjs backends). */
export interface EngineOrtOptions {
  /** Intra-op threads (default DDI_ORT_THREADS, else 1). */
  threads?: number;
  /** false: every unit runs as its own session even where nothing reads between units (benchmarks: per-unit overhead). */
  fuse?: boolean;
}

interface Loaded {
  dir: string | null;
  /** Hash of architecture + weights, for tables derived from a model loaded from disk. */
  modelHash: string | null;
  model: DdiModel;
  metadata: ModelMetadata;
  runtime: UnitRuntime<unknown>;
  controller: DdiController;
  gates: HostGates;
  normalization: InputNormalization | null;
  /** The tables the model loaded with, restored when a calibrated pair is dropped. */
  defaults: { latency: CostTable | null; energy: CostTable | null };
  /** A calibrated energy + latency pair is in use (useCostTables). */
  calibrated: boolean;
}

export class DdiEngine {
  private loaded: Loaded | null = null;
  private constructor(
    private backend: BackendInfo,
    /** Where derived cost tables are kept (see derived-tables.ts); never a model's own folder. */
    private readonly tablesDir: string,
    private readonly ortOptions: EngineOrtOptions,
  ) {}

  static async create(opts: { backend?: BackendName; strict?: boolean; tablesDir?: string; ort?: EngineOrtOptions } = {}): Promise<DdiEngine> {
    const info = await initBackend(opts.backend, { strict: opts.strict });
    const ort = opts.ort ?? {};
    if (info.name === 'ort' && ort.threads !== undefined) info.flags = { ...info.flags, intraOpNumThreads: ort.threads };
    return new DdiEngine(info, opts.tablesDir ?? derivedTablesDir(), ort);
  }

  backendInfo(): BackendInfo {
    // The ONNX Runtime executor's info is fixed at creation; tfjs flags are read live.
    return this.backend.name === 'ort' ? { ...this.backend, notes: [...this.backend.notes] } : { ...currentBackendInfo(this.backend.notes) };
  }

  /** The unit executor for a model on this engine's backend. */
  private makeRuntime(model: DdiModel, opts: { fuse?: boolean } = {}): UnitRuntime<unknown> {
    if (this.backend.name !== 'ort') return new TfjsRuntime(model);
    const load = loadOrtBinding();
    if (!load.ok) throw new Error(`ONNX Runtime is not available: ${load.reason}`);
    return new OrtRuntime(model, load.binding, { threads: this.ortOptions.threads ?? ortThreads(), fuse: opts.fuse ?? this.ortOptions.fuse });
  }

  listModels(dirs: string[]): ListModelsResult {
    return listModels(dirs);
  }

  /** Loads a model directory (replacing the current model). */
  loadModel(dir: string): LoadedModelInfo {
    const l = loadModel(dir);
    try {
      return this.attach(l.model, l.metadata, l.dir, modelHash(l.file));
    } catch (e) {
      l.model.dispose();
      throw e;
    }
  }

  /** Uses an in-memory model (tests, training evaluation). The engine takes ownership of it. */
  useModel(model: DdiModel, metadata: ModelMetadata = {}): LoadedModelInfo {
    return this.attach(model, metadata, null, null);
  }

  private tableKey(hash: string): DerivedTableKey {
    return { model: hash, machine: thisMachine(), backend: { name: this.backend.name, version: this.backend.version } };
  }

  private attach(model: DdiModel, metadata: ModelMetadata, dir: string | null, hash: string | null): LoadedModelInfo {
    const runtime = this.makeRuntime(model);
    const gates = new HostGates(model);
    // A table profiled on this machine and backend wins over one shipped in the model file.
    const profiled = hash ? loadDerivedTable(this.tablesDir, 'latency', this.tableKey(hash)) : null;
    const tables = {
      macs: macTable(model.layout),
      latency: profiled ?? (metadata.costTables ?? []).find((t) => t.kind === 'latency' && t.backend?.name === this.backend.name) ?? null,
      energy: (metadata.costTables ?? []).find((t) => t.kind === 'energy') ?? energyTable(model.layout, ENERGY_PRESETS['horowitz-45nm']!),
    };
    const controller = new DdiController(model, runtime, gates, tables, metadata.name ?? model.config.name);
    const norm = metadata.normalization ?? null;
    if (norm && (norm.mean.length !== model.config.input.channels || norm.std.length !== model.config.input.channels)) {
      runtime.dispose();
      throw new UserError(
        `Model ${metadata.name ?? model.config.name}: normalization has ${norm.mean.length} means for ${model.config.input.channels} input channels.`,
        'bad-model-file',
      );
    }
    this.unload();
    this.loaded = {
      dir,
      modelHash: hash,
      model,
      metadata,
      runtime,
      controller,
      gates,
      normalization: norm,
      defaults: { latency: tables.latency, energy: tables.energy },
      calibrated: false,
    };
    return this.info();
  }

  private require(): Loaded {
    if (!this.loaded) throw new UserError('No model is loaded; load one first (--model DIR).', 'no-model');
    return this.loaded;
  }

  get model(): DdiModel {
    return this.require().model;
  }

  info(): LoadedModelInfo {
    const l = this.require();
    const cfg = l.model.config;
    const sum = summarizeCost(l.model.layout);
    const t = l.controller.tables;
    const mins = (mode: BudgetedMode) => ({
      macs: l.controller.minimumBudget(t.macs, mode),
      latency: t.latency ? l.controller.minimumBudget(t.latency, mode) : null,
      energy: t.energy ? l.controller.minimumBudget(t.energy, mode) : null,
    });
    return {
      dir: l.dir,
      name: l.metadata.name ?? cfg.name,
      kind: cfg.kind,
      architecture: cfg.name,
      input: cfg.input,
      numClasses: cfg.numClasses,
      classes: l.metadata.dataset?.classes,
      dataset: l.metadata.dataset?.name,
      randomWeights: l.metadata.randomWeights ?? false,
      params: sum.params,
      backboneMacs: sum.backboneMacs,
      gateMacs: sum.gateMacs,
      exitMacs: sum.exitMacs,
      exits: l.model.layout.exits.length,
      layers: l.model.layout.numLayers,
      costTables: [t.macs, t.latency, t.energy]
        .filter((x): x is CostTable => x !== null)
        .map((x) => ({ name: x.name, kind: x.kind, unit: x.unit, source: x.source })),
      minimumBudgets: { radi: mins('radi'), ddi: mins('ddi') },
    };
  }

  /** Normalises raw [0,1] NHWC pixels with the model's stored normalisation. */
  normalize(images: Float32Array): Float32Array {
    const l = this.require();
    if (!l.normalization) return images;
    const C = l.model.config.input.channels;
    const out = new Float32Array(images.length);
    for (let i = 0; i < images.length; i++) out[i] = (images[i]! - l.normalization.mean[i % C]!) / l.normalization.std[i % C]!;
    return out;
  }

  /** Runs `n` raw images (pixels in [0,1], NHWC, concatenated); one record per image. */
  infer(images: Float32Array, n: number, opts: EngineInferOptions): InferenceRecord[] {
    const l = this.require();
    const { height, width, channels } = l.model.config.input;
    const per = height * width * channels;
    if (images.length !== n * per) {
      throw new UserError(
        `Expected ${n} image(s) of ${height}×${width}×${channels} (${n * per} values) but got ${images.length} values; resize the input to the model's input shape.`,
        'bad-input',
      );
    }
    const bs = Math.max(1, Math.floor(opts.batchSize ?? 1));
    const norm = this.normalize(images);
    const out: InferenceRecord[] = [];
    for (let s = 0; s < n; s += bs) {
      const m = Math.min(bs, n - s);
      const recs = l.controller.run(norm.subarray(s * per, (s + m) * per), m, {
        mode: opts.mode,
        budget: opts.budget,
        forced: opts.forced?.slice(s, s + m),
        labels: opts.labels?.slice(s, s + m),
        datasetIndices: opts.datasetIndices?.slice(s, s + m),
        everyExit: offsetRows(opts.everyExit, s),
      });
      for (const r of recs) {
        r.sampleIndex += s;
        out.push(r);
      }
    }
    return out;
  }

  /** Throws the UserError that infer would throw for this mode and budget (checked before any work). */
  checkBudget(mode: InferenceMode, budget: Budget | null | undefined): void {
    this.require().controller.checkBudget(mode, budget);
  }

  minimumBudget(kind: CostKind, mode: BudgetedMode): number {
    const l = this.require();
    const t = l.controller.tableFor(kind);
    if (!t) throw new UserError(`No ${kind} cost table for this model on ${this.backend.name}.`, 'bad-budget');
    return l.controller.minimumBudget(t, mode);
  }

  /**
   * Measures the latency table on the running backend and activates it. With `save`, a model loaded
   * from disk gets the table stored in the derived-tables folder under its hash, this machine and
   * this backend, where the next load finds it; the model's own files are never written.
   */
  profileLatency(opts: { reps?: number; save?: boolean } = {}): CostTable {
    const l = this.require();
    // ONNX Runtime runs consecutive ungated units as one graph; the table needs each unit alone
    // (what a gated unit costs, boundary included), so it is profiled on an unfused executor.
    const runtime = this.backend.name === 'ort' ? this.makeRuntime(l.model, { fuse: false }) : l.runtime;
    let table: CostTable;
    try {
      table = profileLatency(l.model, runtime, l.gates, this.backend, opts.reps ?? 15);
    } finally {
      if (runtime !== l.runtime) runtime.dispose();
    }
    // A calibrated pair stays in use; the profiled table becomes the default behind it.
    if (!l.calibrated) (l.controller.tables as { latency: CostTable | null }).latency = table;
    l.defaults.latency = table;
    const others = (l.metadata.costTables ?? []).filter((t) => !(t.kind === 'latency' && t.backend?.name === table.backend?.name));
    l.metadata.costTables = [...others, table];
    if (opts.save && l.modelHash) saveDerivedTable(this.tablesDir, this.tableKey(l.modelHash), { ...table, kind: 'latency' });
    return table;
  }

  /**
   * Makes a calibrated energy + latency pair (measured on this board, main/profile/calibrate/) the
   * tables that predict and enforce energy and latency; null goes back to the tables the model
   * loaded with (the analytic energy table, a profiled latency table). The caller checks that the
   * pair was calibrated for this model, machine and backend.
   */
  useCostTables(tables: { energy: CostTable; latency: CostTable } | null): LoadedModelInfo {
    const l = this.require();
    const t = l.controller.tables as { latency: CostTable | null; energy: CostTable | null };
    if (tables) {
      for (const table of [tables.energy, tables.latency]) {
        const missing = l.model.units.find((u) => !table.entries[u.id]);
        if (missing)
          throw new UserError(`Cost table ${table.name} has no entry for unit ${missing.id} of this model; calibrate this model again.`, 'cost-table-mismatch');
      }
      t.energy = tables.energy;
      t.latency = tables.latency;
    } else {
      t.energy = l.defaults.energy;
      t.latency = l.defaults.latency;
    }
    l.calibrated = tables !== null;
    return this.info();
  }

  /** Ensures a latency table exists for this backend (profiles once if missing). */
  ensureLatencyTable(save = true): CostTable {
    const l = this.require();
    return l.controller.tables.latency ?? this.profileLatency({ save });
  }

  /** Frees cached gathered kernels (bounded anyway; used by leak tests and after profiling). */
  clearCaches(): void {
    this.loaded?.runtime.clearCache();
  }

  unload(): void {
    if (!this.loaded) return;
    this.loaded.runtime.dispose();
    this.loaded.model.dispose();
    this.loaded = null;
  }

  dispose(): void {
    this.unload();
  }
}
