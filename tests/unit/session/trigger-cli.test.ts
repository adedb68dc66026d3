/** `ddi-profiler record --trigger`: a triggered session from the simulated meter, and refused options. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli';

describe('ddi-profiler record --trigger', () => {
  it('starts at the power crossing minus the pre-trigger and stops at the stop crossing', () => {
    const db = join(mkdtempSync(join(tmpdir(), 'ddi-trig-cli-')), 'db.sqlite');
    // busyW=0: the sim's power is 1.8 W ± noise, so it crosses 1.8 W up and 1.79 W down within milliseconds.
    const r = runCli([
      '--db',
      db,
      'record',
      '--meter',
      'sim',
      '--set',
      'busyW=0',
      '--trigger',
      'power>1.8W',
      '--trigger-stop',
      'power<1.79W',
      '--holdoff',
      '200ms',
      '--pretrigger',
      '100ms',
      '--duration',
      '5s',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Armed: waiting for power>1\.8W/);
    expect(r.stderr).toMatch(/Triggered: session 1 started 100 ms before the crossing/);
    const s = JSON.parse(r.stdout) as { status: string; durationS: number; samples: number };
    expect(s.status).toBe('complete');
    // 100 ms pre-trigger + at least the 200 ms stop hold-off, and far less than --duration.
    expect(s.durationS).toBeGreaterThanOrEqual(0.3);
    expect(s.durationS).toBeLessThan(2);
  });

  it('refuses a trigger it cannot read in one sentence and writes nothing', () => {
    const db = join(mkdtempSync(join(tmpdir(), 'ddi-trig-cli-')), 'db.sqlite');
    const bad = runCli(['--db', db, 'record', '--meter', 'sim', '--trigger', 'power above 1W']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim()).toMatch(
      /^Error: "power above 1W" is not a trigger; write a level like power>0\.5W or current<10mA, or a digital edge like D3 rising\.$/,
    );
    const orphan = runCli(['--db', db, 'record', '--meter', 'sim', '--pretrigger', '1s']);
    expect(orphan.stderr).toMatch(/--holdoff and --pretrigger need --trigger/);
    expect(existsSync(db)).toBe(false);
  });
});
