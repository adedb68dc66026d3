/**
 * The one API contract between the renderer and the core. Every renderer→main call and every
 * main→renderer event is listed here with a zod schema per payload. Both transports (Electron IPC
 * via preload, and the browser-mode WebSocket) are generated from these tables, and the core
 * validates every incoming payload against them, so neither side can drift.
 */
import { z } from 'zod';
import { InferenceRecordSchema } from '../domain/inference-record';
import { InferenceModeSchema } from '../domain/modes';

// ---------- shared shapes ----------

export const ChannelSchema = z.enum(['current', 'voltage', 'power']);

export const DriverSettingSchema = z.object({
  key: z.string(),
  label: z.string(),
  type: z.enum(['number', 'string', 'boolean', 'enum']),
  default: z.union([z.number(), z.string(), z.boolean()]).optional(),
  choices: z.array(z.string()).optional(),
  unit: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  help: z.string().optional(),
});

export const DriverInfoSchema = z.object({
  name: z.string(),
  description: z.string(),
  simulated: z.boolean(),
  needsPort: z.boolean(),
  settings: z.array(DriverSettingSchema),
});

export const PortInfoSchema = z.object({
  path: z.string(),
  manufacturer: z.string().optional(),
  serialNumber: z.string().optional(),
  vendorId: z.string().optional(),
  productId: z.string().optional(),
  source: z.enum(['serialport', 'scan', 'sysfs']),
  suggestedDrivers: z.array(z.string()),
});

export const MeterStateSchema = z.enum(['idle', 'connecting', 'streaming', 'error', 'closed']);

export const MeterStatusSchema = z.object({
  spec: z.string(),
  driver: z.string(),
  label: z.string(),
  simulated: z.boolean(),
  state: MeterStateSchema,
  message: z.string().optional(),
  channels: z.array(ChannelSchema),
  sampleRateHz: z.number(),
  counters: z.object({
    samples: z.number(),
    lostSamples: z.number(),
    gaps: z.number(),
    badFrames: z.number(),
    reconnects: z.number(),
  }),
});

export const SessionSummarySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  kind: z.enum(['power', 'profile']),
  /**
   * 'interrupted': the recording process ended without closing it (crash, kill, power loss);
   * 'incomplete': it ended early, e.g. the meter was lost and did not come back; 'cancelled': stopped
   * on purpose before its planned end. statusReason says why in one sentence.
   */
  status: z.enum(['recording', 'complete', 'interrupted', 'incomplete', 'cancelled']),
  statusReason: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  durationS: z.number(),
  meter: z.object({ spec: z.string(), label: z.string(), driver: z.string(), simulated: z.boolean() }).nullable(),
  model: z.string().nullable(),
  backend: z.string().nullable(),
  notes: z.string(),
  channels: z.array(ChannelSchema),
  sampleRateHz: z.number().nullable(),
  samples: z.number(),
  gaps: z.number(),
  lostSamples: z.number(),
  meanPowerW: z.number().nullable(),
  energyJ: z.number().nullable(),
  /** How power was obtained: a measured power channel, or current × the supply voltage the meter set. */
  powerSource: z.enum(['measured', 'nominal-voltage']).nullable().optional(),
  /** For powerSource 'nominal-voltage': the voltage assumed for power (the meter's supply set-point). */
  nominalVoltageV: z.number().nullable().optional(),
  /** Time-weighted mean current and charge, when current is measured (null otherwise). */
  meanCurrentA: z.number().nullable().optional(),
  chargeC: z.number().nullable().optional(),
  /**
   * Set when the stored row cannot be read in full: one sentence saying what is wrong. The other
   * fields then hold what could be read, so a damaged session never hides the rest of the list.
   */
  damaged: z.string().optional(),
  /** End of the last stored sample, seconds from session start. */
  lastSampleS: z.number().optional(),
  /** Chunks stored before checksums existed: read as they are, not verified. */
  unverifiedChunks: z.number().optional(),
  /**
   * Chunks whose checksum does not match: left out of samples and energy and counted in gaps and
   * lostSamples. null when this summary did not check (the session list, a recording in progress).
   */
  damagedChunks: z.number().nullable().optional(),
});

