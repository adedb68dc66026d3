// A PPK2 on the device end of a pty whose current follows the real scheduling of a process tree.
// Used by bench/profile-accuracy.ts; plain Node, no project code, so it checks the driver and the
// profiler from the outside.
//
//   node bench/lib/ppk2-sched-emulator.mjs --device PATH [--delay-ms D] [--latency-ms L] --truth PREFIX
//
// stdin (one command per line): `pid N` sets the target process (its threads and every descendant
// process are followed from then on); `quit` writes the truth files and exits.
// stdout (one JSON object per line): {"ready":true} once the device end is open; {"stats":…} at quit.
//
// The device: answers GetMetadata (0x19) with a calibration block, takes regulator (0x0D), power mode
// (0x11), DUT power (0x0C) and user gain (0x25) commands, and between AverageStart (0x06) and
// AverageStop (0x07) streams 4-byte sample words at 100 kS/s on its own CLOCK_MONOTONIC
// (process.hrtime.bigint()): sample k covers [t0 + k·P, t0 + (k+1)·P), P = 10 µs, t0 = the time
// AverageStart was read. Words go out in 64-byte pieces (16 samples, a USB full-speed bulk packet);
// a piece is written at the end of its last sample + L + D: L (default 10 ms) is the time the
// emulator needs to know a sample's current (below), D the injected transport delay.
//
// Current of sample k: I = 5 mA + 20 mA × (CPU time of the target tree inside the sample / P).
// CPU time comes from /proc/<pid>/task/<tid>/schedstat (field 1: ns on CPU), polled for every thread
// in a busy loop. The kernel updates that counter only at scheduler events — a context switch or
// the timer tick (CONFIG_HZ, 4 ms at HZ=250) — not while a thread runs, so an increase is not
// placed where the poll saw it but spread over the polls since the previous increase in which the
// thread's state (/proc/<pid>/task/<tid>/stat, field 3) was R; an increase without such polls (a run
// shorter than one poll) goes to the last poll interval. Hence L: a sample is final once every
// thread has had a tick since. CPU attributed to an already final sample (an update later than L)
// is moved to the first open samples and counted as `lateCpuNs`.
//
// Truth: PREFIX.f32 (float32 current in A per sample, every stream one after another) and
// PREFIX.json (per stream its t0 as CLOCK_MONOTONIC ns in a decimal string, the period, the count
// and its first index in the .f32 file; the VDD set-point; poll and write statistics).
import fs from 'node:fs';

const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const devicePath = arg('device');
const truthPrefix = arg('truth');
if (!devicePath || !truthPrefix) {
  process.stderr.write('usage: ppk2-sched-emulator.mjs --device PATH --truth PREFIX [--delay-ms D] [--latency-ms L]\n');
  process.exit(2);
}
const DELAY_NS = Number(arg('delay-ms', '0')) * 1e6;
const LATENCY_NS = Number(arg('latency-ms', '10')) * 1e6;
// Time between the starts of two poll rounds; 0 polls back to back (one core fully busy).
const POLL_NS = Number(arg('poll-us', '0')) * 1e3;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

const PERIOD_NS = 10_000;
const SAMPLES_PER_PIECE = 16; // 64 bytes
const BASE_A = 5e-3;
const PER_CORE_A = 20e-3;
const ORIGIN = process.hrtime.bigint();
const now = () => Number(process.hrtime.bigint() - ORIGIN);

// ---- calibration and the inverse of the PPK2 current formula -------------------------------------
// A plausible calibration (not the defaults, so a driver that ignored it would be caught). The
// current formula per range r is Nordic's (pc-nrfconnect-ppk, src/device/serialDevice.ts):
//   x = (4·adc − O[r]) · (1.8/163840) / R[r];  I = UG[r] · (x·(GS[r]·x + GI[r]) + S[r]·VDD + I[r]).
const CAL = {
  r: [1020.5, 101.2, 10.08, 0.95, 0.044],
  gs: [0, 50, 5, 0.5, 0.02],
  gi: [1, 0.98, 0.99, 1.01, 1],
  o: [110.5, 95.25, 80.125, 70.5, 60],
  s: [4.5e-8, 2e-8, 0, 0, 0],
  i: [-1e-7, 0, 0, 0, 0],
  ug: [1, 1, 1, 1, 1],
};
let vddMv = 3000;
let powerMode = 2;

