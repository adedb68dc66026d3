/**
 * How a recording ends: it ends at the stop (samples still in transit are waited for, samples measured
 * after it are not kept), and a meter that vanished and did not come back leaves a gap up to the stop
 * and an 'incomplete' session — in the recorder, through a real PPK2 driver on a pty, and in the CLI.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Ppk2Meter } from '../../../main/meters/ppk2/ppk2-meter';
import { withReconnect } from '../../../main/meters/reconnecting-meter';
import { SessionRecorder } from '../../../main/session/recorder';
import { openDatabase } from '../../../main/store/database';
import { sessionSummary } from '../../../main/store/session-summary';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { monotonicNs } from '../../../main/util/clock';
import { CLI } from '../../helpers/cli';
import { FakeMeter, makeChunk } from '../../helpers/fake-meter';
import { waitFor } from '../meters/emulators/device-port';
import { Ppk2Emulator } from '../meters/emulators/ppk2-emulator';
import { meterFixture } from '../meters/helpers/meter-fixture';

const fx = meterFixture();

function store() {
  const dir = mkdtempSync(join(tmpdir(), 'ddi-stop-'));
  const db = openDatabase(join(dir, 'db.sqlite'));
  fx.defer(() => {
    db.close();
  });
  return { dir, dbPath: join(dir, 'db.sqlite'), repo: new SessionsRepo(db) };
}

const flat = (): [number, number, number] => [0.2, 5, 1];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the end of a recording', () => {
  it('waits for samples measured before the stop and keeps none measured after it', async () => {
    const { repo } = store();
    const meter = new FakeMeter();
    await meter.open();
    const rec = new SessionRecorder(repo, meter, { name: 'lagging meter' });
    // A meter whose samples arrive 80 ms after they were taken, in 10 ms batches (1 kS/s).
    const lagNs = 80e6;
    let next = rec.startNs;
    const timer = setInterval(() => {
      while (next + 10e6 <= monotonicNs() - lagNs) {
        meter.push(makeChunk(next, 1000, 10, flat));
        next += 10e6;
      }
    }, 5);
    fx.defer(() => clearInterval(timer));
    await sleep(400);
    await rec.drain();
    const result = rec.stop();
    clearInterval(timer);
    expect(result.status).toBe('complete');
    const s = sessionSummary(repo, repo.get(rec.sessionId));
    // Without the drain the data would end ~80 ms before the stop.
    expect(s.durationS - s.lastSampleS!).toBeLessThan(0.0025);
    expect(s.lastSampleS!).toBeLessThanOrEqual(s.durationS + 1e-9);
    expect(s.gaps).toBe(0);
  });

  it('records an unrecovered meter failure as a gap up to the stop and closes the session as incomplete', async () => {
    const { repo } = store();
    const meter = new FakeMeter();
    await meter.open();
    const rec = new SessionRecorder(repo, meter, { name: 'meter lost' });
    meter.push(makeChunk(rec.startNs, 1000, 100, flat)); // 0.1 s of data, then the cable is pulled
    meter.fail('The fake meter was disconnected (port closed); plug it back in. Reconnecting automatically…');
    await sleep(300);
    await rec.drain();
    const result = rec.stop();
    expect(result.status).toBe('incomplete');
    expect(result.reason).toMatch(/stopped delivering data at 0\.10 s .*plug it back in\)\.$/);
    const row = repo.get(rec.sessionId);
    expect(row.status).toBe('incomplete');
    const gaps = repo.gaps(rec.sessionId);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.start_ns).toBeCloseTo(0.1e9, -3);
    expect(gaps[0]!.end_ns / 1e9).toBeCloseTo(row.duration_s!, 6);
    expect(gaps[0]!.end_ns - gaps[0]!.start_ns).toBeGreaterThan(0.15e9);
  });

  it('a PPK2 unplugged mid-recording and never replugged: gap to the end, incomplete, with the reason', async () => {
    const { repo } = store();
    const emu = new Ppk2Emulator();
    emu.current = 0.002;
    const pty = await fx.plug(emu);
    const meter = withReconnect(new Ppk2Meter('ppk2:test', pty.hostPath, { mode: 'source', voltageMv: 3000 }), { initialDelayMs: 100, maxDelayMs: 200 });
    fx.defer(() => meter.close());
    await meter.open();
    const rec = new SessionRecorder(repo, meter, { name: 'ppk2 unplugged' });
    await waitFor(() => rec.storedSamples >= 50_000, 5000, '0.5 s stored');
    await pty.unplug();
    await waitFor(() => meter.state === 'error', 3000, 'error state');
    await sleep(1000);
    await rec.drain();
    const result = rec.stop();
    const row = repo.get(rec.sessionId);
    const s = sessionSummary(repo, row);
    expect(result.status).toBe('incomplete');
    expect(row.status).toBe('incomplete');
    expect(result.reason).toMatch(/PPK2/);
    // The hole runs from the last stored sample to the stop.
    const last = repo.gaps(rec.sessionId).at(-1)!;
    expect(Math.abs(last.start_ns / 1e9 - s.lastSampleS!)).toBeLessThan(0.001);
    expect(last.end_ns / 1e9).toBeCloseTo(row.duration_s!, 6);
    expect(row.duration_s! - s.lastSampleS!).toBeGreaterThan(0.9);
  });

  it('CLI record: a meter that disappears exits non-zero with one sentence and the session says incomplete', async () => {
    const { dbPath } = store();
    const emu = new Ppk2Emulator();
    const pty = await fx.plug(emu);
    const child = spawn(process.execPath, [CLI, '--db', dbPath, 'record', '--meter', `ppk2:${pty.hostPath}`, '--duration', '3s'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
    fx.defer(() => void child.kill('SIGKILL'));
    await waitFor(() => emu.streaming, 8000, 'streaming');
    await sleep(800);
    await pty.unplug();
    const code = await exited;
    expect(code).not.toBe(0);
    const errLines = stderr.split('\n').filter((l) => l.trim() !== '');
    expect(errLines.at(-1)).toMatch(/^Error: Session \d+ is incomplete: The meter stopped delivering data at [\d.]+ s .*\.$/);
    expect(stdout).toMatch(/Session \d+/);
    const list = spawn(process.execPath, [CLI, '--db', dbPath, 'sessions', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let json = '';
    list.stdout.on('data', (d: Buffer) => (json += d.toString()));
    await new Promise((r) => list.once('exit', r));
    const sessions = JSON.parse(json) as { status: string; statusReason: string | null; durationS: number }[];
    expect(sessions[0]!.status).toBe('incomplete');
    expect(sessions[0]!.statusReason).toMatch(/did not come back|had not come back/);
    expect(sessions[0]!.durationS).toBeGreaterThan(2.9);
  }, 30_000);

  it('CLI record: SIGTERM ends the recording like a stop (flushed, closed, status written)', async () => {
    const { dbPath } = store();
    const child = spawn(process.execPath, [CLI, '--db', dbPath, 'record', '--meter', 'sim', '--duration', '60s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    fx.defer(() => void child.kill('SIGKILL'));
    const db = openDatabase(dbPath);
    fx.defer(() => {
      db.close();
    });
    const repo = new SessionsRepo(db);
    await waitFor(() => repo.list().length > 0 && sessionSummary(repo, repo.list()[0]!).samples > 2000, 40_000, 'recording');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/Stopped early by SIGTERM/);
    const row = repo.list()[0]!;
    expect(row.status).toBe('complete');
    expect(row.writer_pid === null || row.status !== 'recording').toBe(true);
    expect(sessionSummary(repo, row).samples).toBeGreaterThan(2000);
  }, 60_000);

  it('browser mode: SIGTERM to "serve" ends a running recording like a stop', async () => {
    const { dbPath } = store();
    const child = spawn(process.execPath, [CLI, '--db', dbPath, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
    fx.defer(() => void child.kill('SIGKILL'));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    await waitFor(() => /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.test(stdout), 15_000, 'server URL');
    const url = new URL(/http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(stdout)![0]);
    const ws = new WebSocket(`ws://127.0.0.1:${url.port}/api?token=${url.searchParams.get('token')}`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const answers = new Map<number, unknown>();
    ws.on('message', (m: Buffer) => {
      const msg = JSON.parse(m.toString()) as { type: string; id?: number };
      if (msg.type === 'result' || msg.type === 'error') answers.set(msg.id!, msg);
    });
    const call = async (id: number, name: string, input: unknown) => {
      ws.send(JSON.stringify({ type: 'call', id, name, input }));
      await waitFor(() => answers.has(id), 10_000, name);
      return answers.get(id);
    };
    await call(1, 'meters.connect', { spec: 'sim' });
    await call(2, 'sessions.start', { name: 'browser mode, then SIGTERM' });
    await sleep(1500);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    ws.terminate();
    const db = openDatabase(dbPath);
    fx.defer(() => {
      db.close();
    });
    const repo = new SessionsRepo(db);
    const row = repo.list()[0]!;
    expect(row.status).toBe('complete');
    expect(row.duration_s).toBeGreaterThan(1);
    expect(sessionSummary(repo, row).samples).toBeGreaterThan(2000);
  }, 60_000);
});