export const TraceSchema = z.object({
  sessionId: z.number().int(),
  channel: ChannelSchema,
  fromS: z.number(),
  toS: z.number(),
  bucketS: z.number(),
  /** Bucket start times in seconds from session start; min/max/mean per bucket. */
  tS: z.array(z.number()),
  min: z.array(z.number()),
  max: z.array(z.number()),
  mean: z.array(z.number()),
  gaps: z.array(z.object({ startS: z.number(), endS: z.number(), lostSamples: z.number(), reason: z.string() })),
});

/**
 * A stored session's digital inputs per bucket (uniform buckets from fromS): bit k of `high` set when
 * D k was 1 throughout the bucket, of `low` when 0 throughout, neither when it toggled; `covered`
 * false where the bucket holds no sample. `names` is empty when the session has no digital inputs.
 */
export const LogicTraceSchema = z.object({
  sessionId: z.number().int(),
  fromS: z.number(),
  toS: z.number(),
  bucketS: z.number(),
  high: z.array(z.number().int().min(0).max(255)),
  low: z.array(z.number().int().min(0).max(255)),
  covered: z.array(z.boolean()),
  names: z.array(z.string()),
});

const LiveBucketsSchema = z.object({ tS: z.array(z.number()), min: z.array(z.number()), max: z.array(z.number()), mean: z.array(z.number()) });

/** Charge (∫I dt) and energy (∫P dt) of the stored samples of the session being recorded. */
export const RecordingTotalsSchema = z.object({
  sessionId: z.number().int(),
  samples: z.number().int().nonnegative(),
  chargeC: z.number().nullable(),
  energyJ: z.number().nullable(),
  energySource: z.enum(['power', 'current×voltage', 'current×nominal']).nullable(),
});

export const LiveBatchSchema = z.object({
  channel: ChannelSchema,
  /** Seconds since the meter connected; one entry per bucket. */
  tS: z.array(z.number()),
  min: z.array(z.number()),
  max: z.array(z.number()),
  mean: z.array(z.number()),
  bucketS: z.number(),
  /** Mean of each measured channel over this batch, for the live readout. */
  latest: z.object({ current: z.number().optional(), voltage: z.number().optional(), power: z.number().optional() }),
  /**
   * Every measured channel's buckets (the top-level arrays repeat the default channel), so the view
   * can switch channel without asking: at most 3 channels × 200 buckets/s whatever the sample rate.
   */
  channels: z.object({ current: LiveBucketsSchema.optional(), voltage: LiveBucketsSchema.optional(), power: LiveBucketsSchema.optional() }).optional(),
  /** Digital inputs per bucket: `high` has bit k set when D k was 1 throughout, `low` when 0 throughout. */
  digital: z
    .object({
      tS: z.array(z.number()),
      high: z.array(z.number().int().min(0).max(255)),
      low: z.array(z.number().int().min(0).max(255)),
      names: z.array(z.string()),
    })
    .optional(),
  /** Running totals of the session being recorded, from its stored samples; null when not recording. */
  recording: RecordingTotalsSchema.nullable().optional(),
});

/** State of the recording trigger (armed → recording → done). */
export const TriggerStatusSchema = z.object({
  phase: z.enum(['armed', 'recording', 'done', 'failed']),
  start: z.string().nullable(),
  stop: z.string().nullable(),
  holdoffS: z.number(),
  pretriggerS: z.number(),
  sessionId: z.number().int().nullable(),
  /** Session time of the start crossing (= the pre-trigger actually recorded). */
  triggerAtS: z.number().nullable(),
  stopAtS: z.number().nullable(),
  message: z.string().optional(),
});

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  transport: z.enum(['electron', 'browser']),
  databasePath: z.string(),
});

export const ModelSummarySchema = z.object({
  /** The model's folder name: what calls and the CLI use to name it. */
  id: z.string(),
  name: z.string(),
  kind: z.enum(['resnet', 'densenet']),
  architecture: z.string(),
  dataset: z.string().optional(),
  randomWeights: z.boolean(),
  description: z.string().optional(),
  params: z.number(),
  backboneMacs: z.number(),
  exits: z.number(),
  layerGates: z.boolean(),
  channelGates: z.boolean(),
  costTables: z.array(z.object({ name: z.string(), kind: z.string(), backend: z.string().optional() })),
  createdAt: z.string(),
});

export const BackendInfoSchema = z.object({ name: z.string(), version: z.string(), notes: z.array(z.string()) });