function metadataText() {
  const lines = ['Calibrated: 1'];
  for (const [key, values] of [
    ['R', CAL.r],
    ['GS', CAL.gs],
    ['GI', CAL.gi],
    ['O', CAL.o],
  ])
    values.forEach((v, k) => lines.push(`${key}${k}: ${v}`));
  lines.push(`VDD: ${vddMv}`, 'HW: 9173', `mode: ${powerMode}`);
  for (const [key, values] of [
    ['S', CAL.s],
    ['I', CAL.i],
  ])
    values.forEach((v, k) => lines.push(`${key}${k}: ${v}`));
  CAL.ug.forEach((v, k) => lines.push(`UG${k}: ${v.toFixed(2)}`));
  lines.push('IA: 56', 'END', '');
  return lines.join('\n');
}

/** The (adc, range) word bits a PPK2 would send for `amps`: the lowest range that does not saturate. */
function encode(amps) {
  for (let r = 0; r < 5; r++) {
    const c = CAL.s[r] * (vddMv / 1000) + CAL.i[r] - amps / CAL.ug[r];
    const gs = CAL.gs[r];
    const gi = CAL.gi[r];
    const x = gs === 0 ? -c / gi : (-gi + Math.sqrt(gi * gi - 4 * gs * c)) / (2 * gs);
    const adc = Math.round(((x * CAL.r[r]) / (1.8 / 163840) + CAL.o[r]) / 4);
    if (adc <= 15000 || r === 4) return (Math.max(0, Math.min(0x3fff, adc)) | (r << 14)) >>> 0;
  }
  return 0;
}

