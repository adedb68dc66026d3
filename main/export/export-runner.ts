/**
 * Runs exports for the core without touching its connection or its event loop: each export is a
 * worker thread (export-worker.ts) with its own read-only connection to the database file, whose
 * bytes are written here to a file or an HTTP response with backpressure. A reader that goes away
 * (aborted download) or the app closing cancels the worker, which closes its connection and exits.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { Db } from '../store/database';
import { UserError } from '../util/errors';
import { checkExportRequest, produceExport, type ExportRequest } from './export-content';
import type { ExportWorkerInit, FromExportWorker, ToExportWorker } from './export-protocol';
import { checkExportTarget } from './export-target';
import { writeFileAtomically } from './atomic-file';
import { exportCancelled, writableSink } from './writable-sink';

export interface ExportRunnerOptions {
  /** The core's connection: used only for the up-front checks (one row), never for the bulk read. */
  db: Db;
  dbPath: string;
  nativeBinding?: string;
  workerPath?: string;
}

export interface FileExportOptions {
  /** Replace an existing file (the app's save dialog has asked already; the CLI needs --force). */
  force?: boolean;
}

/** How long a cancelled worker may take to close its connection before it is terminated. */
const CANCEL_GRACE_MS = 2000;

/** dist/main/export-worker.cjs next to the running bundle, else under the working directory. */
export function defaultExportWorkerPath(): string {
  if (process.env.DDI_EXPORT_WORKER_PATH) return resolve(process.env.DDI_EXPORT_WORKER_PATH);
  const beside = typeof __dirname === 'string' ? join(__dirname, 'export-worker.cjs') : null;
  if (beside && existsSync(beside)) return beside;
  return resolve('dist/main/export-worker.cjs');
}

export class ExportRunner {
  private readonly running = new Set<{ cancel(): void; done: Promise<unknown> }>();
  private closed = false;

  constructor(private readonly opts: ExportRunnerOptions) {}

  /** Writes the export to `path` atomically, after checking the session and the target. */
  async toFile(req: ExportRequest, path: string, options: FileExportOptions = {}): Promise<void> {
    checkExportRequest(this.opts.db, req);
    const target = { force: options.force ?? false, dbPath: this.opts.dbPath };
    checkExportTarget(path, target);
    await writeFileAtomically(path, (out) => this.toStream(req, out), target);
  }

  /**
   * Writes the export's bytes to `out` (does not end it). Rejects with 'export-cancelled' when `out`
   * closes first (a download aborted) or the runner is closed.
   */
  async toStream(req: ExportRequest, out: Writable): Promise<void> {
    if (this.closed) throw exportCancelled();
    checkExportRequest(this.opts.db, req);
    // An in-memory database exists only inside this connection: no second connection can read it,
    // so it is exported here, a page of chunks at a time (no statement stays open across a wait).
    if (this.opts.dbPath === ':memory:' || this.opts.dbPath === '') return this.inProcess(req, out);
    return this.inWorker(req, out);
  }

  /** Exports still running (a cancelled one counts until its worker has exited). */
  get active(): number {
    return this.running.size;
  }

  /** Cancels every running export and waits until their workers have exited. */
  async close(): Promise<void> {
    this.closed = true;
    const jobs = [...this.running];
    for (const job of jobs) job.cancel();
    await Promise.allSettled(jobs.map((j) => j.done));
  }

  private async inProcess(req: ExportRequest, out: Writable): Promise<void> {
    let cancelled = false;
    const done = produceExport(
      this.opts.db,
      req,
      writableSink(out, () => cancelled),
    );
    const job = { cancel: () => (cancelled = true), done };
    this.running.add(job);
    try {
      await done;
    } finally {
      this.running.delete(job);
    }
  }

  private inWorker(req: ExportRequest, out: Writable): Promise<void> {
    const path = this.opts.workerPath ?? defaultExportWorkerPath();
    if (!existsSync(path)) throw new Error(`Export worker ${path} not found; run \`npm run build:main\` first.`);
    const init: ExportWorkerInit = {
      dbPath: resolve(this.opts.dbPath),
      request: req,
      ...(this.opts.nativeBinding ? { nativeBinding: this.opts.nativeBinding } : {}),
    };
    // execArgv: [] so the worker does not inherit loader flags of the host process (test runners).
    const worker = new Worker(path, { workerData: init, execArgv: [] });
    let exited = false;
    let finished = false;
    let cancelled = false;
    let failure: Error | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const post = (m: ToExportWorker): void => {
      if (!exited) worker.postMessage(m);
    };
    const cancel = (): void => {
      if (cancelled || finished || exited) return;
      cancelled = true;
      post({ type: 'cancel' });
      killTimer = setTimeout(() => void worker.terminate(), CANCEL_GRACE_MS);
      killTimer.unref();
    };
    let outError: Error | undefined;
    const onOutGone = (): void => {
      if (!finished) cancel();
    };
    const onOutError = (e: Error): void => {
      outError ??= e;
      onOutGone();
    };
    out.on('close', onOutGone);
    out.on('error', onOutError);

    const done = new Promise<void>((resolvePromise, reject) => {
      worker.on('message', (m: FromExportWorker) => {
        if (m.type === 'data') {
          if (cancelled || out.destroyed) return;
          const buf = Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
          if (out.write(buf)) post({ type: 'ack' });
          else out.once('drain', () => post({ type: 'ack' }));
        } else if (m.type === 'done') {
          finished = true;
        } else {
          failure = m.code ? new UserError(m.message, m.code) : new Error(`The export failed: ${m.message}`);
        }
      });
      worker.on('error', (e) => {
        failure ??= e;
      });
      worker.on('exit', (code) => {
        exited = true;
        if (killTimer) clearTimeout(killTimer);
        out.off('close', onOutGone);
        out.off('error', onOutError);
        if (finished && !cancelled) resolvePromise();
        else if (cancelled) reject(outError ?? exportCancelled());
        else reject(failure ?? new Error(`The export worker stopped (exit code ${code}) before it finished.`));
      });
    });
    const job = { cancel, done };
    this.running.add(job);
    return done.finally(() => this.running.delete(job));
  }
}
