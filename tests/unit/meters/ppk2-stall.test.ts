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
import { Ppk2StreamDecoder, ppk2Word } from '../../../main/meters/ppk2/sample-decoder';
import { SampleTimeline, type TimelineItem } from '../../../main/meters/ppk2/sample-timeline';
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

/**
 * A drop the 6-bit counter cannot show: whole 64-sample cycles, or 63 (the decoder drops the word
 * before a hole into the gap, so the counter then looks continuous; docs/meters.md). The timeline
 * then counts the loss from the host clock and places it at the first fresh read.
 */
function invisibleToCounter(count: number): boolean {
  return count % 64 === 0 || count % 64 === 63;
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

    // The stalls really overflowed the device: drop episodes of about 2 s and 6 s. While the host
    // catches up it can overflow the nearly full FIFO again, once or more under load (episodes of
    // their own, each checked for its gap row below like the big ones).
    console.log(`ppk2-stall: device drops ${JSON.stringify(truth.drops)}`);
    const big = truth.drops.filter((d) => d.count > 100_000);
    expect(big.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...big.map((d) => d.count))).toBeGreaterThan(500_000);

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
    // Inside a stored chunk the samples are consecutive device samples: nothing lost is ever hidden —
    // except where a drop the counter cannot show (no counter jump) is placed, by timing, before the
    // first fresh read: the samples of the one read that mixes the backlog's end with fresh ones
    // (≤ 64 KiB = 16384 samples) then sit before the gap row instead of after it (see below).
    const wholeCycles = truth.drops.some((d) => invisibleToCounter(d.count));
    console.log(`ppk2-stall: ${notContiguous} stored samples not contiguous with their chunk's first counter edge`);
    if (wholeCycles) expect(notContiguous).toBeLessThanOrEqual(16_384);
    else expect(notContiguous).toBe(0);
    const before = residuals
      .filter((s) => s.t < firstStallNs)
      .map((s) => s.r)
      .sort((a, b) => a - b);
    expect(before.length).toBeGreaterThan(50_000);
    const offset = before[Math.floor(before.length / 2)]!; // transport delay + where sample 0 was anchored
    let worst = 0;
    let after = 0;
    let off = 0;
    for (const s of residuals) {
      if (s.t < firstStallNs) continue;
      after++;
      worst = Math.max(worst, Math.abs(s.r - offset));
      if (Math.abs(s.r - offset) > TOLERANCE_NS) off++;
    }
    console.log(`ppk2-stall: ${after} samples after the first stall, worst time error ${(worst / 1e6).toFixed(2)} ms; drops ${JSON.stringify(truth.drops)}`);
    expect(after).toBeGreaterThan(500_000);
    if (wholeCycles) {
      // A loss the counter cannot show has no counter jump to mark its place; it goes before the first
      // read without backlog, so at most the one read that mixes the backlog's end with fresh samples
      // (≤ 64 KiB = 16384 samples) can be off. Happens in 2 of 64 episodes.
      console.log(`ppk2-stall: a drop the counter cannot show (no counter jump): ${off} samples off by more than 5 ms are allowed up to one read`);
      expect(off).toBeLessThanOrEqual(16_384);
    } else {
      expect(worst).toBeLessThanOrEqual(TOLERANCE_NS);
    }

    // Each drop episode is a gap row at its place, with its size (±8 counter cycles).
    const gaps = repo.gaps(recorder.sessionId);
    console.log(`ppk2-stall: gaps ${JSON.stringify(gaps)}`);
    for (const d of truth.drops) {
      const startNs = deviceT0 + d.first * PERIOD_NS + offset - startMono;
      // A drop the counter cannot show is placed by timing, up to one read (16384 samples) late.
      const late = invisibleToCounter(d.count) ? 16_384 * PERIOD_NS : TOLERANCE_NS;
      const gap = gaps.find((g) => g.start_ns - startNs >= -TOLERANCE_NS && g.start_ns - startNs <= late);
      expect(gap, `a gap row near ${(startNs / 1e9).toFixed(3)} s`).toBeDefined();
      expect(Math.abs(gap!.lost_samples - d.count)).toBeLessThanOrEqual(64 * 8);
      expect(gap!.end_ns - gap!.start_ns).toBeCloseTo(gap!.lost_samples * PERIOD_NS, -3);
    }
    expect(gaps.some((g) => /disconnected/.test(g.reason))).toBe(false);
  });
});

/**
 * The same physics simulated at sample level, so that cases the real test meets only by chance are
 * checked every time: a device producing one sample per 10 µs into a bounded FIFO, a host reading
 * every millisecond except during stalls, and bursts while it catches up. Each word carries its
 * true index (counter, D0-D7 and ADC bits together), decoded by the real stream decoder.
 */
