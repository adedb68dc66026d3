// Exporting a recorded session to CSV and JSON files, and refusing bad ids and paths.
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportSessionToFile } from '../../../main/export/session-export';
import { makeChunk } from '../../helpers/fake-meter';
import { recordingSetup, squareWave } from '../../helpers/recording';

describe('export', () => {
  it('writes a CSV with one row per sample and only the measured channels, and a JSON with the summary', async () => {
    const { dir, db, repo, meter, rec } = recordingSetup();
    meter.push(makeChunk(rec.startNs, 1000, 600, squareWave));
    rec.stop();
    const csv = join(dir, 'out.csv');
    await exportSessionToFile(db, repo, rec.sessionId, 'csv', csv);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('time_s,current_A,voltage_V,power_W');
    expect(lines).toHaveLength(601);
    const [t, i, v, p] = lines[11]!.split(',').map(Number);
    expect(t).toBeCloseTo(0.01, 9);
    expect([i, v, p]).toEqual([0.2, 5, 1]);
    const json = join(dir, 'out.json');
    await exportSessionToFile(db, repo, rec.sessionId, 'json', json);
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.session.samples).toBe(600);
    expect(doc.session.energyJ).toBeCloseTo(0.9, 5);
    expect(doc.simulated).toBe(false);
  });

  it('refuses a bad session id or an unwritable path before writing anything', async () => {
    const { dir, db, repo, meter, rec } = recordingSetup();
    meter.push(makeChunk(rec.startNs, 1000, 10, squareWave));
    rec.stop();
    await expect(exportSessionToFile(db, repo, 42, 'csv', join(dir, 'x.csv'))).rejects.toThrow(/no session 42/);
    expect(existsSync(join(dir, 'x.csv'))).toBe(false);
    await expect(exportSessionToFile(db, repo, rec.sessionId, 'csv', join(dir, 'missing', 'x.csv'))).rejects.toThrow(/does not exist/);
    const ro = join(dir, 'ro');
    writeFileSync(join(dir, 'placeholder'), '');
    await import('node:fs').then((fs) => fs.mkdirSync(ro));
    chmodSync(ro, 0o500);
    if (process.getuid?.() === 0) {
      // root ignores directory permissions, so test the "is a folder" case, which root cannot write either.
      await expect(exportSessionToFile(db, repo, rec.sessionId, 'csv', ro)).rejects.toThrow(/is a folder/);
    } else {
      await expect(exportSessionToFile(db, repo, rec.sessionId, 'csv', join(ro, 'x.csv'))).rejects.toThrow(/no permission/);
    }
    expect(readdirSync(ro)).toEqual([]);
  });
});
