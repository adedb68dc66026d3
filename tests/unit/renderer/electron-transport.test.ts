// The renderer's Electron path through the real preload bridge (preload/bridge.ts) over a fake
// ipcRenderer: createApi picks window.ddi, results come back, errors arrive as the core's sentence
// in an ApiError, and events reach listeners until unsubscribed.
import { describe, expect, it } from 'vitest';
import { createBridge, type IpcRendererLike } from '../../../preload/bridge';
import { createApi } from '../../../renderer/src/api/index';
import { ApiError } from '../../../renderer/src/api/errors';
import type { SessionSummary } from '../../../main/api/contract';

function fakeIpc(reply: (channel: string, input: unknown) => unknown) {
  const listeners = new Map<string, Set<(e: unknown, ...a: unknown[]) => void>>();
  const ipc: IpcRendererLike = {
    invoke: async (channel, input) => reply(channel, input),
    on: (channel, l) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(l);
    },
    removeListener: (channel, l) => listeners.get(channel)?.delete(l),
  };
  const emit = (channel: string, payload: unknown) => {
    for (const l of listeners.get(channel) ?? []) l({ sender: 'ipcRenderer-must-not-leak' }, payload);
  };
  return { ipc, emit };
}

describe('renderer over the Electron preload bridge', () => {
  it('uses window.ddi, resolves results, and turns failures into ApiError with the core sentence', async () => {
    const seen: Array<[string, unknown]> = [];
    const { ipc } = fakeIpc((channel, input) => {
      seen.push([channel, input]);
      if (channel === 'ddi:call:sessions.get') {
        return { ok: false, error: { message: 'There is no session 42; run "ddi-profiler sessions" to list them.', code: 'no-session' } };
      }
      return { ok: true, output: { ok: true } };
    });
    const win = { ddi: createBridge(ipc) } as unknown as Window & typeof globalThis;
    const api = createApi(win);
    expect(api.transport).toBe('electron');

    expect(await api.call('meters.disconnect', {})).toEqual({ ok: true });
    expect(seen[0]).toEqual(['ddi:call:meters.disconnect', {}]);

    const err = await api.call('sessions.get', { id: 42 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe('There is no session 42; run "ddi-profiler sessions" to list them.');
    // The code survives the preload crossing too (a plain object, not an Error, crosses contextBridge).
    expect((err as ApiError).code).toBe('no-session');
  });

  it('delivers events with just the payload and stops after unsubscribe', () => {
    const { ipc, emit } = fakeIpc(() => ({ ok: true, output: null }));
    const api = createApi({ ddi: createBridge(ipc) } as unknown as Window & typeof globalThis);
    const got: Array<SessionSummary | null> = [];
    const off = api.on('session.recording', (s) => got.push(s));
    emit('ddi:event:session.recording', null);
    off();
    emit('ddi:event:session.recording', null);
    expect(got).toEqual([null]);
    let state = '';
    api.onConnection((c) => (state = c.state));
    expect(state).toBe('open');
  });
});
