/**
 * The time axis is never compressed: a PPK2 recording across host stalls of 2 s and 6 s, with the
 * device in a process of its own (ppk2-fifo-device.mjs) that keeps sampling while this process is
 * frozen, fills its bounded FIFO and then drops samples, exactly as a real PPK2 does when the host
 * stops reading. Recorded through the real driver, recorder and SQLite file; afterwards every stored
 * sample's time is checked against the device's own clock, and each drop episode against a gap row.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Ppk2Converter } from '../../../main/meters/ppk2/converter';
import { Ppk2Meter } from '../../../main/meters/ppk2/ppk2-meter';
import { withReconnect } from '../../../main/meters/reconnecting-meter';
import { SessionRecorder } from '../../../main/session/recorder';
import { decodePlane } from '../../../main/store/chunk-codec';
import { openDatabase } from '../../../main/store/database';
import { decodeDigital } from '../../../main/store/digital-codec';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { monotonicNs } from '../../../main/util/clock';
import { waitFor } from './emulators/device-port';
import { PtyPair } from './helpers/pty-pair';

const DEVICE = fileURLToPath(new URL('./emulators/ppk2-fifo-device.mjs', import.meta.url));
const PERIOD_NS = 10_000;
const TOLERANCE_NS = 5e6;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await Promise.resolve(cleanups.pop()!()).catch(() => undefined);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Blocks this thread (event loop included) like a frozen process: nothing is read meanwhile. */
function freeze(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

interface Truth {
  startNs: string;
  periodNs: number;
  generated: number;
  drops: Array<{ first: number; count: number }>;
}

async function startDevice(devicePath: string, truthPath: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [DEVICE, devicePath, truthPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the device process exited with ${code}`)));
    child.stdout!.once('data', () => resolve());
  });
  return child;
}

describe('PPK2 across host stalls (device FIFO overflow)', () => {
  it('stores every sample after a 2 s and a 6 s stall within 5 ms of the device clock, with a gap row at each loss', async () => {
    const pty = await PtyPair.create();
    cleanups.push(() => pty.dispose());
    const dir = mkdtempSync(join(tmpdir(), 'ddi-ppk2-stall-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const truthPath = join(dir, 'truth.json');
    await startDevice(pty.devicePath, truthPath);

    const db = openDatabase(join(dir, 'stall.sqlite'));
    cleanups.push(() => {
      db.close();
    });
    const repo = new SessionsRepo(db);
    const ppk2 = new Ppk2Meter('ppk2:test', pty.hostPath, { mode: 'source', voltageMv: 3000 });
    const meter = withReconnect(ppk2, { initialDelayMs: 100, maxDelayMs: 300 });
    const decisions: unknown[] = [];
    meter.on('gap', () => decisions.push(ppk2['timeline'].lastDecision));
    cleanups.push(() => meter.close());
    await meter.open();
    const recorder = new SessionRecorder(repo, meter, { name: 'host stalls' });

    await sleep(1500);
    const firstStallNs = monotonicNs();
    freeze(2000);
    await sleep(2500);
    freeze(6000);
    await sleep(2500);
    recorder.stop();
    await meter.close();
    await waitFor(() => existsSync(truthPath), 3000, 'the device to write its truth');
    const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as Truth;
    console.log(`ppk2-stall: device ${JSON.stringify(truth)}; gaps ${JSON.stringify(repo.gaps(recorder.sessionId))}; reconnects ${meter.counters().reconnects}; ${JSON.stringify(decisions)}`);

    // The stalls really overflowed the device: drop episodes of about 2 s and 6 s (a hiccup while
    // the host catches up can overflow the nearly full FIFO once more: a small episode of its own).
    const big = truth.drops.filter((d) => d.count > 10_000);
    expect(big.length).toBe(2);
    expect(big[0]!.count).toBeGreaterThan(100_000);
    expect(big[1]!.count).toBeGreaterThan(500_000);

    // Current → ADC code (range 1, constant: the spike filter never acts), through the driver's own
    // conversion, so the stored float32 values map back to the index bits the device put in them.
    const conv = new Ppk2Converter(ppk2.calibration!, 3000, { enabled: false });
    const adcOf = new Map<number, number>();
    for (let adc = 1000; adc < 1000 + 4096; adc++) adcOf.set(Math.fround(conv.amps(adc, 1)), adc);

    const session = repo.get(recorder.sessionId);
    const startMono = session.start_mono_ns;
    const rows = db
      .prepare('SELECT t0_ns, period_ns, count, channels, data, digital FROM sample_chunks WHERE session_id = ? ORDER BY t0_ns')
      .all(recorder.sessionId) as Array<{ t0_ns: number; period_ns: number; count: number; channels: string; data: Buffer; digital: Buffer }>;
    const deviceT0 = Number(BigInt(truth.startNs));
    // Per stored sample: its true index n (from ADC + D0-D7, phase from the 64-sample marker edges)
    // and residual = stored host time − device time of n.
    const residuals: Array<{ t: number; r: number }> = [];
    let notContiguous = 0;
    for (const row of rows) {
      expect(row.period_ns).toBe(PERIOD_NS);
      const cur = decodePlane(row.data, row.count, ['current'], 'current')!;
      const dig = decodeDigital(row.digital, row.count);
      const cycle = new Float64Array(row.count);
      for (let i = 0; i < row.count; i++) {
        const adc = adcOf.get(cur[i]!);
        if (adc === undefined) throw new Error(`stored current ${cur[i]} is not one the device sent`);
        cycle[i] = (adc - 1000) * 256 + dig[i]!;
      }
      let edge = -1;
      for (let i = 1; i < row.count && edge < 0; i++) if (cycle[i] !== cycle[i - 1]) edge = i;
      for (let i = 0; i < row.count; i++) {
        // Without an edge (a piece under 64 samples) the phase is unknown: the middle of the cycle.
        const n = edge >= 0 ? cycle[edge]! * 64 + (i - edge) : cycle[i]! * 64 + 31.5;
        if (edge >= 0 && Math.floor(n / 64) !== cycle[i]) notContiguous++;
        const t = startMono + row.t0_ns + i * row.period_ns;
        residuals.push({ t, r: t - (deviceT0 + n * PERIOD_NS) });
      }
    }
    // Inside a stored chunk the samples are consecutive device samples: nothing lost is ever hidden.
    expect(notContiguous).toBe(0);
    const before = residuals.filter((s) => s.t < firstStallNs).map((s) => s.r).sort((a, b) => a - b);
    expect(before.length).toBeGreaterThan(50_000);
    const offset = before[Math.floor(before.length / 2)]!; // transport delay + where sample 0 was anchored
    let worst = 0;
    let after = 0;
    for (const s of residuals) {
      if (s.t < firstStallNs) continue;
      after++;
      worst = Math.max(worst, Math.abs(s.r - offset));
    }
    console.log(`ppk2-stall: ${after} samples after the first stall, worst time error ${(worst / 1e6).toFixed(2)} ms; drops ${JSON.stringify(truth.drops)}`);
    expect(after).toBeGreaterThan(500_000);
    expect(worst).toBeLessThanOrEqual(TOLERANCE_NS);

    // Each drop episode is a gap row at its place, with its size (±8 counter cycles).
    const gaps = repo.gaps(recorder.sessionId);
    console.log(`ppk2-stall: gaps ${JSON.stringify(gaps)}`);
    for (const d of truth.drops) {
      const startNs = deviceT0 + d.first * PERIOD_NS + offset - startMono;
      const gap = gaps.find((g) => Math.abs(g.start_ns - startNs) <= TOLERANCE_NS);
      expect(gap, `a gap row near ${(startNs / 1e9).toFixed(3)} s`).toBeDefined();
      expect(Math.abs(gap!.lost_samples - d.count)).toBeLessThanOrEqual(64 * 8);
      expect(gap!.end_ns - gap!.start_ns).toBeCloseTo(gap!.lost_samples * PERIOD_NS, -3);
    }
    expect(gaps.some((g) => /disconnected/.test(g.reason))).toBe(false);
  });
});
