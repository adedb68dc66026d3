import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBrowserServer, type BrowserServer } from '../../../main/server/browser-server';
import { resolveStatic } from '../../../main/server/static-files';

let server: BrowserServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function staticRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'ddi-static-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>DDI</title>');
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, '..', 'secret.txt'), 'secret');
  return root;
}

async function start(): Promise<BrowserServer> {
  server = await startBrowserServer({ dbPath: join(mkdtempSync(join(tmpdir(), 'ddi-srv-')), 'db.sqlite'), staticRoot: staticRoot() });
  return server;
}

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function call(ws: WebSocket, id: number, name: string, input: unknown): Promise<{ ok: boolean; output?: unknown; error?: { message: string; code: string } }> {
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

describe('browser-mode server', () => {
  it('listens on 127.0.0.1 and prints a URL with a random token', async () => {
    const s = await start();
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
    const other = await startBrowserServer({ dbPath: join(mkdtempSync(join(tmpdir(), 'ddi-srv-')), 'db.sqlite'), staticRoot: staticRoot() });
    expect(other.token).not.toBe(s.token);
    await other.close();
  });

  it('refuses pages and sockets without the token, or with a foreign Host or Origin', async () => {
    const s = await start();
    const base = `http://127.0.0.1:${s.port}`;
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect((await fetch(`${base}/?token=wrong`)).status).toBe(401);
    const ok = await fetch(s.url);
    expect(ok.status).toBe(200);
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect((await fetch(`${base}/assets/app.js`, { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(200);
    await expect(connect(`ws://127.0.0.1:${s.port}/api`)).rejects.toThrow(/401/);
    await expect(connect(`ws://127.0.0.1:${s.port}/api?token=nope`)).rejects.toThrow(/401/);
    await expect(connect(`ws://127.0.0.1:${s.port}/api?token=${s.token}`, { Origin: 'http://evil.example' })).rejects.toThrow(/401/);
    const ws = await connect(`ws://127.0.0.1:${s.port}/api?token=${s.token}`);
    ws.close();
  });

  it('never serves files outside its folder', async () => {
    const root = staticRoot();
    expect(resolveStatic(root, '/../secret.txt')).toBeUndefined();
    expect(resolveStatic(root, '/%2e%2e/secret.txt')).toBeUndefined();
    expect(resolveStatic(root, '/assets/app.js')).toMatch(/app\.js$/);
  });

  it('runs contract calls over the WebSocket, validates them, and serves a one-time export download', async () => {
    const s = await start();
    const ws = await connect(`ws://127.0.0.1:${s.port}/api?token=${s.token}`);
    const events: string[] = [];
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw));
      if (m.type === 'event') events.push(m.name);
    });
    const bad = await call(ws, 1, 'sessions.get', { id: -3 });
    expect(bad.ok).toBe(false);
    expect(bad.error!.code).toBe('invalid-input');
    expect((await call(ws, 2, 'meters.connect', { spec: 'sim' })).ok).toBe(true);
    expect((await call(ws, 3, 'sessions.start', {})).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 400));
    const stop = await call(ws, 4, 'sessions.stop', {});
    const id = (stop.output as { id: number }).id;
    expect(events).toContain('meter.live');
    expect(events).toContain('session.recording');
    const exp = await call(ws, 5, 'sessions.export', { id, format: 'csv' });
    const url = (exp.output as { downloadUrl: string }).downloadUrl;
    expect(url).toMatch(/^\/download\//);
    const headers = { cookie: `ddi_token=${s.token}` };
    const res = await fetch(`http://127.0.0.1:${s.port}${url}`, { headers });
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="ddi-session-\d+\.csv"/);
    const text = await res.text();
    expect(text.split('\n')[0]).toBe('time_s,current_A,voltage_V,power_W');
    expect((await fetch(`http://127.0.0.1:${s.port}${url}`, { headers })).status).toBe(404);
    ws.close();
  });
});
