// The browser-mode API client against a tiny real `ws` server: wire format, errors, events,
// response validation, queueing before open, and reconnect after the server drops or refuses.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import type { AppInfo, MeterStatus } from '../../../main/api/contract';
import type { ClientMessage, ServerMessage } from '../../../main/api/wire';
import { ApiError } from '../../../renderer/src/api/errors';
import { WsApiClient, type ConnectionInfo, type SocketLike } from '../../../renderer/src/api/ws-client';

const info: AppInfo = { name: 'DDI Profiler', version: '0.1.0', transport: 'browser', databasePath: '/tmp/x.db' };
const status: MeterStatus = {
  spec: 'sim',
  driver: 'sim',
  label: 'Simulated meter',
  simulated: true,
  state: 'streaming',
  channels: ['current', 'voltage', 'power'],
  sampleRateHz: 10_000,
  counters: { samples: 5, lostSamples: 0, gaps: 0, badFrames: 0, reconnects: 0 },
};

interface FakeServer {
  wss: WebSocketServer;
  port: number;
  received: ClientMessage[];
  sockets: ServerSocket[];
  /** Reply policy per call name; default answers app.info with `info`. */
  reply: (msg: ClientMessage) => ServerMessage | null;
  refuse: boolean;
}

const servers: FakeServer[] = [];
const clients: WsApiClient[] = [];

async function startServer(port = 0): Promise<FakeServer> {
  const s: FakeServer = {
    wss: undefined as unknown as WebSocketServer,
    port: 0,
    received: [],
    sockets: [],
    reply: (m) => ({ type: 'result', id: m.id, ok: true, output: info }),
    refuse: false,
  };
  s.wss = new WebSocketServer({
    host: '127.0.0.1',
    port,
    path: '/api',
    verifyClient: (_info, cb) => (s.refuse ? cb(false, 401, 'Unauthorized') : cb(true)),
  });
  await new Promise<void>((r) => s.wss.once('listening', () => r()));
  s.port = (s.wss.address() as { port: number }).port;
  s.wss.on('connection', (sock) => {
    s.sockets.push(sock);
    sock.on('message', (data) => {
      const msg = JSON.parse(String(data)) as ClientMessage;
      s.received.push(msg);
      const out = s.reply(msg);
      if (out) sock.send(JSON.stringify(out));
    });
  });
  servers.push(s);
  return s;
}

function client(port: number): WsApiClient {
  const c = new WsApiClient({
    url: `ws://127.0.0.1:${port}/api?token=abc`,
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    initialBackoffMs: 20,
    maxBackoffMs: 100,
  });
  clients.push(c);
  return c;
}

function waitFor<T>(get: () => T | undefined | false, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const v = get();
      if (v) return resolve(v);
      if (Date.now() - started > 10_000) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

async function stop(s: FakeServer) {
  for (const sock of s.sockets) sock.terminate();
  await new Promise<void>((r) => s.wss.close(() => r()));
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await stop(s);
});

