/**
 * Checksum worker (worker_threads): checks every stored chunk of one session against its CRC-32 on
 * its own read-only connection and sends back the damaged ones. Reading all of a 10 M-sample
 * session's BLOBs takes 40-125 ms, which must not stall the app's event loop (meter ingest, the
 * trace's zoom requests). Bundled to dist/main/verify-worker.cjs; the host is chunk-verifier.ts.
 */
import Database from 'better-sqlite3';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../util/errors';
import { findDamagedChunks } from './chunk-reader';
import type { FromVerifyWorker, VerifyWorkerInit } from './verify-protocol';

const port = parentPort;
if (!port) throw new Error('verify-worker must run as a worker thread.');

// A background check: on Linux a thread has its own nice value (setpriority on the calling thread),
// so this pass yields the cores to the event loop, the page and the meter instead of competing
// with them (on 2 cores it slowed a session page's first trace by tens of ms). Best effort.
try {
  setPriority(19);
} catch {
  // not permitted here: the check runs at the default priority
}

const init = workerData as VerifyWorkerInit;
let db: Database.Database | undefined;
let reply: FromVerifyWorker;
try {
  db = new Database(init.dbPath, { readonly: true, fileMustExist: true, ...(init.nativeBinding ? { nativeBinding: init.nativeBinding } : {}) });
  db.pragma('busy_timeout = 5000');
  reply = { type: 'done', damaged: findDamagedChunks(db, init.sessionId) };
} catch (e) {
  reply = { type: 'error', message: errorMessage(e) };
} finally {
  db?.close();
}
port.postMessage(reply);
