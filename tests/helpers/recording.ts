// A fresh database with a recorder on a fake meter, and the square wave the recording tests push.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionRecorder } from '../../main/session/recorder';
import { openDatabase } from '../../main/store/database';
import { SessionsRepo } from '../../main/store/sessions-repo';
import { FakeMeter } from './fake-meter';

export function recordingSetup() {
  const dir = mkdtempSync(join(tmpdir(), 'ddi-rec-'));
  const db = openDatabase(join(dir, 'db.sqlite'));
  const repo = new SessionsRepo(db);
  const meter = new FakeMeter();
  const rec = new SessionRecorder(repo, meter, { name: 'test' });
  return { dir, db, repo, meter, rec };
}

/** A square wave: 2 W for 10 ms, 1 W for 10 ms, at 5 V; sample i at 1 kS/s. */
export const squareWave = (i: number): [number, number, number] => {
  const p = Math.floor(i / 10) % 2 === 0 ? 2 : 1;
  return [p / 5, 5, p];
};
