/**
 * Hostile browser-mode clients: anyone holding the token may send any bytes. Random and hand-made
 * bad WebSocket frames (invalid opcode, unmasked, invalid UTF-8, over the size limit, reserved
 * bits, fragmented control frames), valid frames carrying random JSON or random calls, and
 * connections cut mid-handshake, against a live server while the simulated meter records. At the
 * end the server still answers and the recording's stored chunks are consecutive, with no gap.
 *
 * Runs ~15 s; DDI_FUZZ_SECONDS=60 runs longer.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBrowserServer, type BrowserServer } from '../../../main/server/browser-server';

const FUZZ_SECONDS = Number(process.env.DDI_FUZZ_SECONDS ?? 15);

let server: BrowserServer | undefined;
afterAll(async () => {
  await server?.close();
});

function staticRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'ddi-static-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>DDI</title>');
  mkdirSync(join(root, 'assets'));
  return root;
}

// ---------- raw frames ----------

interface FrameSpec {
  opcode: number;
  payload: Uint8Array;
  fin?: boolean;
  rsv?: number;
  mask?: boolean;
  /** Claimed payload length when it differs from the real one (e.g. a huge 64-bit length). */
  claimedLength?: number;
}

/** One WebSocket frame as RFC 6455 §5.2 lays it out. */
function frame(f: FrameSpec): Buffer {
  const mask = f.mask ?? true;
  const len = f.claimedLength ?? f.payload.length;
  const head: number[] = [((f.fin ?? true) ? 0x80 : 0) | ((f.rsv ?? 0) << 4) | (f.opcode & 0x0f)];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65_536) head.push(m | 126, len >> 8, len & 0xff);
  else {
    head.push(m | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(len));
    head.push(...big);
  }
  const key = mask ? randomBytes(4) : Buffer.alloc(0);
  const body = Buffer.from(f.payload);
  if (mask) for (let i = 0; i < body.length; i++) body[i]! ^= key[i % 4]!;
  return Buffer.concat([Buffer.from(head), key, body]);
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Frames a hostile or broken client might send; each should cost the sender its connection only. */
const badFrames: Array<[string, () => Buffer]> = [
  ['reserved opcode 3', () => frame({ opcode: 0x3, payload: text('x') })],
  ['reserved control opcode 0xB', () => frame({ opcode: 0xb, payload: text('') })],
  ['unmasked text frame', () => frame({ opcode: 0x1, payload: text('{"type":"call"}'), mask: false })],
  ['invalid UTF-8 text', () => frame({ opcode: 0x1, payload: Uint8Array.from([0xc3, 0x28, 0xff, 0xfe]) })],
  ['frame over the size limit', () => frame({ opcode: 0x2, payload: new Uint8Array(0), claimedLength: 2 ** 40 })],
  ['RSV1 without an extension', () => frame({ opcode: 0x1, payload: text('{}'), rsv: 4 })],
  ['fragmented ping', () => frame({ opcode: 0x9, payload: text('p'), fin: false })],
  ['ping over 125 bytes', () => frame({ opcode: 0x9, payload: new Uint8Array(200) })],
  ['continuation without a start', () => frame({ opcode: 0x0, payload: text('tail') })],
  ['close with an invalid code', () => frame({ opcode: 0x8, payload: Uint8Array.from([0x03, 0xe7]) })],
  ['close with a 1-byte body', () => frame({ opcode: 0x8, payload: Uint8Array.from([0x03]) })],
];

const frameArb = fc.oneof(
  fc.constantFrom(...badFrames).map(([name, make]) => ({ name, bytes: make() })),
  fc
    .record({
      opcode: fc.integer({ min: 0, max: 15 }),
      payload: fc.uint8Array({ maxLength: 300 }),
      fin: fc.boolean(),
      rsv: fc.integer({ min: 0, max: 7 }),
      mask: fc.boolean(),
    })
    .map((f) => ({ name: `random frame ${JSON.stringify({ ...f, payload: f.payload.length })}`, bytes: frame(f) })),
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => ({ name: 'random bytes', bytes: Buffer.from(b) })),
);

