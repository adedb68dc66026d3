// profile.get's answer from the real SQLite file: the run's phases in order, host time in seconds
// (an unfinished phase has no end), other marker kinds left out, and the output passes the contract.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { calls } from '../../../main/api/contract';
import type { InferenceRecord } from '../../../main/domain/inference-record';
import { profileDetails } from '../../../main/profile/details';
import { openDatabase, type Db } from '../../../main/store/database';
import { ProfileRepo } from '../../../main/store/profile-repo';
import { SessionsRepo } from '../../../main/store/sessions-repo';

let dir: string | null = null;
let db: Db | null = null;
afterEach(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  db = null;
  dir = null;
});

/** A fresh database file with one profile session. */
function profileSession(): { db: Db; id: number } {
  dir = mkdtempSync(join(tmpdir(), 'ddi-details-'));
  db = openDatabase(join(dir, 'db.sqlite'));
  const id = new SessionsRepo(db).createSession({
    name: 'p',
    kind: 'profile',
    startMonoNs: 0,
    meterId: null,
    simulated: true,
    channels: ['power'],
    sampleRateHz: 1e4,
  });
  return { db, id };
}

describe('profileDetails', () => {
  it('returns the phases of the run with the result and the inferences', () => {
    const { db, id } = profileSession();
    const repo = new ProfileRepo(db);
    repo.addMarker(id, { tNs: 0, endNs: null, kind: 'run', label: 'run', data: { model: 'm' } });
    repo.addMarker(id, { tNs: 100e6, endNs: 600e6, kind: 'phase', label: 'baseline', data: null });
    repo.addMarker(id, { tNs: 10e6, endNs: 90e6, kind: 'phase', label: 'warmup', data: { count: 2 } });
    repo.addMarker(id, { tNs: 1_500e6, endNs: null, kind: 'phase', label: 'closing', data: null });

    const out = profileDetails(db, id);
    expect(out.result).toBeNull();
    expect(out.inferences).toEqual([]);
    expect(out.phases).toEqual([
      { label: 'warmup', startS: 0.01, endS: 0.09 },
      { label: 'baseline', startS: 0.1, endS: 0.6 },
      { label: 'closing', startS: 1.5, endS: null },
    ]);
    expect(calls['profile.get'].output.parse(out)).toEqual(out);
  });

  it('says per inference how many graphs the executor built, and nothing for an executor that does not count', () => {
    const { db, id } = profileSession();
    const record = (startNs: number, executorWork?: InferenceRecord['executorWork']): InferenceRecord => ({
      mode: 'iadi',
      budget: null,
      model: 'm',
      backend: executorWork ? 'ort 1.30.0' : 'wasm',
      batchSize: 1,
      sampleIndex: 0,
      predictedClass: 1,
      confidence: 0.9,
      logits: [0, 1],
      exit: null,
      exitId: 'classifier',
      halted: false,
      blocksExecuted: [0],
      blocksSkipped: [],
      blocksNotReached: [],
      channelsKept: [],
      macs: 1e6,
      staticMacs: 2e6,
      predictedLatencyS: null,
      latencyTable: null,
      predictedEnergyJ: null,
      energyTable: null,
      budgetSpent: null,
      ...(executorWork ? { executorWork } : {}),
      startNs,
      endNs: startNs + 1e6,
    });
    new ProfileRepo(db).addInferences(
      id,
      0,
      [record(1e9, { runs: 10, builds: 2, sharedGraphRuns: 3 }), record(2e9, { runs: 10, builds: 0, sharedGraphRuns: 0 }), record(3e9)],
      0,
    );
    const out = profileDetails(db, id);
    expect(out.inferences.map((r) => r.graphBuilds)).toEqual([2, 0, null]);
    expect(calls['profile.get'].output.parse(out)).toEqual(out);
  });
});
