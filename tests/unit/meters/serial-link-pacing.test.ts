/**
 * A paced serial link (readIntervalMs) reads a fast packet stream in few large reads and loses or
 * reorders nothing. The device is a separate process writing numbered 64-byte packets every 160 µs
 * (a PPK2's USB packets at 100 kS/s) to a socat pty, so the arrival pattern is a real tty's.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKLOG_READ_BYTES, DRAINED_READ_BYTES, ReadPacer, SerialLink } from '../../../main/meters/link';
import { PtyPair } from './helpers/pty-pair';

const PACKETS = 8000; // 1.28 s at one packet per 160 µs

// Writes PACKETS packets of 64 bytes, the first BURST of them at once (a backlog), the rest one per
// 160 µs; packet k holds k as a 32-bit word, repeated.
const WRITER = `
const fs = require('fs');
const fd = fs.openSync(process.argv[1], 'w');
const n = Number(process.argv[2]);
const burst = Number(process.argv[3]);
const t0 = process.hrtime.bigint();
for (let k = 0; k < n; k++) {
  while (k >= burst && process.hrtime.bigint() - t0 < BigInt(k - burst) * 160000n) {}
  const b = Buffer.alloc(64);
  for (let j = 0; j < 16; j++) b.writeUInt32LE(k, j * 4);
  for (let off = 0; off < 64; ) {
    try { off += fs.writeSync(fd, b, off); } catch (e) { if (e.code !== 'EAGAIN') throw e; }
  }
}
`;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await Promise.resolve(cleanups.pop()!()).catch(() => undefined);
});

async function receive(readIntervalMs: number, burst = 0): Promise<{ words: Uint32Array; arrivalsMs: number[]; sizes: number[] }> {
  const pty = await PtyPair.create();
  cleanups.push(() => pty.dispose());
  const link = new SerialLink({ path: pty.hostPath, readIntervalMs });
  cleanups.push(() => link.close());
  const parts: Buffer[] = [];
  const arrivalsMs: number[] = [];
  const sizes: number[] = [];
  let bytes = 0;
  link.on('data', (d) => {
    parts.push(Buffer.from(d));
    arrivalsMs.push(performance.now());
    sizes.push(d.length);
    bytes += d.length;
  });
  await link.open();
  const writer = spawn(process.execPath, ['-e', WRITER, pty.devicePath, String(PACKETS), String(burst)], { stdio: 'inherit' });
  cleanups.push(() => void (writer.exitCode === null && writer.kill('SIGKILL')));
  await new Promise((r) => writer.once('exit', r));
  const deadline = Date.now() + 5000;
  while (bytes < PACKETS * 64 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const all = Buffer.concat(parts);
  return { words: new Uint32Array(all.buffer, all.byteOffset, all.length / 4), arrivalsMs, sizes };
}

describe('SerialLink read pacing', () => {
  it('reads a 64-byte packet stream at most every readIntervalMs, every byte in order', async () => {
    const { words, arrivalsMs } = await receive(5);
    expect(words.length).toBe(PACKETS * 16);
    for (let i = 0; i < words.length; i++) if (words[i] !== Math.floor(i / 16)) expect.fail(`word ${i} is ${words[i]}, expected ${Math.floor(i / 16)}`);
    // Reads start ≥ 5 ms apart; a read's completion can come early or late by thread-pool jitter, so
    // the median spacing is what is checked (unpaced, it is one packet period or a few: < 1 ms).
    const spacing = arrivalsMs.slice(1).map((t, i) => t - arrivalsMs[i]!);
    spacing.sort((a, b) => a - b);
    expect(spacing[spacing.length >> 1]).toBeGreaterThanOrEqual(4);
    expect(arrivalsMs.length).toBeLessThan((PACKETS * 0.16) / 4);
  }, 30_000);

  it('reads again at once after a read that found a backlog, so a device FIFO drains as fast as unpaced', async () => {
    // 1000 packets (64 kB, what the tty buffers hold) written at once, then the steady stream.
    const { words, arrivalsMs, sizes } = await receive(5, 1000);
    expect(words.length).toBe(PACKETS * 16);
    for (let i = 0; i < words.length; i++) if (words[i] !== Math.floor(i / 16)) expect.fail(`word ${i} is ${words[i]}, expected ${Math.floor(i / 16)}`);
    // The read after each large read follows without the 5 ms pause.
    const after = sizes.flatMap((n, i) => (n >= BACKLOG_READ_BYTES && i + 1 < sizes.length ? [arrivalsMs[i + 1]! - arrivalsMs[i]!] : []));
    expect(after.length).toBeGreaterThanOrEqual(5);
    after.sort((a, b) => a - b);
    expect(after[after.length >> 1]).toBeLessThan(4);
  }, 30_000);

  it('drains a backlog without pauses until a read comes back nearly empty, then paces again', () => {
    const p = new ReadPacer(5);
    expect(p.delayMs(2000, 1)).toBe(4); // steady stream, 5 ms of packets per read: wait out the interval
    expect(p.delayMs(2000, 7)).toBe(0);
    expect(p.delayMs(4096, 0)).toBe(0); // a backlog
    expect(p.delayMs(1500, 0)).toBe(0); // half full right after: the line discipline is still refilling
    expect(p.delayMs(DRAINED_READ_BYTES, 0)).toBe(0);
    expect(p.delayMs(64, 0)).toBe(5); // drained
    expect(p.delayMs(BACKLOG_READ_BYTES - 1, 2)).toBe(3);
    expect(new ReadPacer(0).delayMs(0, 0)).toBe(0);
  });
});
