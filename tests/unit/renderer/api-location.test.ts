import { describe, expect, it } from 'vitest';
import { apiUrl, findToken } from '../../../renderer/src/api/location';
import { toApiError } from '../../../renderer/src/api/errors';
import { wrapBridge } from '../../../renderer/src/api/index';
import type { DdiApi } from '../../../main/api/contract';

describe('api location', () => {
  it('builds the WebSocket URL on the page host with the token from the query', () => {
    expect(apiUrl({ protocol: 'http:', host: '127.0.0.1:4567', search: '?token=a%2Bb' }, '')).toBe('ws://127.0.0.1:4567/api?token=a%2Bb');
  });

  it('falls back to the token cookie, then to no token (the browser sends the cookie itself)', () => {
    expect(findToken('', 'theme=dark; ddi_token=xyz')).toBe('xyz');
    expect(findToken('', 'token=q1')).toBe('q1');
    expect(findToken('?token=fromurl', 'token=fromcookie')).toBe('fromurl');
    expect(findToken('', 'theme=dark')).toBeNull();
    expect(apiUrl({ protocol: 'http:', host: 'localhost:1', search: '' }, '')).toBe('ws://localhost:1/api');
  });
});

describe('token memory', () => {
  it('remembers the token from the address for reloads without it (the cookie is HttpOnly)', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    expect(apiUrl({ protocol: 'http:', host: 'h:1', search: '?token=t1' }, '', storage)).toBe('ws://h:1/api?token=t1');
    expect(apiUrl({ protocol: 'http:', host: 'h:1', search: '' }, '', storage)).toBe('ws://h:1/api?token=t1');
    // A new token in the address wins over the remembered one.
    expect(apiUrl({ protocol: 'http:', host: 'h:1', search: '?token=t2' }, '', storage)).toBe('ws://h:1/api?token=t2');
    expect(store.get('ddi-profiler-token')).toBe('t2');
  });
});

describe('errors', () => {
  it("strips Electron's IPC wrapper so the user sees the core's sentence", () => {
    const e = toApiError(new Error("Error invoking remote method 'ddi:call:sessions.get': Error: No session 42 exists."));
    expect(e.message).toBe('No session 42 exists.');
    const coded = toApiError(Object.assign(new Error('Port busy.'), { code: 'port-busy' }));
    expect(coded.code).toBe('port-busy');
  });

  it('the Electron bridge wrapper turns rejections into ApiError and keeps the transport', async () => {
    const bridge: DdiApi = {
      transport: 'electron',
      call: () => Promise.reject(new Error("Error invoking remote method 'ddi:call:app.info': UserError: Nope.")),
      on: () => () => {},
    };
    const api = wrapBridge(bridge);
    expect(api.transport).toBe('electron');
    const err = await api.call('app.info', {}).catch((e: unknown) => e);
    expect((err as Error).name).toBe('ApiError');
    expect((err as Error).message).toBe('Nope.');
  });
});