describe('WsApiClient', () => {
  it('sends calls in the wire format with unique ids and resolves with the validated output', async () => {
    const s = await startServer();
    const c = client(s.port);
    // Both calls are made before the socket opens: they must wait and then go out once.
    const [a, b] = await Promise.all([c.call('app.info', {}), c.call('app.info', {})]);
    expect(a).toEqual(info);
    expect(b).toEqual(info);
    expect(s.received).toHaveLength(2);
    expect(s.received.map((m) => m.type)).toEqual(['call', 'call']);
    expect(s.received[0]?.name).toBe('app.info');
    expect(s.received[0]?.input).toEqual({});
    expect(new Set(s.received.map((m) => m.id)).size).toBe(2);
  });

  it('passes the input through and matches answers to calls by id, whatever their order', async () => {
    const s = await startServer();
    const held: ClientMessage[] = [];
    s.reply = (m) => {
      held.push(m);
      if (held.length < 2) return null;
      // Answer the second call first, then the first.
      const [first, second] = held;
      const sock = s.sockets[0]!;
      sock.send(JSON.stringify({ type: 'result', id: second!.id, ok: true, output: { ...status, spec: 'second' } }));
      sock.send(JSON.stringify({ type: 'result', id: first!.id, ok: true, output: { ...status, spec: 'first' } }));
      return null;
    };
    const c = client(s.port);
    const p1 = c.call('meters.connect', { spec: 'sim', options: { rateHz: 100 } });
    const p2 = c.call('meters.connect', { spec: 'sim' });
    expect((await p1).spec).toBe('first');
    expect((await p2).spec).toBe('second');
    expect(held[0]?.input).toEqual({ spec: 'sim', options: { rateHz: 100 } });
  });

  it("rejects with an ApiError carrying the core's sentence and code", async () => {
    const s = await startServer();
    s.reply = (m) => ({
      type: 'result',
      id: m.id,
      ok: false,
      error: { message: 'Unknown meter driver "foo"; use one of: sim.', code: 'unknown-driver' },
    });
    const c = client(s.port);
    const err = await c.call('meters.connect', { spec: 'foo' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe('Unknown meter driver "foo"; use one of: sim.');
    expect((err as ApiError).code).toBe('unknown-driver');
  });

  it('rejects an answer that does not match the contract instead of handing it to the UI', async () => {
    const s = await startServer();
    s.reply = (m) => ({ type: 'result', id: m.id, ok: true, output: { name: 'DDI Profiler' } });
    const c = client(s.port);
    const err = await c.call('app.info', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('bad-response');
    expect((err as ApiError).message).toMatch(/app\.info/);
  });

  it('delivers valid events to subscribers, drops malformed ones, and stops after unsubscribe', async () => {
    const s = await startServer();
    const c = client(s.port);
    const got: unknown[] = [];
    const off = c.on('meter.status', (p) => got.push(p));
    await c.call('app.info', {}); // ensures the socket is open
    const sock = s.sockets[0]!;
    sock.send(JSON.stringify({ type: 'event', name: 'meter.status', payload: { nonsense: true } }));
    sock.send(JSON.stringify({ type: 'event', name: 'meter.status', payload: status }));
    sock.send(JSON.stringify({ type: 'event', name: 'meter.status', payload: null }));
    await waitFor(() => got.length >= 2, 'two events');
    expect(got).toEqual([status, null]);
    off();
    sock.send(JSON.stringify({ type: 'event', name: 'meter.status', payload: status }));
    await c.call('app.info', {}); // a round trip after the event: it has been processed by now
    expect(got).toHaveLength(2);
  });

  it('fails a call in flight when the connection drops, then reconnects and works again', async () => {
    const s = await startServer();
    s.reply = () => null; // never answer
    const c = client(s.port);
    const states: ConnectionInfo['state'][] = [];
    c.onConnection((i) => states.push(i.state));
    const inFlight = c.call('sessions.start', {}).catch((e: unknown) => e);
    await waitFor(() => s.received.length === 1, 'the call to arrive');
    s.sockets[0]!.terminate();
    const err = await inFlight;
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('disconnected');
    s.reply = (m) => ({ type: 'result', id: m.id, ok: true, output: info });
    expect(await c.call('app.info', {})).toEqual(info);
    // The call that was in flight is never resent (it might have started a session already).
    expect(s.received.filter((m) => m.name === 'sessions.start')).toHaveLength(1);
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('open');
  });

  it('keeps retrying while the server refuses, counting failures, and connects once it accepts', async () => {
    const s = await startServer();
    s.refuse = true;
    const c = client(s.port);
    let last: ConnectionInfo | undefined;
    c.onConnection((i) => (last = i));
    const pending = c.call('app.info', {});
    await waitFor(() => (last?.failures ?? 0) >= 3, 'three refused attempts');
    expect(s.received).toHaveLength(0);
    s.refuse = false;
    expect(await pending).toEqual(info);
    expect(last?.state).toBe('open');
    expect(last?.failures).toBe(0);
  });

  it('connects to a server that starts after the client (app opened before `serve` finished starting)', async () => {
    // Reserve a port, free it, point the client at it, then start the server there.
    const probe = await startServer();
    const port = probe.port;
    await stop(probe);
    servers.splice(servers.indexOf(probe), 1);
    const c = client(port);
    let last: ConnectionInfo | undefined;
    c.onConnection((i) => (last = i));
    await waitFor(() => (last?.failures ?? 0) >= 1, 'a failed attempt');
    await startServer(port);
    expect(await c.call('app.info', {})).toEqual(info);
  });

  it('rejects everything once closed', async () => {
    const s = await startServer();
    s.reply = () => null;
    const c = client(s.port);
    const pending = c.call('app.info', {}).catch((e: unknown) => e);
    c.close();
    expect(((await pending) as ApiError).code).toBe('client-closed');
    expect(((await c.call('app.info', {}).catch((e: unknown) => e)) as ApiError).code).toBe('client-closed');
  });
});