/** Upgrades a raw TCP connection with the token; resolves once the server answered 101. */
function rawUpgrade(port: number, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(
        `GET /api?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    let head = '';
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
      resolve(socket);
    };
    socket.on('data', onData);
  });
}

/** Sends the bytes and waits (briefly) for the server to close the connection; never leaves it open. */
async function sendRaw(port: number, token: string, bytes: Buffer): Promise<void> {
  const socket = await rawUpgrade(port, token);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, 150);
    socket.once('close', done);
    socket.write(bytes);
  });
  socket.destroy();
}

/** Opens the upgrade and cuts the TCP connection at a random point of the handshake. */
async function cutHandshake(port: number, token: string, at: number): Promise<void> {
  const req =
    `GET /api?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  await new Promise<void>((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.once('connect', () => {
      socket.write(req.slice(0, Math.floor(req.length * at)));
      setTimeout(() => socket.resetAndDestroy(), 5);
    });
  });
}

// ---------- valid frames, random content ----------

function openClient(port: number, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${token}`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Calls that cannot end the recording under test; the rest of the contract is reached by random names. */
const SAFE_CALLS = [
  'app.info',
  'meters.drivers',
  'meters.status',
  'meters.connect',
  'sessions.start',
  'sessions.list',
  'sessions.get',
  'sessions.trace',
  'sessions.export',
  'models.list',
];

const messageArb = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc
    .record({
      type: fc.oneof(fc.constant('call'), fc.string()),
      id: fc.oneof(fc.nat(), fc.double(), fc.string()),
      name: fc.oneof(fc.constantFrom(...SAFE_CALLS), fc.string()),
      input: fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.record({ id: fc.oneof(fc.integer(), fc.double()), points: fc.oneof(fc.integer(), fc.double()), fromS: fc.double(), toS: fc.double() }),
        fc.record({
          spec: fc.constantFrom('sim', 'ppk2', 'nope:x'),
          options: fc.dictionary(fc.constantFrom('rateHz', 'idleW', 'busyW', 'x'), fc.oneof(fc.double(), fc.string(), fc.boolean())),
        }),
      ),
    })
    .map((m) => JSON.stringify(m)),
);

/** Sends one message on a shared client; an error reply must be one line, one sentence. */
async function sendJson(ws: WebSocket, message: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(finish, 300);
    function finish(): void {
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve();
    }
    function onMessage(raw: WebSocket.RawData): void {
      const msg = JSON.parse(String(raw)) as { type: string; ok?: boolean; error?: { message: string } };
      if (msg.type !== 'result') return;
      if (msg.ok === false) {
        expect(msg.error!.message, 'an error is one line').not.toContain('\n');
        expect(msg.error!.message.length, msg.error!.message).toBeLessThan(600);
      }
      finish();
    }
    ws.on('message', onMessage);
    ws.send(message);
  });
}

function call(ws: WebSocket, id: number, name: string, input: unknown): Promise<{ ok: boolean; output?: unknown; error?: { message: string } }> {
  return new Promise((resolve) => {
    const onMessage = (raw: WebSocket.RawData): void => {
      const msg = JSON.parse(String(raw));
      if (msg.type === 'result' && msg.id === id) {
        ws.off('message', onMessage);
        resolve(msg);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'call', id, name, input }));
  });
}

/** Sends the bytes and returns the close code of the server's close frame (undefined if none came). */
async function closeCodeFor(port: number, token: string, bytes: Buffer): Promise<number | undefined> {
  const socket = await rawUpgrade(port, token);
  socket.on('error', () => undefined);
  const received: Buffer[] = [];
  socket.on('data', (d: Buffer) => received.push(d));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.write(bytes);
  });
  socket.destroy();
  const all = Buffer.concat(received);
  // Server frames are unmasked; a close frame is 0x88, then the length, then the 2-byte code.
  const at = all.indexOf(0x88);
  return at >= 0 && all.length >= at + 4 ? all.readUInt16BE(at + 2) : undefined;
}

describe('browser mode against hostile clients', () => {
  it('closes a socket that sends a bad frame with the code RFC 6455 prescribes, and keeps serving', async () => {
    server = await startBrowserServer({ dbPath: join(mkdtempSync(join(tmpdir(), 'ddi-fuzz-')), 'db.sqlite'), staticRoot: staticRoot() });
    const { port, token } = server;
    const codes: Record<string, number | undefined> = {};
    for (const [name, make] of badFrames) codes[name] = await closeCodeFor(port, token, make());
    expect(codes).toEqual({
      'reserved opcode 3': 1002,
      'reserved control opcode 0xB': 1002,
      'unmasked text frame': 1002,
      'invalid UTF-8 text': 1007,
      'frame over the size limit': 1009,
      'RSV1 without an extension': 1002,
      'fragmented ping': 1002,
      'ping over 125 bytes': 1002,
      'continuation without a start': 1002,
      'close with an invalid code': 1002,
      'close with a 1-byte body': 1002,
    });
    const ws = await openClient(port, token);
    expect((await call(ws, 1, 'app.info', {})).ok).toBe(true);
    ws.close();
    await server.close();
    server = undefined;
  });

  it(
    `survives ${FUZZ_SECONDS} s of bad frames and random messages while a recording stays gap-free`,
    async () => {
      server = await startBrowserServer({ dbPath: join(mkdtempSync(join(tmpdir(), 'ddi-fuzz-')), 'db.sqlite'), staticRoot: staticRoot() });
      const { port, token, core } = server;
      await core.handle('meters.connect', { spec: 'sim' });
      const session = (await core.handle('sessions.start', { name: 'under fuzz' })) as { id: number };
      const shared = await openClient(port, token);
      const kinds = { raw: 0, json: 0, cut: 0 };

      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            { weight: 4, arbitrary: frameArb.map((f) => ({ kind: 'raw' as const, f })) },
            { weight: 4, arbitrary: messageArb.map((m) => ({ kind: 'json' as const, m })) },
            { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((at) => ({ kind: 'cut' as const, at })) },
          ),
          async (c) => {
            kinds[c.kind] += 1;
            if (c.kind === 'raw') await sendRaw(port, token, c.f.bytes);
            else if (c.kind === 'json') await sendJson(shared, c.m);
            else await cutHandshake(port, token, c.at);
          },
        ),
        { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: FUZZ_SECONDS * 1000, markInterruptAsFailure: false },
      );
      console.log(`ws fuzz: ${FUZZ_SECONDS} s, ${kinds.raw} raw-frame connections, ${kinds.json} random messages, ${kinds.cut} cut handshakes`);
      expect(kinds.raw).toBeGreaterThan(10);

      // The server still answers, on the shared client and on a fresh one.
      const fresh = await openClient(port, token);
      const info = await call(fresh, 1, 'app.info', {});
      expect(info.ok).toBe(true);
      expect(shared.readyState).toBe(WebSocket.OPEN);
      const stopped = await call(fresh, 2, 'sessions.stop', {});
      expect(stopped.ok, JSON.stringify(stopped.error)).toBe(true);
      fresh.close();
      shared.close();

      // The recording is whole: chunk after chunk, each starting where the previous ended, no gap.
      const chunks = core.db.prepare('SELECT seq, t0_ns, period_ns, count FROM sample_chunks WHERE session_id = ? ORDER BY seq').all(session.id) as Array<{
        seq: number;
        t0_ns: number;
        period_ns: number;
        count: number;
      }>;
      expect(chunks.length).toBeGreaterThan(FUZZ_SECONDS * 2);
      chunks.forEach((c, i) => expect(c.seq).toBe(i));
      for (let i = 1; i < chunks.length; i++) {
        const prev = chunks[i - 1]!;
        expect(Math.abs(chunks[i]!.t0_ns - (prev.t0_ns + prev.count * prev.period_ns))).toBeLessThanOrEqual(prev.period_ns / 2);
      }
      const gaps = core.db.prepare('SELECT reason FROM gaps WHERE session_id = ?').all(session.id);
      expect(gaps).toEqual([]);
    },
    (FUZZ_SECONDS + 60) * 1000,
  );
});
