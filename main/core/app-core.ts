/**
 * The core behind both transports: owns the database, the connected meter, the live feed and the
 * recorder, and implements every call of the API contract. Electron IPC and the browser-mode
 * WebSocket both call handle(), which validates the payload against the contract first.
 */
import { basename } from 'node:path';
import type { Writable } from 'node:stream';
import {
  calls,
  type AppInfo,
  type CallInput,
  type CallName,
  type CallOutput,
  type EventName,
  type EventPayload,
  type MarkerDto,
  type CostTableSummary,
  type MeterStatus,
  type SessionSummary,
} from '../api/contract';
import { resolveRange, sessionStats } from '../analysis/session-stats';
import { MarkersRepo, VISIBLE_MARKER_KINDS, type MarkerRow } from '../store/markers-repo';
import { reclaimSpace } from '../store/reclaim-space';
import type { ApiErrorShape } from '../api/wire';
import { ExportRunner, exportFileName, type ExportFormat, type ExportTable, type FileExportFormat, type FileExportOptions } from '../export/session-export';
import { listPorts } from '../meters/discovery';
import { withReconnect } from '../meters/reconnecting-meter';
import { createMeter, listDrivers } from '../meters/registry';
import type { Channel, PowerMeter } from '../meters/types';
import { SessionRecorder, type FinalStatus, type RecorderOptions } from '../session/recorder';
import { closeDatabase, openDatabase, type Db } from '../store/database';
import { ChunkVerifier } from '../store/chunk-verifier';
import { queryLogic } from '../store/logic-query';
import { sessionSummary } from '../store/session-summary';
import { SessionsRepo, type SessionStats } from '../store/sessions-repo';
import { mergeGaps, queryTrace, traceExtent } from '../store/trace-query';
import { monotonicNs } from '../util/clock';
import { TypedEmitter } from '../util/emitter';
import { UserError, errorMessage, isUserError } from '../util/errors';
import { profileDetails } from '../profile/details';
import { BudgetsRepo, checkBudgetName } from '../store/budgets-repo';
import { parseBudget } from '../domain/budget';
import { modelHash as calibratedModelHash, thisMachine } from '../ddi/derived-tables';
import { readModelFile } from '../ddi/io';
import { calibratedTablesDir, checkTableFits, listCalibratedTables, loadCalibratedTable } from '../profile/calibrate/store';
import { checkSegments } from '../profile/calibrate/calibrate';
import { CalibrationJob } from './calibration-job';
import { ProfileRun } from '../profile/run';
import { listSweeps, storedSweep } from '../profile/sweep/stored';
import { sweepCsv } from '../profile/sweep/sweep';
import { zodSentence } from './contract-errors';
import { LiveFeed } from './live-feed';
import { TriggerArm, type TriggerStatus } from '../session/trigger-arm';
import { checkTriggerFits, parseTrigger, type BufferedItem } from '../session/trigger';
import { ModelRunner } from './model-runner';
import { readableSummary } from './session-rows';
import { APP_VERSION } from './version';

export type Transport = 'electron' | 'browser';

export type ExportOutput = CallOutput<'sessions.export'>;

export interface AppCoreOptions {
  dbPath: string;
  transport: Transport;
  nativeBinding?: string;
  /**
   * How this transport delivers an export: Electron asks where to save and calls exportSession();
   * browser mode hands out a one-time download URL served by writeSessionExport().
   */
  deliverExport?: (id: number, format: ExportFormat, fileName: string, range?: ExportRange) => Promise<ExportOutput>;
}

/** Part of a session to export, seconds from its start (either end may be left open). */
export interface ExportRange {
  fromS?: number;
  toS?: number;
}

type CoreEvents = { [K in EventName]: EventPayload<K> };

type Handlers = { [K in CallName]: (input: CallOutput<K> extends never ? never : InputOf<K>) => Promise<CallOutput<K>> | CallOutput<K> };
type InputOf<K extends CallName> = (typeof calls)[K]['input']['_zod']['output'];

