/**
 * sessions.list with thousands of sessions: N sessions of 20 chunks each (a few seconds of a
 * 10 kS/s meter) in a fresh database file, then the time of sessions.list through AppCore.handle
 * (contract validation included), median of several calls. Usage: node scripts/run-ts.mjs
 * bench/sessions-list.ts [N=5000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppCore } from '../main/core/app-core';
import { closeDatabase, openDatabase } from '../main/store/database';
import { SessionsRepo } from '../main/store/sessions-repo';

const n = Number(process.argv[2] ?? 5000);
const dir = mkdtempSync(join(tmpdir(), 'ddi-bench-list-'));
const dbPath = join(dir, 'db.sqlite');
const db = openDatabase(dbPath);
const repo = new SessionsRepo(db);
const meterId = repo.addMeter({
  spec: 'sim',
  driver: 'sim',
  label: 'Simulated',
  capabilities: { channels: ['current', 'voltage', 'power'], sampleRateHz: 10_000, simulated: true } as never,
});
const plane = Float32Array.from({ length: 2500 }, (_, i) => 0.1 + (i % 7) * 0.01);
repo.transaction(() => {
  for (let s = 0; s < n; s++) {
    const id = repo.createSession({
      name: `session ${s}`,
      kind: s % 10 === 0 ? 'profile' : 'power',
      startMonoNs: 0,
      meterId,
      simulated: true,
      channels: ['current', 'voltage', 'power'],
      sampleRateHz: 10_000,
    });
    for (let k = 0; k < 20; k++)
      repo.insertChunk(id, k, k * 0.25e9, { periodNs: 1e5, count: 2500, channels: ['current', 'voltage', 'power'], data: [plane, plane, plane] });
    repo.finishSession(id, 'complete', 5);
  }
});
closeDatabase(db);

async function main(): Promise<void> {
  const core = AppCore.open({ dbPath, transport: 'browser' });
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    rows = ((await core.handle('sessions.list', {})) as unknown[]).length;
    times.push(performance.now() - t0);
  }
  await core.close();
  rmSync(dir, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  console.log(
    `sessions.list, ${rows} sessions × 20 chunks: median ${times[3]!.toFixed(0)} ms (min ${times[0]!.toFixed(0)}, max ${times[6]!.toFixed(0)}); ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${new Date().toISOString().slice(0, 10)}`,
  );
}

void main();
