/** `ddi-profiler profile` through the built CLI: the JSON interface other tools rely on, and refusals. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli';

describe('ddi-profiler profile', () => {
  it('runs with the simulated meter and prints one JSON object with the run summary', () => {
    const db = join(mkdtempSync(join(tmpdir(), 'ddi-prof-cli-')), 'db.sqlite');
    const r = runCli([
      '--db',
      db,
      'profile',
      '--model',
      'tiny-random-test',
      '--meter',
      'sim',
      '--limit',
      '30',
      '--warmup',
      '2',
      '--baseline',
      '0.5s',
      '--closing',
      '0.2s',
      '--json',
    ]);
    expect(r.stderr).toMatch(/SIMULATED/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown> & {
      sessionId: number;
      simulated: boolean;
      inferences: number;
      attribution: { mode: string; reason: string };
      alignment: { offsetNs: number; trusted: boolean; method: string } | null;
      baseline: { meanPowerW: number } | null;
    };
    expect(out.sessionId).toBeGreaterThan(0);
    expect(out.simulated).toBe(true);
    expect(out.inferences).toBe(30);
    expect(['per-inference', 'window']).toContain(out.attribution.mode);
    expect(out.attribution.reason.length).toBeGreaterThan(10);
    expect(out.alignment).not.toBeNull();
    expect(out.baseline!.meanPowerW).toBeGreaterThan(0);
    const list = JSON.parse(runCli(['--db', db, 'sessions', '--json']).stdout) as { kind: string; status: string }[];
    expect(list[0]).toMatchObject({ kind: 'profile', status: 'complete' });
  }, 90_000);

  it('refuses an unknown model or a bad limit in one sentence and creates no database', () => {
    const db = join(mkdtempSync(join(tmpdir(), 'ddi-prof-cli-')), 'db.sqlite');
    for (const args of [
      ['--model', 'no-such-model', '--meter', 'sim'],
      ['--model', 'tiny-random-test', '--meter', 'sim', '--limit', '0'],
      ['--model', 'tiny-random-test', '--meter', 'nometer'],
    ]) {
      const r = runCli(['--db', db, 'profile', ...args]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(db)).toBe(false);
    }
  });
});
