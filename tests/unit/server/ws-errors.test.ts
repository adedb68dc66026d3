/** Over the browser-mode WebSocket, every refusal is one sentence: never a zod dump, never Infinity. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBrowserServer, type BrowserServer } from '../../../main/server/browser-server';

let server: BrowserServer;
let ws: WebSocket;
let nextId = 1;

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'ddi-static-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>DDI</title>');
  server = await startBrowserServer({ dbPath: join(mkdtempSync(join(tmpdir(), 'ddi-wserr-')), 'db.sqlite'), staticRoot: root });
  ws = await new Promise<WebSocket>((resolve, reject) => {
    const c = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
    c.once('open', () => resolve(c));
    c.once('error', reject);
  });
});
afterAll(async () => {
  ws.close();
  await server.close();
});

/** Sends raw text and returns the first result message. */
function send(text: string): Promise<{ id: number; ok: boolean; output?: unknown; error?: { message: string; code: string } }> {
  return new Promise((resolve) => {
    const onMessage = (raw: WebSocket.RawData): void => {
      const msg = JSON.parse(String(raw));
      if (msg.type !== 'result') return;
      ws.off('message', onMessage);
      resolve(msg);
    };
    ws.on('message', onMessage);
    ws.send(text);
  });
}
const call = (name: string, input: unknown) => send(JSON.stringify({ type: 'call', id: nextId++, name, input }));

describe('browser-mode refusals are one sentence', () => {
  it('a budget of 1e308 GMAC', async () => {
    const r = await call('models.run', { model: 'tiny-random-test', mode: 'ddi', budget: '1e308GMAC', limit: 1 });
    expect(r.error).toEqual({
      code: 'bad-budget',
      message: 'The budget 1e308 GMAC is larger than any model here could use; give at most 1e15 MAC (1e6 GMAC).',
    });
  });

  it('a meter setting of 1e99', async () => {
    const r = await call('meters.connect', { spec: 'sim', options: { idleW: 1e99 } });
    expect(r.error).toEqual({ code: 'bad-setting', message: 'The sim setting "idleW" is 1e99 W; use 0 to 1000 W.' });
  });

  it('a payload that breaks the contract names the field', async () => {
    const r = await call('sessions.trace', { id: 1, points: 5 });
    expect(r.error!.code).toBe('invalid-input');
    expect(r.error!.message).toMatch(/^Invalid input for sessions\.trace at "points": [^\n]+\.$/);
    const far = await call('sessions.trace', { id: 1, points: 100, toS: 1e300 });
    expect(far.error!.message).toMatch(/^Invalid input for sessions\.trace at "toS": [^\n]+\.$/);
  });

  it('a message that is not a call says what a call looks like', async () => {
    for (const text of ['not json', '{"type":"call"}', '[1,2,3]', '{"type":"call","id":1e999,"name":"app.info","input":{}}']) {
      const r = await send(text);
      expect(r.ok).toBe(false);
      expect(r.error!.message).toBe('Malformed message: send one JSON object {"type":"call","id":N,"name":CALL,"input":{…}} per WebSocket text message.');
    }
  });
});
