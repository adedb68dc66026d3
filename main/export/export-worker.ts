/**
 * Export worker (worker_threads): reads the session on its own read-only connection to the database
 * file and sends the export's bytes to the host a piece at a time, never more than a few pieces
 * ahead of what the host has written. The app's connection is never used, so recording goes on
 * while it runs (WAL lets this reader see one consistent snapshot while the app writes), and the
 * formatting work never runs on the app's event loop. Bundled to dist/main/export-worker.cjs.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage, isUserError } from '../util/errors';
import { produceExport, type TextSink } from './export-content';
import type { ExportWorkerInit, FromExportWorker, ToExportWorker } from './export-protocol';

const port = parentPort;
if (!port) throw new Error('export-worker must run as a worker thread.');

/** Pieces sent but not yet written by the host: the backpressure window (pieces are ≈1 MB). */
const MAX_IN_FLIGHT = 4;

let inFlight = 0;
let cancelled = false;
let wake: (() => void) | undefined;

const onMessage = (m: ToExportWorker): void => {
  if (m.type === 'ack') inFlight--;
  else cancelled = true;
  wake?.();
};
port.on('message', onMessage);

class Cancelled extends Error {}

const send = (m: FromExportWorker, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);
const encoder = new TextEncoder();

const sink: TextSink = async (piece) => {
  if (cancelled) throw new Cancelled();
  // TextEncoder gives each piece its own ArrayBuffer, so it can be transferred instead of copied;
  // bytes (Parquet) are copied once into their own buffer for the same reason.
  const bytes = typeof piece === 'string' ? encoder.encode(piece) : new Uint8Array(piece);
  send({ type: 'data', bytes }, [bytes.buffer as ArrayBuffer]);
  inFlight++;
  while (inFlight >= MAX_IN_FLIGHT && !cancelled) {
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
  if (cancelled) throw new Cancelled();
};

async function run(): Promise<void> {
  const init = workerData as ExportWorkerInit;
  let db: Database.Database | undefined;
  try {
    db = new Database(init.dbPath, {
      readonly: true,
      fileMustExist: true,
      ...(init.nativeBinding ? { nativeBinding: init.nativeBinding } : {}),
    });
    db.pragma('busy_timeout = 5000');
    // One read transaction: the whole export is one snapshot, however long it takes.
    db.exec('BEGIN');
    await produceExport(db, init.request, sink);
    db.exec('COMMIT');
    send({ type: 'done' });
  } catch (e) {
    if (!(e instanceof Cancelled)) send({ type: 'error', message: errorMessage(e), code: isUserError(e) ? e.code : null });
  } finally {
    db?.close();
    // Nothing left to wait for: without a listener the thread ends on its own.
    port!.off('message', onMessage);
  }
}

void run();