export const InferenceRunSchema = z.object({
  model: z.string(),
  backend: z.string(),
  mode: InferenceModeSchema,
  budget: z.string().nullable(),
  dataset: z.string(),
  count: z.number(),
  correct: z.number(),
  meanMacs: z.number(),
  staticMacs: z.number(),
  /** Share of inferences whose accounted cost stayed within the budget (1 when there is none). */
  withinBudget: z.number(),
  exitCounts: z.record(z.string(), z.number()),
  meanWallS: z.number(),
  records: z.array(InferenceRecordSchema),
});

const ProfilePhaseSchema = z.enum(['warmup', 'baseline', 'alignment', 'inferences', 'closing', 'analysis', 'done', 'failed']);
export const ProfileProgressSchema = z.object({
  sessionId: z.number().int().nullable(),
  phase: ProfilePhaseSchema,
  done: z.number(),
  total: z.number(),
  elapsedS: z.number(),
  etaS: z.number().nullable(),
  /** For 'failed': one sentence. */
  message: z.string().optional(),
});

const BudgetResultSchema = z.looseObject({
  name: z.string(),
  metric: z.string(),
  value: z.number(),
  unit: z.string(),
  pass: z.boolean(),
  fractionWithin: z.number(),
  violations: z.array(z.looseObject({ seq: z.number(), value: z.number() })),
});

/** A profiling run's stored result (see main/profile/analyze.ts ProfileResult). */
export const ProfileResultSchema = z.looseObject({
  sessionId: z.number().int(),
  status: z.string(),
  statusReason: z.string().nullable(),
  simulated: z.boolean(),
  model: z.string(),
  mode: z.string(),
  budget: z.string().nullable(),
  backend: z.string(),
  inferences: z.number(),
  alignment: z
    .looseObject({ offsetNs: z.number(), driftPpm: z.number(), strength: z.number(), trusted: z.boolean(), reason: z.string().nullable(), method: z.string() })
    .nullable(),
  attribution: z.object({ mode: z.string(), reason: z.string() }),
  baseline: z.looseObject({ startNs: z.number(), endNs: z.number(), meanPowerW: z.number() }).nullable(),
  energyPerInference: z.looseObject({ mean: z.number(), p50: z.number(), p95: z.number(), max: z.number() }).nullable(),
  budgets: z.array(BudgetResultSchema),
});

export const ProfileInferenceSchema = z.object({
  seq: z.number().int(),
  startS: z.number(),
  endS: z.number(),
  exit: z.number().int().nullable(),
  macs: z.number(),
  label: z.number().int().nullable(),
  prediction: z.number().int().nullable(),
  predictedEnergyJ: z.number().nullable(),
  measuredEnergyJ: z.number().nullable(),
  activeEnergyJ: z.number().nullable(),
  /** Graphs the executor built during this inference (a millisecond-scale cost); null when it does not count them (tfjs). */
  graphBuilds: z.number().int().nullable(),
});

const ChannelStatsSchema = z.object({ mean: z.number(), min: z.number(), max: z.number() });

/**
 * Statistics of a time range, exact from the stored samples (main/analysis/selection-stats.ts): each
 * sample holds for one period, edge samples count for their part inside the range, time without
 * samples (gaps, damaged chunks) is left out of means, charge and energy and reported.
 */
export const SelectionStatsSchema = z.object({
  sessionId: z.number().int(),
  fromS: z.number(),
  toS: z.number(),
  durationS: z.number(),
  coveredS: z.number(),
  uncoveredS: z.number(),
  samples: z.number(),
  current: ChannelStatsSchema.nullable(),
  voltage: ChannelStatsSchema.nullable(),
  power: ChannelStatsSchema.nullable(),
  chargeC: z.number().nullable(),
  chargeMAh: z.number().nullable(),
  energyJ: z.number().nullable(),
  energyWh: z.number().nullable(),
  powerSource: z.enum(['measured', 'nominal-voltage']).nullable(),
  nominalVoltageV: z.number().nullable(),
  gaps: z.array(z.object({ startS: z.number(), endS: z.number(), lostSamples: z.number(), reason: z.string() })),
  lostSamples: z.number(),
});

/** A marker on a session's time line: the user's notes (kind 'note') and a profiling run's phases ('phase'). */
export const MarkerSchema = z.object({
  id: z.number().int(),
  sessionId: z.number().int(),
  kind: z.string(),
  tS: z.number(),
  /** End of a range marker; null for a marker at one time. */
  endS: z.number().nullable(),
  label: z.string(),
});

