/**
 * ExportRunner on its own: a reader that goes away cancels the worker, which has exited by the time
 * the export rejects; closing the runner cancels what runs; an in-memory database (which no second
 * connection can open) is exported on the caller's connection with the same bytes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportRunner } from '../../../main/export/export-runner';
import { openDatabase } from '../../../main/store/database';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { buildExportWorker, insertBigSession } from './export-fixtures';

let cleanupWorker: () => void = () => undefined;
beforeAll(async () => {
  cleanupWorker = await buildExportWorker();
});
afterAll(() => cleanupWorker());

function fileDb(chunks: number) {
  const dbPath = join(mkdtempSync(join(tmpdir(), 'ddi-runner-')), 'db.sqlite');
  const db = openDatabase(dbPath);
  const id = insertBigSession(new SessionsRepo(db), 100_000, chunks);
  return { db, dbPath, id };
}

/** A reader that takes `limit` bytes, then closes like an aborted download. */
function abortingReader(limit: number): Writable {
  let n = 0;
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      cb();
      if (n > limit) w.destroy();
    },
  });
  return w;
}

function collect(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (b: Buffer) => parts.push(b));
  return { out, text: () => Buffer.concat(parts).toString('utf8') };
}

describe('ExportRunner', () => {
  it('cancels the worker when the reader goes away; the worker has exited when the export rejects', async () => {
    const { db, dbPath, id } = fileDb(40);
    const runner = new ExportRunner({ db, dbPath });
    const run = runner.toStream({ id, format: 'csv' }, abortingReader(500_000));
    expect(runner.active).toBe(1);
    await expect(run).rejects.toMatchObject({ code: 'export-cancelled' });
    expect(runner.active).toBe(0);
    // The app's connection was never busy and still works.
    expect(new SessionsRepo(db).get(id).status).toBe('complete');
    db.close();
  });

  it('close() cancels a running export and waits for its worker', async () => {
    const { db, dbPath, id } = fileDb(40);
    const runner = new ExportRunner({ db, dbPath });
    // A reader that never drains: the worker waits on backpressure until it is cancelled.
    const stuck = new Writable({ highWaterMark: 1, write: () => undefined });
    const run = runner.toStream({ id, format: 'csv' }, stuck);
    const settled = run.then(
      () => 'resolved',
      (e: { code?: string }) => e.code,
    );
    await new Promise((r) => setTimeout(r, 300));
    await runner.close();
    expect(runner.active).toBe(0);
    expect(await settled).toBe('export-cancelled');
    await expect(runner.toStream({ id, format: 'csv' }, new PassThrough())).rejects.toMatchObject({ code: 'export-cancelled' });
    db.close();
  });

  it('exports an in-memory database on its own connection, byte for byte like the worker does for a file', async () => {
    const file = fileDb(2);
    const viaWorker = collect();
    await new ExportRunner({ db: file.db, dbPath: file.dbPath }).toStream({ id: file.id, format: 'csv' }, viaWorker.out);
    file.db.close();

    const mem = openDatabase(':memory:');
    const id = insertBigSession(new SessionsRepo(mem), 100_000, 2);
    const inProcess = collect();
    await new ExportRunner({ db: mem, dbPath: ':memory:' }).toStream({ id, format: 'csv' }, inProcess.out);
    mem.close();
    expect(inProcess.text().split('\n')).toHaveLength(50_002);
    expect(inProcess.text()).toBe(viaWorker.text());
  });
});