export class ApiError extends Error {
  constructor(readonly shape: ApiErrorShape) {
    super(shape.message);
  }
}

const KIND_WORD = { energy: 'an energy', latency: 'a latency', macs: 'a MAC count' } as const;

const optionalStats = (stats: SessionStats | undefined): { stats?: SessionStats } => (stats ? { stats } : {});

function rangeOf(fromS: number | undefined, toS: number | undefined): ExportRange | undefined {
  if (fromS === undefined && toS === undefined) return undefined;
  return { ...(fromS !== undefined ? { fromS } : {}), ...(toS !== undefined ? { toS } : {}) };
}

function markerDto(sessionId: number, m: MarkerRow): MarkerDto {
  return { id: m.id, sessionId, kind: m.kind, tS: m.t_ns / 1e9, endS: m.end_ns === null ? null : m.end_ns / 1e9, label: m.label };
}

export class AppCore extends TypedEmitter<CoreEvents> {
  readonly repo: SessionsRepo;
  private meter: PowerMeter | undefined;
  private meterMessage: string | undefined;
  private live: LiveFeed | undefined;
  private recorder: SessionRecorder | undefined;
  private trigger: TriggerArm | undefined;
  private triggerStatus: TriggerStatus | null = null;
  private statusTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly models = new ModelRunner();
  private profiling: ProfileRun | undefined;
  private calibration: CalibrationJob | undefined;

  private constructor(
    readonly db: Db,
    private readonly options: AppCoreOptions,
  ) {
    super();
    this.repo = new SessionsRepo(db);
    this.repo.recoverInterrupted();
  }