/** A phase of a profiling run (warmup, baseline, alignment, inferences, closing), host time from session start. */
export const ProfilePhaseIntervalSchema = z.object({ label: z.string(), startS: z.number(), endS: z.number().nullable() });

export const BackendNameSchema = z.enum(['ort', 'tensorflow', 'wasm', 'cpu']);
const CostTableName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, 'a cost-table name is up to 80 letters, digits, dots, dashes or underscores');

export const BudgetMetricSchema = z.enum(['energy_per_inference', 'latency_per_inference', 'macs_per_inference', 'energy_per_run']);
/** A named budget (main/store/budgets-repo.ts): value in SI units (J, s, MAC). */
export const StoredBudgetSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  metric: BudgetMetricSchema,
  value: z.number(),
  unit: z.string(),
  model: z.string().nullable(),
  notes: z.string(),
  createdAt: z.string(),
});

/** A calibrated cost table (main/profile/calibrate/store.ts) as the app lists it. */
export const CostTableSummarySchema = z.object({
  name: z.string(),
  model: z.object({ name: z.string(), hash: z.string() }),
  backend: z.object({ name: z.string(), version: z.string() }),
  machine: z.object({ cpuModel: z.string(), cores: z.number(), arch: z.string(), platform: z.string() }),
  meter: z.object({ spec: z.string(), label: z.string(), simulated: z.boolean() }),
  createdAt: z.string(),
  /** Held-out energy MAPE per inference (per window in window mode), when the report has it. */
  heldOutEnergyMape: z.number().nullable(),
  /** False when it cannot serve the model/backend asked about; reason says why in one sentence. */
  usable: z.boolean(),
  reason: z.string().nullable(),
});

export const CalibrationPhaseSchema = z.enum([
  'starting',
  'warmup',
  'baseline',
  'alignment',
  'inferences',
  'closing',
  'analysis',
  'fit',
  'done',
  'failed',
  'cancelled',
]);
/** A calibration's progress; 'done' carries the result (main/profile/calibrate/calibrate.ts CalibrationResult). */
export const CalibrationProgressSchema = z.object({
  phase: CalibrationPhaseSchema,
  /** Profiling session n of runs (1-based; 0 before the first starts): runs × segments in all. */
  run: z.number().int(),
  runs: z.number().int(),
  sessionId: z.number().int().nullable(),
  done: z.number(),
  total: z.number(),
  elapsedS: z.number(),
  /** Whole calibration, estimated from the runs so far; null until there is something to go on. */
  etaS: z.number().nullable(),
  message: z.string().optional(),
  result: z.looseObject({ costTable: z.looseObject({ name: z.string() }) }).optional(),
});

/** A point of a budget sweep's curve (main/profile/sweep/sweep.ts SweepPoint). */
export const SweepPointSchema = z.object({
  model: z.string(),
  mode: InferenceModeSchema,
  budget: z.string(),
  budgetKind: z.enum(['macs', 'latency', 'energy']),
  budgetValue: z.number(),
  sessionId: z.number().int(),
  inferences: z.number(),
  accuracy: z.number().nullable(),
  attribution: z.string(),
  energyPerInferenceJ: z.number().nullable(),
  activeEnergyPerInferenceJ: z.number().nullable(),
  energyCi95J: z.tuple([z.number(), z.number()]).nullable(),
  latencyMeanS: z.number(),
  macsMean: z.number(),
  fractionWithin: z.number().nullable(),
  verdict: z.string(),
  costTable: z.string().nullable(),
});

/** A stored sweep's curves: one per model, points in the order they ran. */
export const SweepSchema = z.object({
  sweepId: z.string(),
  createdAt: z.string(),
  simulated: z.boolean(),
  curves: z.array(
    z.object({
      model: z.string(),
      mode: InferenceModeSchema,
      costTable: z.string().nullable(),
      points: z.array(SweepPointSchema),
      skipped: z.array(z.object({ budget: z.string(), reason: z.string() })),
    }),
  ),
});

export const SweepListItemSchema = z.object({
  sweepId: z.string(),
  createdAt: z.string(),
  models: z.array(z.string()),
  points: z.number().int(),
  sessionIds: z.array(z.number().int()),
});

const Empty = z.object({}).strict();
/**
 * Numbers: zod 4's z.number() refuses NaN and ±Infinity (JSON cannot carry them, Electron's
 * structured clone can) and .int() only safe integers, so every number below is finite; ranges
 * are physical. No session is longer than about 30 years.
 */
