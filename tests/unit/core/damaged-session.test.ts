import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionSummary } from '../../../main/api/contract';
import { AppCore } from '../../../main/core/app-core';
import { SessionRecorder } from '../../../main/session/recorder';
import { openDatabase } from '../../../main/store/database';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { runCli } from '../../helpers/cli';
import { FakeMeter, makeChunk } from '../../helpers/fake-meter';

/** Three recorded sessions, then two of them damaged behind the app's back with plain SQL. */
function damagedDatabase(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ddi-damaged-')), 'db.sqlite');
  const db = openDatabase(path);
  const repo = new SessionsRepo(db);
  for (const name of ['good', 'bad channels', 'infinite power']) {
    const meter = new FakeMeter();
    const rec = new SessionRecorder(repo, meter, { name });
    meter.push(makeChunk(rec.startNs + 1e6, 1000, 500, () => [0.2, 5, 1]));
    rec.stop();
  }
  db.prepare(`UPDATE sessions SET channels = '[oops' WHERE name = 'bad channels'`).run();
  // What an older version stored for the sim meter at idle power 1e99 W: an infinite mean power.
  db.prepare(`UPDATE sample_chunks SET power_mean = 9e999 WHERE session_id = (SELECT id FROM sessions WHERE name = 'infinite power')`).run();
  db.close();
  return path;
}

let core: AppCore | undefined;
afterEach(async () => {
  await core?.close();
  core = undefined;
});

describe('a session row the app cannot read', () => {
  it('is listed as damaged by sessions.list, with its name and status, and the others stay as they are', async () => {
    core = AppCore.open({ dbPath: damagedDatabase(), transport: 'browser' });
    const list = (await core.handle('sessions.list', {})) as SessionSummary[];
    expect(list.map((s) => [s.name, s.status, s.damaged !== undefined])).toEqual([
      ['infinite power', 'complete', true],
      ['bad channels', 'complete', true],
      ['good', 'complete', false],
    ]);
    const [inf, chan, good] = list;
    expect(good!.samples).toBe(500);
    expect(good!.meanPowerW).toBeCloseTo(1, 5);
    expect(inf!.damaged).toBe(`Session ${inf!.id} cannot be read in full (its meanPowerW is Infinity); its stored data are kept as they are.`);
    expect(inf!.meanPowerW).toBeNull();
    expect(inf!.channels).toEqual(['current', 'voltage', 'power']);
    expect(chan!.damaged).toMatch(new RegExp(`^Session ${chan!.id} cannot be read in full \\(.*JSON.*\\); its stored data are kept as they are\\.$`));
    expect(chan!.damaged).not.toContain('\n');
    expect(chan!.meter?.spec).toBe('fake');
    // The single session is readable too, not an internal error.
    const one = (await core.handle('sessions.get', { id: inf!.id })) as SessionSummary;
    expect(one.damaged).toBeDefined();
    expect(one.name).toBe('infinite power');
  });

  it('does not break "ddi-profiler sessions" (text and JSON)', () => {
    const db = damagedDatabase();
    const text = runCli(['sessions', '--db', db]);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^\s+1\s+complete/m);
    expect(text.stdout.match(/DAMAGED: Session \d cannot be read in full/g)).toHaveLength(2);
    const json = runCli(['sessions', '--json', '--db', db]);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as SessionSummary[];
    expect(rows.map((r) => r.name)).toEqual(['infinite power', 'bad channels', 'good']);
    expect(rows.filter((r) => r.damaged).length).toBe(2);
  });
});