  static open(options: AppCoreOptions): AppCore {
    const db = openDatabase(options.dbPath, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
    return new AppCore(db, options);
  }

  /** Validates a raw payload against the contract, runs the call, and returns its validated output. */
  async handle(name: string, rawInput: unknown): Promise<unknown> {
    if (!Object.prototype.hasOwnProperty.call(calls, name)) {
      throw new ApiError({ message: `Unknown call "${name}".`, code: 'unknown-call' });
    }
    const key = name as CallName;
    const parsed = calls[key].input.safeParse(rawInput ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` at "${issue.path.join('.')}"` : '';
      throw new ApiError({ message: `Invalid input for ${key}${where}: ${issue?.message ?? 'malformed payload'}.`, code: 'invalid-input' });
    }
    try {
      const handler = this.handlers[key] as (input: unknown) => unknown;
      const output = await handler(parsed.data);
      return calls[key].output.parse(output);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      if (isUserError(e)) throw new ApiError({ message: e.message, code: e.code });
      throw new ApiError({ message: `Internal error in ${key}: ${zodSentence(e) ?? errorMessage(e)}`, code: 'internal' });
    }
  }

  /** Typed convenience for in-process callers (CLI, tests). */
  async call<K extends CallName>(name: K, input: InputOf<K>): Promise<CallOutput<K>> {
    return (await this.handle(name, input)) as CallOutput<K>;
  }

  private readonly handlers: Handlers = {
    'app.info': (): AppInfo => ({
      name: 'DDI Profiler',
      version: APP_VERSION,
      transport: this.options.transport,
      databasePath: this.options.dbPath,
    }),
    'meters.drivers': () => listDrivers(),
    'meters.ports': () => listPorts(),
    'meters.connect': async ({ spec, options }) => this.connect(spec, options),
    'meters.disconnect': async () => {
      await this.disconnect();
      return { ok: true as const };
    },
    'meters.status': () => this.meterStatus(),
    'sessions.start': ({ name, notes }) => this.startRecording(name, notes),
    'sessions.stop': () => this.stopRecording(),
    'triggers.arm': (input) => this.armTrigger(input),
    'triggers.disarm': () => {
      this.disarmTrigger();
      return this.triggerStatus;
    },
    'triggers.status': () => this.triggerState(),
    // The list does not read every BLOB to check checksums (damagedChunks: null); sessions.get does.
    // A row the app cannot read is listed as damaged; it never makes the whole list fail.
    // The stats of every session come from three grouped queries (fast with thousands of sessions).
    'sessions.list': () => {
      const all = this.repo.allStats();
      return this.repo
        .list()
        .map((r) => readableSummary(this.repo, r, (x) => sessionSummary(this.repo, x, { verify: false, ...optionalStats(all.get(x.id)) })));
    },
    'sessions.get': async ({ id, verify }) => {
      if (verify === false) return readableSummary(this.repo, this.repo.get(id), (r) => sessionSummary(this.repo, r, { verify: false }));
      this.repo.get(id); // an unknown id is refused before any worker starts
      const damaged = await this.verifier.damaged(id);
      return readableSummary(this.repo, this.repo.get(id), (r) => sessionSummary(this.repo, r, { damaged }));
    },
    'sessions.trace': ({ id, channel, fromS, toS, points }) => {
      const { channels, from, to } = this.traceWindow(id, fromS, toS);
      const ch = channel ?? (channels.includes('power') ? 'power' : (channels[0] ?? 'power'));
      const trace = queryTrace(this.db, { sessionId: id, channel: ch, fromS: from, toS: to, points });
      return {
        sessionId: id,
        channel: ch,
        fromS: from,
        toS: to,
        ...trace,
        gaps: mergeGaps(this.repo.gaps(id, from * 1e9, to * 1e9), trace.damaged ?? []),
      };
    },
    'sessions.logic': ({ id, fromS, toS, points }) => {
      const { from, to } = this.traceWindow(id, fromS, toS);
      const logic = queryLogic(this.db, { sessionId: id, fromS: from, toS: to, points });
      return {
        sessionId: id,
        fromS: from,
        toS: to,
        bucketS: logic.bucketS,
        high: logic.high,
        low: logic.low,
        covered: logic.covered,
        // Stored digital bytes carry no names; D0–D7 as the PPK2 labels them.
        names: logic.present ? Array.from({ length: 8 }, (_, k) => `D${k}`) : [],
      };
    },
    'sessions.export': async ({ id, format, fromS, toS }) => {
      this.repo.get(id);
      if (!this.options.deliverExport) {
        throw new UserError('This transport cannot deliver files; use "ddi-profiler export" instead.', 'unsupported');
      }
      const range = rangeOf(fromS, toS);
      if (range && format === 'html') {
        throw new UserError(
          'The HTML report covers the whole session; export it without a selected range, or export the range as CSV, JSON or Parquet.',
          'bad-format',
        );
      }
      // A bad range is refused here, before a save dialog opens or a download link exists.
      if (range) resolveRange(this.db, id, range);
      return this.options.deliverExport(id, format, exportFileName(id, format), ...(range ? [range] : []));
    },
    'sessions.stats': ({ id, fromS, toS }) => ({ sessionId: id, ...sessionStats(this.db, id, rangeOf(fromS, toS) ?? {}) }),
    'sessions.update': ({ id, name, notes }) => {
      const trimmed = name?.trim();
      if (trimmed !== undefined && trimmed === '') throw new UserError('A session name cannot be empty; type at least one character.', 'bad-name');
      this.repo.update(id, { ...(trimmed !== undefined ? { name: trimmed } : {}), ...(notes !== undefined ? { notes } : {}) });
      return readableSummary(this.repo, this.repo.get(id));
    },
    'sessions.delete': ({ id }) => {
      if (this.recorder?.sessionId === id) throw new UserError(`Session ${id} is still recording; stop it before deleting it.`, 'busy');
      this.repo.delete(id);
      // A full VACUUM (older databases only) rewrites the file: never while anything records or exports.
      const idle = !this.recorder && !this.profiling && !this.calibration && (this.exportRunner?.active ?? 0) === 0;
      return { ok: true as const, ...reclaimSpace(this.db, { idle }) };
    },
    'markers.list': ({ id }) => {
      this.repo.get(id);
      return new MarkersRepo(this.db).list(id, VISIBLE_MARKER_KINDS).map((m) => markerDto(id, m));
    },
    'markers.add': ({ sessionId, tS, endS, label }) => {
      this.repo.get(sessionId);
      const text = label.trim();
      if (text === '') throw new UserError('A marker needs a label; type a few words saying what happens there.', 'bad-marker');
      const end = endS ?? null;
      if (end !== null && !(end > tS))
        throw new UserError(`The marker's end (${end} s) must come after its start (${tS} s); drag from left to right or leave the end empty.`, 'bad-marker');
      const markers = new MarkersRepo(this.db);
      const markerId = markers.add(sessionId, { tNs: tS * 1e9, endNs: end === null ? null : end * 1e9, kind: 'note', label: text, data: null });
      return markerDto(sessionId, markers.get(sessionId, markerId));
    },
    'markers.delete': ({ sessionId, markerId }) => {
      new MarkersRepo(this.db).deleteNote(sessionId, markerId);
      return { ok: true as const };
    },
    'models.list': () => this.models.list(),
    'models.run': (input) => this.models.run(input),
    'engine.info': () => this.models.backend(),
    'profile.start': (input) => this.startProfile(input),
    'profile.cancel': () => {
      this.profiling?.cancel();
      return { ok: true as const };
    },
    'profile.get': ({ id }) => profileDetails(this.db, id),
    'budgets.list': () => new BudgetsRepo(this.db).list(),
    'budgets.add': ({ name, metric, value, model, notes }) => {
      const n = checkBudgetName(name);
      const parsed = parseBudget(value);
      const kind = metric === 'macs_per_inference' ? 'macs' : metric === 'latency_per_inference' ? 'latency' : 'energy';
      if (parsed.kind !== kind) {
        const example = { energy: '0.8 mJ', latency: '5 ms', macs: '20 MMAC' }[kind];
        throw new UserError(`${value} is ${KIND_WORD[parsed.kind]}, but this budget measures ${KIND_WORD[kind]}; give a value like ${example}.`, 'bad-budget');
      }
      return new BudgetsRepo(this.db).add({ name: n, metric, value: parsed.value, model: model ?? null, notes: notes ?? '' });
    },
    'budgets.remove': ({ name }) => new BudgetsRepo(this.db).remove(name),
    'costTables.list': (input) => this.listCostTables(input),
    'calibrate.start': (input) => this.startCalibration(input),
    'calibrate.cancel': () => {
      this.calibration?.cancel();
      return { ok: true as const };
    },
    'sweeps.list': () => listSweeps(this.db),
    'sweeps.get': ({ sweepId }) => {
      const sweep = storedSweep(this.db, sweepId);
      return { ...sweep, csv: sweepCsv(sweep) };
    },
  };

  /**
   * Starts a profiling run in the background and answers once its session exists (or with the
   * reason it could not start). Progress, the end and any failure arrive as 'profile.progress'.
   */
  private async startProfile(input: CallInput<'profile.start'>): Promise<{ sessionId: number }> {
    if (this.profiling) throw new UserError('A profiling run is already going; cancel it or wait for it to finish.', 'busy');
    if (this.calibration) throw new UserError('A calibration is going; cancel it or wait for it to finish before profiling.', 'busy');
    const model = await this.models.resolve(input.model);
    const checks = new BudgetsRepo(this.db).resolve(input.checks ?? [], basename(model.dir));
    if (input.margin && !input.budget)
      throw new UserError('A margin shrinks a hard budget; give a budget (mode radi or ddi) or set the margin to 0.', 'bad-margin');
    const costTable = input.costTable ? loadCalibratedTable(calibratedTablesDir(this.options.dbPath), input.costTable) : null;
    const engine = await this.models.engineFor(input.backend);
    const run = new ProfileRun(
      this,
      engine,
      model.dir,
      {
        model: input.model,
        dataset: input.dataset ?? 'sample',
        limit: input.limit,
        mode: input.mode,
        budget: input.budget ?? null,
        checks,
        ...(input.baselineS !== undefined ? { baselineS: input.baselineS } : {}),
        ...(input.warmup !== undefined ? { warmup: input.warmup } : {}),
        ...(input.name ? { name: input.name } : {}),
        costTable,
        margin: input.margin ?? 0,
      },
      (p) => this.emit('profile.progress', p),
    );
    this.profiling = run;
    return new Promise((resolve, reject) => {
      let started = false;
      run.onSessionStarted = (sessionId) => {
        started = true;
        resolve({ sessionId });
      };
      run
        .run()
        .then((result) =>
          this.emit('profile.progress', { sessionId: result.sessionId, phase: 'done', done: result.inferences, total: input.limit, elapsedS: 0, etaS: null }),
        )
        .catch((e: unknown) => {
          if (!started) reject(e);
          else
            this.emit('profile.progress', { sessionId: null, phase: 'failed', done: 0, total: input.limit, elapsedS: 0, etaS: null, message: errorMessage(e) });
        })
        .finally(() => {
          if (this.profiling === run) this.profiling = undefined;
        });
    });
  }

  /** Starts a calibration in the background once the request is checked; the rest arrives as 'calibrate.progress'. */
  private async startCalibration(input: CallInput<'calibrate.start'>): Promise<{ ok: true }> {
    if (this.calibration) throw new UserError('A calibration is already going; cancel it or wait for it to finish.', 'busy');
    if (this.profiling) throw new UserError('A profiling run is going; cancel it or wait for it to finish before calibrating.', 'busy');
    const meter = this.meterStatus();
    if (!meter || meter.state === 'error' || meter.state === 'closed') {
      throw new UserError('Connect a meter on the Meters page before calibrating; the calibration measures every run with it.', 'no-meter');
    }
    const model = await this.models.resolve(input.model);
    const tablesDir = calibratedTablesDir(this.options.dbPath);
    if (input.name && listCalibratedTables(tablesDir).some((t) => t.name === input.name)) {
      throw new UserError(`A cost table named ${input.name} exists already; choose another name.`, 'cost-table-exists');
    }
    const minRuns = model.layerGates || model.channelGates ? 4 : 3;
    if (input.runs < minRuns) {
      throw new UserError(
        `${input.runs} runs cannot calibrate this model; use ${minRuns} to 50 (${minRuns === 4 ? 'static and iadi' : 'static'} plus at least two budgeted runs, one of them held out).`,
        'bad-runs',
      );
    }
    if (input.segments !== undefined) checkSegments(input.segments, input.limit);
    const engine = await this.models.engineFor(input.backend);
    const job = new CalibrationJob(
      this,
      engine,
      {
        modelDir: model.dir,
        dataset: 'sample',
        limit: input.limit,
        runs: input.runs,
        // One pass over the run's own inputs, as the CLI does: a cold run's cache misses and JIT are not the board's steady cost.
        warmup: input.warmup ?? input.limit,
        ...(input.segments !== undefined ? { segments: input.segments } : {}),
        baselineS: input.baselineS ?? 1,
        closingS: input.closingS ?? 0.5,
        ...(input.precision !== undefined ? { precision: input.precision } : {}),
        ...(input.maxDurationS !== undefined ? { maxDurationS: input.maxDurationS } : {}),
        ...(input.maxExtraRounds !== undefined ? { maxExtraRounds: input.maxExtraRounds } : {}),
        ...(input.name ? { name: input.name } : {}),
        tablesDir,
        meter: { spec: meter.spec, label: meter.label, simulated: meter.simulated },
      },
      (p) => this.emit('calibrate.progress', p),
    );
    this.calibration = job;
    void job.run().finally(() => {
      if (this.calibration === job) this.calibration = undefined;
    });
    return { ok: true };
  }

  /** The calibrated tables beside the database; with a model, whether each fits it (model, machine, backend). */
  private async listCostTables(input: CallInput<'costTables.list'>): Promise<CostTableSummary[]> {
    const tables = listCalibratedTables(calibratedTablesDir(this.options.dbPath));
    const model = input.model ? await this.models.resolve(input.model) : null;
    const hash = model ? calibratedModelHash(readModelFile(model.dir)) : null;
    const running = await this.models.backend();
    return tables.map((t) => {
      let reason: string | null = null;
      if (model && hash) {
        // Another backend than the running one is compared by name; its version is checked when a run starts it.
        const backend = !input.backend || input.backend === running.name ? running : { name: input.backend, version: t.backend.version };
        try {
          checkTableFits(t, { modelName: basename(model.dir), modelHash: hash, machine: thisMachine(), backend });
        } catch (e) {
          reason = errorMessage(e);
        }
      }
      const mape = (t.report as { heldOut?: { energyMape?: unknown } }).heldOut?.energyMape;
      return {
        name: t.name,
        model: t.model,
        backend: t.backend,
        machine: t.machine,
        meter: t.meter,
        createdAt: t.createdAt,
        heldOutEnergyMape: typeof mape === 'number' ? mape : null,
        usable: reason === null,
        reason,
      };
    });
  }

  async connect(spec: string, options?: Record<string, unknown>): Promise<MeterStatus> {
    if (this.recorder) throw new UserError('Stop the recording before connecting another meter.', 'busy');
    return this.attachMeter(withReconnect(createMeter(spec, options)), spec);
  }

  /** Opens and uses a meter object (connect() builds one from a spec; tests and embedders pass their own). */
  async attachMeter(meter: PowerMeter, spec = meter.spec): Promise<MeterStatus> {
    if (this.recorder) throw new UserError('Stop the recording before connecting another meter.', 'busy');
    await this.disconnect();
    this.meter = meter;
    this.meterMessage = undefined;
    meter.on('state', (s) => {
      this.meterMessage = s.message;
      this.emit('meter.status', this.meterStatus());
    });
    try {
      await meter.open();
    } catch (e) {
      this.meter = undefined;
      await meter.close().catch(() => undefined);
      if (isUserError(e)) throw e;
      throw new UserError(`Could not connect to ${spec}: ${errorMessage(e)}`, 'connect-failed');
    }
    this.live = new LiveFeed(
      meter,
      monotonicNs(),
      (batch) => this.emit('meter.live', batch),
      () => (this.recorder ? { sessionId: this.recorder.sessionId, ...this.recorder.totals() } : null),
    );
    this.statusTimer = setInterval(() => {
      this.emit('meter.status', this.meterStatus());
      if (this.recorder) this.emit('session.recording', this.recordingSummary());
    }, 500);
    this.statusTimer.unref?.();
    const status = this.meterStatus()!;
    this.emit('meter.status', status);
    return status;
  }

  async disconnect(): Promise<void> {
    this.disarmTrigger();
    if (this.recorder) await this.stopRecording();
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.statusTimer = undefined;
    this.live?.stop();
    this.live = undefined;
    const meter = this.meter;
    this.meter = undefined;
    if (meter) {
      await meter.close().catch(() => undefined);
      this.emit('meter.status', null);
    }
  }

  meterStatus(): MeterStatus | null {
    const m = this.meter;
    if (!m) return null;
    const status: MeterStatus = {
      spec: m.spec,
      driver: m.driver,
      label: m.label,
      simulated: m.capabilities.simulated,
      state: m.state,
      channels: m.capabilities.channels,
      sampleRateHz: m.capabilities.sampleRateHz,
      counters: m.counters(),
    };
    if (this.meterMessage) status.message = this.meterMessage;
    return status;
  }

  /** Holds the recording's writes back until the returned release (SessionRecorder.deferStorage); a no-op when nothing records. */
  deferStorage(): () => void {
    return this.recorder?.deferStorage() ?? (() => undefined);
  }

  startRecording(
    name?: string,
    notes?: string,
    extra: Pick<RecorderOptions, 'kind' | 'model' | 'backend' | 'startNs' | 'backlog' | 'stopAtNs'> = {},
  ): SessionSummary & { startMonoNs: number } {
    if (!this.meter) throw new UserError('Connect a meter before recording (Meters page, or --meter on the CLI).', 'no-meter');
    if (this.recorder) throw new UserError(`Session ${this.recorder.sessionId} is already recording; stop it first.`, 'busy');
    if (this.trigger?.phase === 'armed' && extra.startNs === undefined) {
      throw new UserError('A trigger is armed and will start the recording; disarm it to record now.', 'busy');
    }
    const label = name?.trim() || `Power session ${new Date().toISOString().replace('T', ' ').slice(0, 19)}`;
    const recorder = new SessionRecorder(this.repo, this.meter, { name: label, ...(notes ? { notes } : {}), ...extra });
    recorder.on('error', ({ message }) => {
      this.meterMessage = message;
      this.emit('meter.status', this.meterStatus());
    });
    this.recorder = recorder;
    const summary = this.recordingSummary()!;
    this.emit('session.recording', summary);
    return { ...summary, startMonoNs: recorder.startNs };
  }

  /**
   * Ends the recording at this moment: waits for samples measured before now that are still in
   * transit, then closes the session (status 'incomplete' when the meter was lost and not back).
   */
  async stopRecording(reason?: string, status: FinalStatus = 'complete', atNs?: number): Promise<SessionSummary> {
    const recorder = this.recorder;
    if (!recorder) throw new UserError('Nothing is recording.', 'not-recording');
    // A stop by hand ends a trigger's session too; the trigger's own stop passes its crossing time.
    if (atNs === undefined) this.disarmTrigger();
    await recorder.drain(atNs);
    if (this.recorder !== recorder) return sessionSummary(this.repo, this.repo.get(recorder.sessionId));
    recorder.stop(status, reason);
    this.recorder = undefined;
    this.emit('session.recording', null);
    return sessionSummary(this.repo, this.repo.get(recorder.sessionId));
  }

  /**
   * Arms a recording trigger on the connected meter: start on a crossing (session from the crossing
   * minus the pre-trigger), stop on another, or record now and stop on a crossing (start null).
   */
  armTrigger(input: { start: string | null; stop: string | null; holdoffS?: number; pretriggerS?: number; name?: string }): TriggerStatus {
    const meter = this.meter;
    if (!meter) throw new UserError('Connect a meter before arming a trigger (Meters page, or --meter on the CLI).', 'no-meter');
    if (this.recorder) throw new UserError(`Session ${this.recorder.sessionId} is recording; stop it before arming a trigger.`, 'busy');
    const start = input.start?.trim() ? parseTrigger(input.start) : null;
    const stop = input.stop?.trim() ? parseTrigger(input.stop) : null;
    if (!start && !stop) throw new UserError('Give a start or a stop condition (e.g. power>0.5W) to arm a trigger.', 'bad-trigger');
    for (const c of [start, stop]) if (c) checkTriggerFits(c, meter.capabilities, meter.driver);
    const holdoffS = input.holdoffS ?? 0;
    const pretriggerS = input.pretriggerS ?? 0;
    if (!(holdoffS >= 0 && holdoffS <= 3600)) throw new UserError('The hold-off must be from 0 to 3600 s.', 'bad-trigger');
    if (!(pretriggerS >= 0 && pretriggerS <= 10)) throw new UserError('The pre-trigger must be from 0 to 10 s.', 'bad-trigger');
    this.disarmTrigger();
    const name = input.name?.trim() || `Triggered session ${new Date().toISOString().replace('T', ' ').slice(0, 19)}`;
    // The arm may report (start its session) inside its constructor, before `arm` is assigned.
    let arm: TriggerArm | undefined;
    arm = new TriggerArm(
      meter,
      { start, stop, holdoffS, pretriggerS },
      {
        start: (startNs: number, backlog: BufferedItem[], stopAtNs: number | undefined) =>
          this.startRecording(name, undefined, { startNs, backlog, ...(stopAtNs !== undefined ? { stopAtNs } : {}) }).id,
        stop: (atNs: number) => (this.recorder ? this.stopRecording(`Stopped by the trigger ${stop?.text ?? ''}.`, 'complete', atNs) : Promise.resolve()),
        changed: (status) => {
          if (arm && this.trigger !== arm) return;
          this.triggerStatus = status;
          if (status.phase === 'done' || status.phase === 'failed') this.trigger = undefined;
          this.emit('recording.trigger', status);
        },
      },
      monotonicNs(),
    );
    // A trigger without a start condition has started its session inside the constructor.
    this.trigger = arm.phase === 'armed' || arm.phase === 'recording' ? arm : undefined;
    this.triggerStatus = { ...arm.status };
    this.emit('recording.trigger', this.triggerStatus);
    return this.triggerStatus;
  }

  /** The trigger's latest state (also after it finished), or null when none was armed. */
  triggerState(): TriggerStatus | null {
    return this.triggerStatus;
  }

  /** Disarms the trigger (a session it started keeps recording until stopped). */
  disarmTrigger(): void {
    const arm = this.trigger;
    if (!arm) return;
    arm.cancel(); // emits the final status through changed()
  }

  private recordingSummary(): SessionSummary | null {
    return this.recorder ? sessionSummary(this.repo, this.repo.get(this.recorder.sessionId), { verify: false }) : null;
  }

  /** A trace's window in seconds (default: the whole session, never empty) and the session's channels. */
  private traceWindow(id: number, fromS: number | undefined, toS: number | undefined): { channels: Channel[]; from: number; to: number } {
    const extent = traceExtent(this.db, this.repo.get(id));
    const from = fromS ?? 0;
    return { channels: extent.channels, from, to: Math.max(toS ?? extent.durationS, from + 1e-6) };
  }

  /** Checksums are checked in a worker on their own read-only connection (chunk-verifier.ts). */
  private chunkVerifier: ChunkVerifier | undefined;
  private get verifier(): ChunkVerifier {
    this.chunkVerifier ??= new ChunkVerifier({
      db: this.db,
      dbPath: this.options.dbPath,
      ...(this.options.nativeBinding ? { nativeBinding: this.options.nativeBinding } : {}),
    });
    return this.chunkVerifier;
  }

  /** Exports run in a worker on their own read-only connection (export-runner.ts), so recording goes on. */
  private exportRunner: ExportRunner | undefined;
  private get exports(): ExportRunner {
    this.exportRunner ??= new ExportRunner({
      db: this.db,
      dbPath: this.options.dbPath,
      ...(this.options.nativeBinding ? { nativeBinding: this.options.nativeBinding } : {}),
    });
    return this.exportRunner;
  }

  /**
   * Writes an export file (Electron after its save dialog, the CLI). An existing file is replaced
   * unless `force: false` (the save dialog has asked already; the CLI passes its --force).
   */
  exportSession(
    id: number,
    format: FileExportFormat,
    path: string,
    options: FileExportOptions & { table?: ExportTable; range?: ExportRange; samples?: boolean } = {},
  ): Promise<void> {
    const req = { id, format, ...(options.table ? { table: options.table } : {}), ...(options.samples ? { samples: true } : {}), ...options.range };
    return this.exports.toFile(req, path, { force: options.force ?? true });
  }

  /** Streams an export (browser-mode download); rejects with 'export-cancelled' when `out` closes first. */
  writeSessionExport(id: number, format: ExportFormat, out: Writable, range?: ExportRange): Promise<void> {
    return this.exports.toStream({ id, format, ...range }, out);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.disconnect();
    await this.models.close();
    await this.exportRunner?.close(); // cancels running exports; their workers have exited after this
    this.removeAllListeners();
    closeDatabase(this.db);
  }
}