const MAX_SESSION_S = 1e9;
const SessionId = z.object({ id: z.number().int().positive() }).strict();
/**
 * verify (default true): check every stored chunk's checksum first, so damaged chunks count as
 * gaps. false answers at once from the stored statistics (damagedChunks null) — a page shows that,
 * then asks again verified.
 */
const SessionGet = z.object({ id: z.number().int().positive(), verify: z.boolean().optional() }).strict();

// ---------- calls (renderer → main) ----------

export const calls = {
  'app.info': { input: Empty, output: AppInfoSchema },
  'meters.drivers': { input: Empty, output: z.array(DriverInfoSchema) },
  'meters.ports': { input: z.object({}).strict(), output: z.array(PortInfoSchema) },
  'meters.connect': {
    input: z
      .object({
        spec: z.string().min(1).max(500),
        options: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
      })
      .strict(),
    output: MeterStatusSchema,
  },
  'meters.disconnect': { input: Empty, output: z.object({ ok: z.literal(true) }) },
  'meters.status': { input: Empty, output: MeterStatusSchema.nullable() },
  'sessions.start': {
    input: z.object({ name: z.string().max(200).optional(), notes: z.string().max(10_000).optional() }).strict(),
    output: SessionSummarySchema,
  },
  'sessions.stop': { input: Empty, output: SessionSummarySchema },
  /** Arms a recording trigger on the connected meter (syntax: main/session/trigger.ts). */
  'triggers.arm': {
    input: z
      .object({
        start: z.string().max(100).nullable(),
        stop: z.string().max(100).nullable(),
        holdoffS: z.number().min(0).max(3600).default(0),
        pretriggerS: z.number().min(0).max(10).default(0),
        name: z.string().max(200).optional(),
      })
      .strict(),
    output: TriggerStatusSchema,
  },
  'triggers.disarm': { input: Empty, output: TriggerStatusSchema.nullable() },
  'triggers.status': { input: Empty, output: TriggerStatusSchema.nullable() },
  'sessions.list': { input: Empty, output: z.array(SessionSummarySchema) },
  'sessions.get': { input: SessionGet, output: SessionSummarySchema },
  'sessions.trace': {
    input: z
      .object({
        id: z.number().int().positive(),
        channel: ChannelSchema.optional(),
        fromS: z.number().min(0).max(MAX_SESSION_S).optional(),
        toS: z.number().min(0).max(MAX_SESSION_S).optional(),
        points: z.number().int().min(10).max(20_000),
      })
      .strict(),
    output: TraceSchema,
  },
  'sessions.logic': {
    input: z
      .object({
        id: z.number().int().positive(),
        fromS: z.number().min(0).max(MAX_SESSION_S).optional(),
        toS: z.number().min(0).max(MAX_SESSION_S).optional(),
        points: z.number().int().min(10).max(20_000),
      })
      .strict(),
    output: LogicTraceSchema,
  },
  'sessions.export': {
    input: z
      .object({
        id: z.number().int().positive(),
        /** CSV (samples), JSON, Parquet (samples) or a self-contained HTML report. */
        format: z.enum(['csv', 'json', 'parquet', 'html']),
        /** Export only this range (seconds from session start); default the whole session. */
        fromS: z.number().min(0).max(MAX_SESSION_S).optional(),
        toS: z.number().min(0).max(MAX_SESSION_S).optional(),
      })
      .strict(),
    /** Electron writes the file where the user chose (savedTo); browser mode hands back a one-time downloadUrl. */
    output: z.object({
      fileName: z.string(),
      savedTo: z.string().optional(),
      downloadUrl: z.string().optional(),
      cancelled: z.boolean().optional(),
    }),
  },
  'sessions.stats': {
    input: z
      .object({
        id: z.number().int().positive(),
        fromS: z.number().min(0).max(MAX_SESSION_S).optional(),
        toS: z.number().min(0).max(MAX_SESSION_S).optional(),
      })
      .strict(),
    output: SelectionStatsSchema,
  },
  /** Rename a session or replace its notes. */
  'sessions.update': {
    input: z.object({ id: z.number().int().positive(), name: z.string().max(200).optional(), notes: z.string().max(10_000).optional() }).strict(),
    output: SessionSummarySchema,
  },
  /** Deletes a session with its samples, gaps, markers and inferences, and gives the space back (see docs/architecture.md). */
  'sessions.delete': {
    input: SessionId,
    output: z.object({ ok: z.literal(true), reclaimed: z.enum(['incremental-vacuum', 'vacuum', 'later']), freedBytes: z.number() }),
  },
  'markers.list': { input: SessionId, output: z.array(MarkerSchema) },
  'markers.add': {
    input: z
      .object({
        sessionId: z.number().int().positive(),
        tS: z.number().min(0).max(MAX_SESSION_S),
        endS: z.number().min(0).max(MAX_SESSION_S).nullable().optional(),
        label: z.string().max(200),
      })
      .strict(),
    output: MarkerSchema,
  },
  'markers.delete': {
    input: z.object({ sessionId: z.number().int().positive(), markerId: z.number().int().positive() }).strict(),
    output: z.object({ ok: z.literal(true) }),
  },
  'models.list': {
    input: Empty,
    output: z.object({
      models: z.array(ModelSummarySchema),
      invalid: z.array(z.object({ dir: z.string(), error: z.string() })),
    }),
  },
  'models.run': {
    input: z
      .object({
        model: z.string().min(1).max(200),
        mode: InferenceModeSchema,
        /** A number and a unit: 20MMAC, 3ms, 1.5mJ (see main/domain/budget.ts). */
        budget: z.string().max(40).optional(),
        limit: z.number().int().min(1).max(1000),
      })
      .strict(),
    output: InferenceRunSchema,
  },
  'engine.info': { input: Empty, output: BackendInfoSchema },
  /** Starts a profiling run with the connected meter; progress and the end arrive as 'profile.progress'. */
  'profile.start': {
    input: z
      .object({
        model: z.string().min(1).max(200),
        mode: InferenceModeSchema,
        budget: z.string().max(40).optional(),
        limit: z.number().int().min(1).max(100_000),
        dataset: z.enum(['sample', 'fashion-mnist']).optional(),
        checks: z.array(z.string().min(1).max(200)).max(50).optional(),
        baselineS: z.number().min(0.2).max(600).optional(),
        warmup: z.number().int().min(0).max(10_000).optional(),
        name: z.string().max(200).optional(),
        /** A calibrated cost table by name (costTables.list); absent: the model's analytic/profiled tables. */
        costTable: CostTableName.optional(),
        /** Fraction below the nominal hard budget that the engine enforces (0.1 = 10 %); needs a budget. */
        margin: z.number().min(0).max(0.89).optional(),
        /** The engine's executor; absent: the fastest available. */
        backend: BackendNameSchema.optional(),
      })
      .strict(),
    output: z.object({ sessionId: z.number().int() }),
  },
  'profile.cancel': { input: Empty, output: z.object({ ok: z.literal(true) }) },
  'budgets.list': { input: Empty, output: z.array(StoredBudgetSchema) },
  /** Stores a named budget; value is a number and a unit of the metric's kind (0.8mJ, 5ms, 20MMAC, 2J). */
  'budgets.add': {
    input: z
      .object({
        name: z.string().min(1).max(100),
        metric: BudgetMetricSchema,
        value: z.string().min(1).max(40),
        model: z.string().max(200).optional(),
        notes: z.string().max(10_000).optional(),
      })
      .strict(),
    output: StoredBudgetSchema,
  },
  'budgets.remove': { input: z.object({ name: z.string().min(1).max(100) }).strict(), output: StoredBudgetSchema },
  /** The calibrated cost tables; with a model (and backend), each says whether it can serve that run and why not. */
  'costTables.list': {
    input: z.object({ model: z.string().min(1).max(200).optional(), backend: BackendNameSchema.optional() }).strict(),
    output: z.array(CostTableSummarySchema),
  },
  /** Starts a calibration with the connected meter; progress and the result arrive as 'calibrate.progress'. */
  'calibrate.start': {
    input: z
      .object({
        model: z.string().min(1).max(200),
        runs: z.number().int().min(3).max(50),
        /** Inferences per run. */
        limit: z.number().int().min(10).max(100_000),
        backend: BackendNameSchema.optional(),
        name: CostTableName.optional(),
        warmup: z.number().int().min(0).max(10_000).optional(),
        /** Sessions per run, measured in turn (main/profile/calibrate/calibrate.ts CalibrateOptions.segments). */
        segments: z.number().int().min(1).max(20).optional(),
        baselineS: z.number().min(0.2).max(600).optional(),
        closingS: z.number().min(0).max(600).optional(),
        /** Wanted 95 % half-width of every run's mean energy per inference, relative (CalibrateOptions.precision). */
        precision: z.number().gt(0).max(0.5).optional(),
        /** No extension round starts that would end the calibration after this (s). */
        maxDurationS: z.number().min(1).max(86_400).optional(),
        maxExtraRounds: z.number().int().min(0).max(100).optional(),
      })
      .strict(),
    output: z.object({ ok: z.literal(true) }),
  },
  'calibrate.cancel': { input: Empty, output: z.object({ ok: z.literal(true) }) },
  'profile.get': {
    input: SessionId,
    output: z.object({
      result: ProfileResultSchema.nullable(),
      inferences: z.array(ProfileInferenceSchema),
      phases: z.array(ProfilePhaseIntervalSchema),
    }),
  },
  /** Budget sweeps stored in this database (sessions grouped by their 'sweep' marker), newest first. */
  'sweeps.list': { input: Empty, output: z.array(SweepListItemSchema) },
  /** One sweep's curves, rebuilt from its stored runs the same way the sweep computed them, and as the sweep's CSV. */
  'sweeps.get': { input: z.object({ sweepId: z.string().min(1).max(200) }).strict(), output: SweepSchema.extend({ csv: z.string() }) },
} as const;