// ---- the device port -----------------------------------------------------------------------------
// Non-blocking, so the busy loop never waits on it; socat has already made the pty raw.
const fd = fs.openSync(devicePath, fs.constants.O_RDWR | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
const ARG_LEN = { 0x06: 0, 0x07: 0, 0x0c: 1, 0x0d: 2, 0x11: 1, 0x19: 0, 0x25: 5 };
let cmdBuf = [];
const readBuf = Buffer.alloc(4096);
/** Bytes waiting to be written, each with the time it is due. */
const outQueue = [];
let outHead = 0;
const stats = {
  pieces: 0,
  writeAgain: 0,
  writeLateMaxNs: 0,
  writeLateOver1ms: 0,
  writeLateFirst500msMaxNs: 0,
  polls: 0,
  threadPolls: 0,
  pollRoundNs: 0,
  maxThreads: 0,
  processes: 0,
  cpuNs: 0,
  lateCpuNs: 0,
  unplacedCpuNs: 0,
  stallMaxNs: 0,
  stallsOver1ms: 0,
  stallsOver10ms: 0,
};

function queue(bytes, dueNs) {
  outQueue.push({ bytes, dueNs, off: 0 });
}

function readCommands() {
  let n;
  try {
    n = fs.readSync(fd, readBuf, 0, readBuf.length, null);
  } catch (e) {
    if (e.code === 'EAGAIN') return;
    throw e;
  }
  for (let j = 0; j < n; j++) cmdBuf.push(readBuf[j]);
  while (cmdBuf.length > 0) {
    const op = cmdBuf[0];
    const need = ARG_LEN[op];
    if (need === undefined) {
      cmdBuf.shift();
      continue;
    }
    if (cmdBuf.length < need + 1) return;
    const a = cmdBuf.splice(0, need + 1).slice(1);
    if (op === 0x19) queue(Buffer.from(metadataText(), 'latin1'), 0);
    else if (op === 0x0d) vddMv = (a[0] << 8) | a[1];
    else if (op === 0x11) powerMode = a[0];
    else if (op === 0x06) startStream();
    else if (op === 0x07) stopStream();
  }
}

function flushWrites(t) {
  while (outHead < outQueue.length) {
    const item = outQueue[outHead];
    if (item.dueNs > t) return;
    let n;
    try {
      n = fs.writeSync(fd, item.bytes, item.off, item.bytes.length - item.off);
    } catch (e) {
      if (e.code === 'EAGAIN') {
        stats.writeAgain++;
        return;
      }
      throw e;
    }
    item.off += n;
    if (item.off < item.bytes.length) return;
    if (item.dueNs > 0) {
      const late = t - item.dueNs;
      if (late > stats.writeLateMaxNs) stats.writeLateMaxNs = late;
      if (late > 1e6) stats.writeLateOver1ms++;
      // Lateness at the start of a stream is what a driver that anchors on its first reads sees.
      if (item.dueNs - t0 < 500e6 && late > stats.writeLateFirst500msMaxNs) stats.writeLateFirst500msMaxNs = late;
    }
    outHead++;
  }
  if (outHead > 4096) {
    outQueue.splice(0, outHead);
    outHead = 0;
  }
}

// ---- the stream and its truth --------------------------------------------------------------------
const RING = 1 << 17; // 1.3 s of samples: CPU ns per open sample
const ringMask = RING - 1;
const cpuBins = new Float64Array(RING);
let streaming = false;
let t0 = 0;
/** Next sample to finalise; every sample before it has been encoded and queued. */
let k = 0;
let pieceWords = Buffer.alloc(SAMPLES_PER_PIECE * 4);
let pieceFill = 0;
const streams = [];
let truthChunks = [];
let truthChunk = new Float32Array(1 << 20);
let truthFill = 0;
let truthTotal = 0;

function startStream() {
  if (streaming) stopStream();
  streaming = true;
  t0 = now();
  k = 0;
  cpuBins.fill(0);
  pieceFill = 0;
  streams.push({ t0MonoNs: (ORIGIN + BigInt(t0)).toString(), periodNs: PERIOD_NS, count: 0, first: truthTotal });
}

function stopStream() {
  if (!streaming) return;
  streaming = false;
  streams[streams.length - 1].count = k;
}

function pushTruth(amps) {
  if (truthFill === truthChunk.length) {
    truthChunks.push(truthChunk);
    truthChunk = new Float32Array(1 << 20);
    truthFill = 0;
  }
  truthChunk[truthFill++] = amps;
  truthTotal++;
}

/** Adds `cpuNs` of CPU spread evenly over [a, b) (emulator ns) to the open samples. */
function place(a, b, cpuNs) {
  if (!streaming || !(cpuNs > 0)) return;
  if (b <= a) b = a + 1;
  const rate = cpuNs / (b - a);
  // CPU before AverageStart belongs to no sample.
  if (a < t0) {
    if (b <= t0) return;
    cpuNs -= rate * (t0 - a);
    a = t0;
  }
  stats.cpuNs += cpuNs;
  const open = t0 + k * PERIOD_NS;
  if (a < open) {
    // Already final: an update that came later than L. Move it, at one core, to the open samples.
    const late = rate * (Math.min(b, open) - a);
    stats.lateCpuNs += late;
    spread(open, open + late, late);
    a = open;
    if (b <= a) return;
  }
  spread(a, b, rate * (b - a));
}

function spread(a, b, cpuNs) {
  const rate = cpuNs / (b - a);
  const last = k + RING - 1;
  let j = Math.floor((a - t0) / PERIOD_NS);
  for (; j <= last; j++) {
    const s = t0 + j * PERIOD_NS;
    const e = s + PERIOD_NS;
    if (s >= b) return;
    cpuBins[j & ringMask] += rate * (Math.min(b, e) - Math.max(a, s));
  }
  stats.unplacedCpuNs += rate * Math.max(0, b - (t0 + (last + 1) * PERIOD_NS));
}

/** Finalises every sample whose end is at least L ago: its current, its word, its piece. */
function finalise(t) {
  if (!streaming) return;
  while (t0 + (k + 1) * PERIOD_NS + LATENCY_NS <= t) {
    const cpu = cpuBins[k & ringMask];
    cpuBins[k & ringMask] = 0;
    const amps = BASE_A + PER_CORE_A * (cpu / PERIOD_NS);
    pushTruth(amps);
    const word = (encode(amps) | ((k & 63) << 18)) >>> 0;
    pieceWords.writeUInt32LE(word, pieceFill * 4);
    pieceFill++;
    k++;
    if (pieceFill === SAMPLES_PER_PIECE) {
      queue(pieceWords, t0 + k * PERIOD_NS + LATENCY_NS + DELAY_NS);
      stats.pieces++;
      pieceWords = Buffer.alloc(SAMPLES_PER_PIECE * 4);
      pieceFill = 0;
    }
  }
}

// ---- following the target's threads -------------------------------------------------------------
let rootPid = 0;
/** tid → { fdSched, fdStat, lastT, lastSum, segs: [start, end, …] of R polls since the last increase }. */
const threads = new Map();
const statBuf = Buffer.alloc(1024);
let lastScanT = 0;
let scannedOnce = false;

function readSum(th) {
  const n = fs.readSync(th.fdSched, statBuf, 0, statBuf.length, 0);
  let v = 0;
  for (let j = 0; j < n; j++) {
    const c = statBuf[j];
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  return v;
}

function readRunning(th) {
  const n = fs.readSync(th.fdStat, statBuf, 0, statBuf.length, 0);
  const close = statBuf.lastIndexOf(41, n - 1); // ')': the command name may contain spaces
  return statBuf[close + 2] === 82; // 'R'
}

function treeTids() {
  const tids = [];
  const pids = [rootPid];
  const seen = new Set();
  while (pids.length > 0) {
    const pid = pids.pop();
    if (seen.has(pid)) continue;
    seen.add(pid);
    let list;
    try {
      list = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of list) {
      tids.push([pid, Number(tid)]);
      try {
        const kids = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').trim();
        if (kids) for (const c of kids.split(' ')) pids.push(Number(c));
      } catch {
        // thread gone
      }
    }
  }
  stats.processes = Math.max(stats.processes, seen.size);
  return tids;
}

function scan(t) {
  for (const [pid, tid] of treeTids()) {
    if (threads.has(tid)) continue;
    let th;
    try {
      th = {
        fdSched: fs.openSync(`/proc/${pid}/task/${tid}/schedstat`, 'r'),
        fdStat: fs.openSync(`/proc/${pid}/task/${tid}/stat`, 'r'),
        lastT: t,
        lastSum: 0,
        segs: [],
        name: tid === rootPid ? 'main' : `${readName(pid, tid)} ${tid}`,
      };
      // Threads present at the first scan start from their current count; one born since the last
      // scan ran somewhere in between, so its whole count is placed from that scan on.
      if (scannedOnce) th.lastT = lastScanT;
      else th.lastSum = readSum(th);
    } catch {
      continue;
    }
    threads.set(tid, th);
  }
  scannedOnce = true;
  lastScanT = t;
  stats.maxThreads = Math.max(stats.maxThreads, threads.size);
}

function readName(pid, tid) {
  try {
    return `${pid === rootPid ? '' : `pid ${pid} `}${fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'latin1').trim()}`;
  } catch {
    return '?';
  }
}

/** CPU placed in the stream per thread name (threads of one name summed), for the report. */
const cpuByName = {};

function dropThread(tid, th) {
  for (const f of [th.fdSched, th.fdStat]) {
    try {
      fs.closeSync(f);
    } catch {
      // already closed
    }
  }
  threads.delete(tid);
}

function pollThreads() {
  for (const [tid, th] of threads) {
    const t = now();
    let sum;
    let running;
    try {
      running = readRunning(th);
      sum = readSum(th);
    } catch {
      dropThread(tid, th);
      continue;
    }
    if (sum === 0 && th.lastSum > 0) {
      // An exited thread's files read empty.
      dropThread(tid, th);
      continue;
    }
    const segs = th.segs;
    if (running) {
      if (segs.length > 0 && segs[segs.length - 1] === th.lastT) segs[segs.length - 1] = t;
      else segs.push(th.lastT, t);
    }
    if (sum > th.lastSum) {
      const d = sum - th.lastSum;
      // The thread ran up to the switch that updated the count: the last interval counts as R too.
      if (!(segs.length > 0 && segs[segs.length - 1] === t)) segs.push(th.lastT, t);
      let runNs = 0;
      for (let j = 0; j < segs.length; j += 2) runNs += segs[j + 1] - segs[j];
      if (streaming) cpuByName[th.name] = (cpuByName[th.name] ?? 0) + d;
      if (runNs >= d) {
        for (let j = 0; j < segs.length; j += 2) place(segs[j], segs[j + 1], (d * (segs[j + 1] - segs[j])) / runNs);
      } else {
        // Ran more than the polls saw it running: spread over at least its CPU time, ending now.
        place(Math.min(segs[0], t - d), t, d);
      }
      th.lastSum = sum;
      th.segs = [];
    }
    th.lastT = t;
    stats.threadPolls++;
  }
}

// ---- the loop ------------------------------------------------------------------------------------
let quitting = false;
const startT = now();
let lastCmdT = 0;
let lastLoopT = now();
let pollRounds = 0;
let pollTimeNs = 0;

function slice() {
  const end = now() + 2e6;
  for (;;) {
    const t = now();
    const gap = streaming ? t - lastLoopT : 0;
    if (gap > stats.stallMaxNs) stats.stallMaxNs = gap;
    if (gap > 1e6) stats.stallsOver1ms++;
    if (gap > 10e6) stats.stallsOver10ms++;
    lastLoopT = t;
    if (rootPid && t - lastScanT > 20e6) scan(t);
    if (threads.size > 0) {
      pollThreads();
      pollRounds++;
      pollTimeNs += now() - t;
    }
    stats.polls++;
    let t2 = now();
    if (POLL_NS > 0 && t + POLL_NS > t2) {
      Atomics.wait(sleeper, 0, 0, (t + POLL_NS - t2) / 1e6);
      t2 = now();
    }
    finalise(t2);
    flushWrites(t2);
    if (t2 - lastCmdT > 0.5e6) {
      readCommands();
      lastCmdT = t2;
    }
    if (t2 > end) break;
  }
  if (quitting) return finish();
  // Yield to the event loop (stdin) between slices of busy polling.
  setImmediate(slice);
}

function finish() {
  stopStream();
  truthChunks.push(truthChunk.subarray(0, truthFill));
  const out = fs.openSync(`${truthPrefix}.f32`, 'w');
  for (const c of truthChunks) fs.writeSync(out, Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  fs.closeSync(out);
  stats.pollRoundNs = pollRounds > 0 ? pollTimeNs / pollRounds : 0;
  stats.loopNs = stats.polls > 0 ? (now() - startT) / stats.polls : 0;
  try {
    // utime + stime (clock ticks, fields 14 and 15) of this process: what the emulator itself costs.
    const f = fs.readFileSync('/proc/self/stat', 'latin1');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    stats.selfCpuS = (Number(rest[11]) + Number(rest[12])) / 100;
    stats.wallS = (now() - startT) / 1e9;
  } catch {
    // not Linux
  }
  stats.cpuByThread = Object.fromEntries(
    Object.entries(cpuByName)
      .sort((x, y) => y[1] - x[1])
      .map(([n, v]) => [n, Math.round(v / 1e6)]),
  );
  const meta = { periodNs: PERIOD_NS, vddMv, delayNs: DELAY_NS, latencyNs: LATENCY_NS, baseA: BASE_A, perCoreA: PER_CORE_A, streams, stats };
  fs.writeFileSync(`${truthPrefix}.json`, JSON.stringify(meta, null, 2));
  process.stdout.write(JSON.stringify({ stats }) + '\n', () => process.exit(0));
}

let stdinText = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  stdinText += d;
  let nl;
  while ((nl = stdinText.indexOf('\n')) >= 0) {
    const line = stdinText.slice(0, nl).trim();
    stdinText = stdinText.slice(nl + 1);
    const m = /^pid (\d+)$/.exec(line);
    if (m) {
      rootPid = Number(m[1]);
      scan(now());
    } else if (line === 'quit') quitting = true;
  }
});
process.stdin.on('end', () => (quitting = true));

process.stdout.write(JSON.stringify({ ready: true }) + '\n');
setImmediate(slice);