describe('SampleTimeline on a simulated device FIFO', () => {
  const P = 10_000;
  const word = (n: number) => ppk2Word.make((n >>> 14) & 0x3fff, 0, n & 63, (n >>> 6) & 0xff);
  const trueIndex = (w: number) => (ppk2Word.adc(w) << 14) | (ppk2Word.digital(w) << 6) | ppk2Word.counter(w);

  /** Reads at the given host times (ns); returns what the timeline emitted and the device's drops. */
  function simulate(readTimesNs: number[], fifoSamples: number, opts: { usbLoss?: { at: number; count: number }; jitterNs?: number } = {}) {
    const decoder = new Ppk2StreamDecoder();
    const timeline = new SampleTimeline({ periodNs: P });
    const items: TimelineItem[] = [];
    const fifo: number[] = [];
    const drops: Array<{ first: number; count: number }> = [];
    let n = 0;
    let dropping = false;
    let seed = 1;
    const jitter = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return ((seed / 2147483648) * (opts.jitterNs ?? 0)) | 0;
    };
    for (const t of readTimesNs) {
      for (; n < Math.floor(t / P); n++) {
        if (opts.usbLoss && n >= opts.usbLoss.at && n < opts.usbLoss.at + opts.usbLoss.count) continue;
        if (fifo.length >= fifoSamples) {
          if (!dropping) drops.push({ first: n, count: 0 });
          dropping = true;
          drops.at(-1)!.count++;
          continue;
        }
        dropping = false;
        fifo.push(n);
      }
      const take = fifo.splice(0, 2000);
      if (take.length === 0) continue;
      const bytes = Buffer.alloc(take.length * 4);
      take.forEach((m, k) => bytes.writeUInt32LE(word(m), 4 * k));
      items.push(...timeline.push(t + 1e6 + jitter(), decoder.push(bytes)));
    }
    items.push(...timeline.flush());
    return { items, drops, timeline };
  }

  /** Host read times: every 1 ms, nothing during the stalls, every 0.1 ms while a backlog lasts. */
  function schedule(endMs: number, stalls: Array<[number, number]>): number[] {
    const out: number[] = [];
    let t = 1e6;
    while (t < endMs * 1e6) {
      const stall = stalls.find(([a, b]) => t >= a * 1e6 && t < b * 1e6);
      if (stall) {
        t = stall[1] * 1e6;
        // Catching up: 20 fast reads per millisecond for a while.
        for (let k = 0; k < 400; k++) out.push(t + k * 1e5);
        t += 40e6;
        continue;
      }
      out.push(t);
      t += 1e6;
    }
    return out;
  }

  /** Samples emitted at an index other than their true one (the first read's samples define 0). */
  function misplaced(items: TimelineItem[], toleranceSamples = 0): number {
    let bad = 0;
    let first: number | undefined;
    for (const it of items) {
      if (it.type !== 'words') continue;
      first ??= trueIndex(it.words[0]!) - it.index;
      for (let k = 0; k < it.words.length; k++) if (Math.abs(trueIndex(it.words[k]!) - first - (it.index + k)) > toleranceSamples) bad++;
    }
    return bad;
  }

  const gapsOf = (items: TimelineItem[]) => items.filter((i): i is Extract<TimelineItem, { type: 'gap' }> => i.type === 'gap');

  it('a stall with a counter jump: every sample at its true index, one gap of the exact size', () => {
    // FIFO 32768; stall 1.0 → 2.5 s: the device drops 1.5 s − 327.68 ms of samples (k ≠ 0).
    const { items, drops } = simulate(schedule(4000, [[1000, 2500.37]]), 32768, { jitterNs: 300_000 });
    expect(drops).toHaveLength(1);
    expect(drops[0]!.count % 64).not.toBe(0);
    expect(misplaced(items)).toBe(0);
    const gaps = gapsOf(items);
    expect(gaps.map((g) => g.lost)).toEqual([drops[0]!.count]);
    expect(gaps[0]!.reason).toMatch(/host clock/);
  });

  it('a loss of whole counter cycles (no jump) goes before the first read without backlog', () => {
    // Stall length chosen so that the device drops an exact multiple of 64 samples.
    let stallEnd = 2500;
    let sim = simulate(schedule(4000, [[1000, stallEnd]]), 32768);
    stallEnd += ((64 - (sim.drops[0]!.count % 64)) % 64) * 0.01;
    sim = simulate(schedule(4000, [[1000, stallEnd]]), 32768);
    expect(sim.drops[0]!.count % 64).toBe(0);
    const gaps = gapsOf(sim.items);
    expect(gaps.map((g) => g.lost)).toEqual([sim.drops[0]!.count]);
    expect(gaps[0]!.reason).toMatch(/no counter jump/);
    // Without a jump the exact place is unknowable inside the read that mixes the backlog's end
    // with fresh samples: at most that one read (2000 samples) is off; everything after is exact.
    expect(misplaced(sim.items)).toBeLessThanOrEqual(2000);
  });

  it('a backlog caught up without loss is emitted unchanged', () => {
    const { items, drops, timeline } = simulate(schedule(3000, [[1000, 1300]]), 100_000, { jitterNs: 300_000 });
    expect(drops).toHaveLength(0);
    expect(timeline.lastDecision?.hiddenSamples).toBe(0);
    expect(gapsOf(items)).toEqual([]);
    expect(misplaced(items)).toBe(0);
  });

  it('a small USB loss keeps its exact count despite jitter in arrival times', () => {
    const { items } = simulate(schedule(2000, []), 32768, { usbLoss: { at: 80_000, count: 37 }, jitterNs: 2_000_000 });
    expect(gapsOf(items).map((g) => g.lost)).toEqual([37]);
    expect(misplaced(items)).toBe(0);
  });

  it('a second overflow while catching up: each loss gets its own share of the hidden cycles', () => {
    // Back from a 1.5 s stall, the host reads once (2000 samples) and stalls again for 30 ms with
    // the FIFO still nearly full.
    const times = schedule(4000, [[1000, 2500.37]]).filter((t) => t < 2500.37e6 + 0.05e6 || t >= 2500.37e6 + 30e6);
    const { items, drops } = simulate(times, 32768, { jitterNs: 300_000 });
    expect(drops).toHaveLength(2);
    const lost = gapsOf(items).map((g) => g.lost);
    expect(lost).toHaveLength(2);
    // The total is exact; the split between the two jumps comes from read times (±8 cycles).
    expect(lost[0]! + lost[1]!).toBe(drops[0]!.count + drops[1]!.count);
    expect(Math.abs(lost[1]! - drops[1]!.count)).toBeLessThanOrEqual(64 * 8);
    expect(misplaced(items, 500)).toBe(0); // every sample within 5 ms
  });
});
