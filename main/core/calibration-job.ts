/**
 * A calibration started from the app: runs main/profile/calibrate's calibrate() in the background
 * with the connected meter, turns its per-run progress into one progress of the whole calibration
 * (profiling session n of N, an ETA over all of them), and ends with the result or one sentence. The logic of
 * planning, fitting and storing stays in calibrate.ts.
 */
import type { CalibrationProgressDto } from '../api/contract';
import type { EngineWorkerHost } from '../ddi/worker/host';
import { calibrate, type CalibrateOptions, type CalibrationProgress, type CalibrationResult } from '../profile/calibrate/calibrate';
import type { ProfileRun } from '../profile/run';
import { segmentsFor } from '../domain/calibration-segments';
import { monotonicNs } from '../util/clock';
import { errorMessage, isUserError } from '../util/errors';
import type { AppCore } from './app-core';

/**
 * Seconds left for the whole calibration: the current run's remainder (its own ETA while it infers,
 * else the mean length of the runs finished so far less its elapsed time) plus that mean (or this
 * run's projected length) for every run still to come. Null while nothing says how long a run takes.
 */
export function calibrationEta(p: Pick<CalibrationProgress, 'run' | 'runs' | 'elapsedS' | 'etaS'>, finishedRunsS: readonly number[]): number | null {
  const mean = finishedRunsS.length ? finishedRunsS.reduce((s, x) => s + x, 0) / finishedRunsS.length : null;
  const thisRun = p.etaS !== null ? p.elapsedS + p.etaS : mean;
  if (thisRun === null) return null;
  const left = p.etaS !== null ? p.etaS : Math.max(0, thisRun - p.elapsedS);
  return left + (p.runs - p.run) * (mean ?? thisRun);
}

export class CalibrationJob {
  private cancelled = false;
  private readonly t0 = monotonicNs();
  private readonly finishedRunsS: number[] = [];
  private current = { run: 0, startedNs: 0 };

  constructor(
    private readonly core: AppCore,
    private readonly engine: EngineWorkerHost,
    private readonly options: CalibrateOptions,
    private readonly emit: (p: CalibrationProgressDto) => void,
  ) {}

  private profiling: ProfileRun | null = null;

  /** Stops the profiling run going on (kept as cancelled) and plans no further run. */
  cancel(): void {
    this.cancelled = true;
    this.profiling?.cancel();
  }

  /** Runs to the end; never rejects (the end, good or bad, is an event). */
  async run(): Promise<CalibrationResult | null> {
    // Progress counts profiling sessions: every run is measured in segments (and possibly extension rounds).
    const runs = this.options.runs * segmentsFor(this.options.limit, this.options.segments);
    const base = { run: 0, runs, sessionId: null, done: 0, total: 0, etaS: null };
    this.emit({ ...base, phase: 'starting', elapsedS: 0 });
    let last = null as CalibrationProgress | null;
    try {
      const options = { ...this.options, onRun: (r: ProfileRun) => (this.profiling = r) };
      const result = await calibrate(
        this.core,
        this.engine,
        options,
        (p) => this.progress((last = p)),
        () => this.cancelled,
      );
      // Extension rounds (calibrate.ts, precision) add sessions beyond the planned ones.
      const total = last?.runs ?? runs;
      this.emit({
        ...base,
        run: total,
        runs: total,
        sessionId: null,
        phase: 'done',
        elapsedS: this.elapsedS(),
        result: result as unknown as CalibrationProgressDto['result'],
      });
      return result;
    } catch (e) {
      // Cancelled mid-run, calibrate() sees a run that ended early; say what happened instead.
      const cancelled = this.cancelled && isUserError(e);
      const run = last?.run ?? 0;
      this.emit({
        ...base,
        run,
        sessionId: last?.sessionId ?? null,
        phase: cancelled ? 'cancelled' : 'failed',
        elapsedS: this.elapsedS(),
        message: cancelled
          ? `Calibration cancelled ${run ? `during session ${run} of ${runs}` : 'before its first session'}; nothing was stored as a cost table (the sessions are kept).`
          : errorMessage(e),
      });
      return null;
    }
  }

  private progress(p: CalibrationProgress): void {
    const now = monotonicNs();
    if (p.run !== this.current.run) {
      if (this.current.run > 0) this.finishedRunsS.push((now - this.current.startedNs) / 1e9);
      this.current = { run: p.run, startedNs: now };
    }
    const runElapsedS = (now - this.current.startedNs) / 1e9;
    // The last run's analysis is followed by the fit; say so rather than sit at "analysis".
    const phase = p.phase === 'analysis' && p.run === p.runs ? 'fit' : p.phase;
    this.emit({
      phase,
      run: p.run,
      runs: p.runs,
      sessionId: p.sessionId,
      done: p.done,
      total: p.total,
      elapsedS: this.elapsedS(),
      etaS: calibrationEta({ run: p.run, runs: p.runs, elapsedS: runElapsedS, etaS: p.etaS }, this.finishedRunsS),
    });
  }

  private elapsedS(): number {
    return (monotonicNs() - this.t0) / 1e9;
  }
}
