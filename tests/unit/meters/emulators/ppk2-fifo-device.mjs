// A PPK2 as a process of its own, so that stalling the process that reads it does not stall the
// device: `node ppk2-fifo-device.mjs DEVICE_PTY TRUTH_JSON [FIFO_SAMPLES]`.
//
// It answers GetMetadata (same text format as ppk2-emulator.ts, written independently here) and on
// AverageStart produces one word per 10 µs paced by its own monotonic clock. Words go through a
// bounded device FIFO and are written to the pty in 64-byte pieces (one USB full-speed packet) with
// non-blocking writes: while the reader does not read, the pty fills, the FIFO fills, and then new
// samples are DROPPED and counted, as a real PPK2 does when the host stops polling.
//
// Each word carries its true sample index n: counter bits = n mod 64 (as on the device),
// D0-D7 = (n >> 6) & 0xff, ADC = 1000 + ((n >> 14) & 0xfff) in range 1 (a slow staircase), so a
// test can recover n from the stored samples alone.
//
// Truth (CLOCK_MONOTONIC ns of AverageStart, the sample count, drop episodes) is written as JSON
// to TRUTH_JSON on AverageStop and on SIGTERM. "ready" is printed on stdout once the port is open.
import { closeSync, constants, openSync, readSync, writeFileSync, writeSync } from 'node:fs';

const [devicePath, truthPath, fifoArg] = process.argv.slice(2);
if (!devicePath || !truthPath) {
  process.stderr.write('usage: ppk2-fifo-device.mjs DEVICE_PTY TRUTH_JSON [FIFO_SAMPLES]\n');
  process.exit(2);
}
const FIFO_BYTES = Number(fifoArg ?? 32768) * 4;
const PERIOD_NS = 10_000n;

const CAL = {
  r: [1020.5, 101.2, 10.08, 0.95, 0.044],
  gs: [0, 50, 5, 0.5, 0.02],
  gi: [1, 0.98, 0.99, 1.01, 1],
  o: [110.5, 95.25, 80.125, 70.5, 60],
  s: [4.5e-8, 2e-8, 0, 0, 0],
  i: [-1e-7, 0, 0, 0, 0],
  ug: [1, 1, 1, 1, 1],
};
function metadataText() {
  const lines = ['Calibrated: 1'];
  for (const [key, values] of [
    ['R', CAL.r],
    ['GS', CAL.gs],
    ['GI', CAL.gi],
    ['O', CAL.o],
  ])
    values.forEach((v, k) => lines.push(`${key}${k}: ${v}`));
  lines.push('VDD: 3000', 'HW: 9173', 'mode: 2');
  for (const [key, values] of [
    ['S', CAL.s],
    ['I', CAL.i],
  ])
    values.forEach((v, k) => lines.push(`${key}${k}: ${v}`));
  CAL.ug.forEach((v, k) => lines.push(`UG${k}: ${v.toFixed(2)}`));
  lines.push('IA: 56', 'END', '');
  return lines.join('\n');
}

/** Argument bytes after each command byte the driver may send. */
const ARG_LEN = { 0x06: 0, 0x07: 0, 0x0c: 1, 0x0d: 2, 0x11: 1, 0x19: 0, 0x25: 5 };

const fd = openSync(devicePath, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
const fifo = Buffer.alloc(FIFO_BYTES);
let head = 0; // byte offset of the next byte to send
let queued = 0; // bytes in the FIFO
let streaming = false;
let t0 = 0n;
let n = 0; // samples produced since AverageStart, dropped ones included
let sent = 0; // bytes handed to the pty
const drops = []; // { first, count }
let dropping = false;
let pendingWrite = Buffer.alloc(0); // a metadata reply not yet fully written
const cmd = [];
const readBuf = Buffer.alloc(4096);

function truth() {
  return { startNs: t0.toString(), periodNs: Number(PERIOD_NS), generated: n, sentSamples: Math.floor(sent / 4), fifoSamples: FIFO_BYTES / 4, drops };
}
function writeTruth() {
  writeFileSync(truthPath, JSON.stringify(truth()));
}

function tryWrite(buf, off, len) {
  try {
    return writeSync(fd, buf, off, len);
  } catch (e) {
    if (e.code === 'EAGAIN' || e.code === 'EWOULDBLOCK') return 0;
    throw e;
  }
}

function command(op) {
  if (op === 0x19) {
    pendingWrite = Buffer.concat([pendingWrite, Buffer.from(metadataText(), 'latin1')]);
  } else if (op === 0x06) {
    streaming = true;
    t0 = process.hrtime.bigint();
    n = 0;
    sent = 0;
    head = 0;
    queued = 0;
    drops.length = 0;
    dropping = false;
  } else if (op === 0x07) {
    if (streaming) writeTruth();
    streaming = false;
    queued = 0;
  }
}

function readCommands() {
  for (;;) {
    let got = 0;
    try {
      got = readSync(fd, readBuf, 0, readBuf.length, null);
    } catch (e) {
      if (e.code === 'EAGAIN' || e.code === 'EWOULDBLOCK') return;
      if (e.code === 'EIO') return; // the other side is not open yet / went away
      throw e;
    }
    if (got <= 0) return;
    for (let k = 0; k < got; k++) cmd.push(readBuf[k]);
    while (cmd.length > 0) {
      const need = ARG_LEN[cmd[0]];
      if (need === undefined) {
        cmd.shift();
        continue;
      }
      if (cmd.length < need + 1) break;
      const op = cmd[0];
      cmd.splice(0, need + 1);
      command(op);
    }
  }
}

function produce() {
  const due = Number((process.hrtime.bigint() - t0) / PERIOD_NS);
  for (; n < due; n++) {
    if (queued + 4 > FIFO_BYTES) {
      if (!dropping) drops.push({ first: n, count: 0 });
      dropping = true;
      drops[drops.length - 1].count++;
      continue;
    }
    dropping = false;
    const adc = 1000 + ((n >>> 14) & 0xfff);
    const word = (adc | (1 << 14) | ((n & 63) << 18) | (((n >>> 6) & 0xff) << 24)) >>> 0;
    let pos = (head + queued) % FIFO_BYTES;
    for (let b = 0; b < 4; b++) {
      fifo[pos] = (word >>> (8 * b)) & 0xff;
      pos = pos + 1 === FIFO_BYTES ? 0 : pos + 1;
    }
    queued += 4;
  }
}

function drain() {
  while (queued > 0) {
    const piece = Math.min(64, queued, FIFO_BYTES - head);
    const w = tryWrite(fifo, head, piece);
    head = (head + w) % FIFO_BYTES;
    queued -= w;
    sent += w;
    if (w < piece) return;
  }
}

function tick() {
  readCommands();
  if (pendingWrite.length > 0) {
    const w = tryWrite(pendingWrite, 0, pendingWrite.length);
    pendingWrite = pendingWrite.subarray(w);
  }
  if (streaming) {
    produce();
    drain();
  }
  setTimeout(tick, 1);
}

process.on('SIGTERM', () => {
  writeTruth();
  closeSync(fd);
  process.exit(0);
});
process.stdout.write('ready\n');
tick();