// ---------- events (main → renderer) ----------

export const events = {
  'meter.status': MeterStatusSchema.nullable(),
  'meter.live': LiveBatchSchema,
  'session.recording': SessionSummarySchema.nullable(),
  'recording.trigger': TriggerStatusSchema.nullable(),
  'profile.progress': ProfileProgressSchema,
  'calibrate.progress': CalibrationProgressSchema,
} as const;

// ---------- derived types ----------

export type Calls = typeof calls;
export type CallName = keyof Calls;
export type CallInput<K extends CallName> = z.input<Calls[K]['input']>;
export type CallOutput<K extends CallName> = z.output<Calls[K]['output']>;
export type EventName = keyof typeof events;
export type EventPayload<K extends EventName> = z.output<(typeof events)[K]>;

export type DriverInfo = z.output<typeof DriverInfoSchema>;
export type PortInfo = z.output<typeof PortInfoSchema>;
export type MeterStatus = z.output<typeof MeterStatusSchema>;
export type SessionSummary = z.output<typeof SessionSummarySchema>;
export type Trace = z.output<typeof TraceSchema>;
export type LogicTrace = z.output<typeof LogicTraceSchema>;
export type LiveBatch = z.output<typeof LiveBatchSchema>;
export type TriggerStatusDto = z.output<typeof TriggerStatusSchema>;
export type RecordingTotalsDto = z.output<typeof RecordingTotalsSchema>;
export type AppInfo = z.output<typeof AppInfoSchema>;
export type ModelSummaryDto = z.output<typeof ModelSummarySchema>;
export type InferenceRun = z.output<typeof InferenceRunSchema>;
export type InferenceRecordDto = z.output<typeof InferenceRecordSchema>;
export type SelectionStatsDto = z.output<typeof SelectionStatsSchema>;
export type MarkerDto = z.output<typeof MarkerSchema>;
export type SweepDto = z.output<typeof SweepSchema>;
export type SweepPointDto = z.output<typeof SweepPointSchema>;
export type SweepListItemDto = z.output<typeof SweepListItemSchema>;
export type StoredBudgetDto = z.output<typeof StoredBudgetSchema>;
export type CostTableSummary = z.output<typeof CostTableSummarySchema>;
export type CalibrationProgressDto = z.output<typeof CalibrationProgressSchema>;

export const CALL_NAMES = Object.keys(calls) as CallName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

/**
 * The renderer's view of the API: one async function per call, plus event subscription.
 * Implemented by the Electron preload bridge and by the browser-mode WebSocket client.
 */
export interface DdiApi {
  call<K extends CallName>(name: K, input: CallInput<K>): Promise<CallOutput<K>>;
  on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void;
  readonly transport: 'electron' | 'browser';
}

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(calls, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}

/** IPC channel names are derived here so preload and main cannot disagree. */
export const ipcChannelForCall = (name: CallName): string => `ddi:call:${name}`;
export const ipcChannelForEvent = (name: EventName): string => `ddi:event:${name}`;
