import { afterEach, describe, expect, it, vi } from 'vitest';
import { CALL_NAMES, EVENT_NAMES, ipcChannelForCall, ipcChannelForEvent } from '../../../main/api/contract';
import { createBridge, type IpcRendererLike } from '../../../preload/bridge';

type Listener = (event: unknown, ...args: unknown[]) => void;

/** A fake ipcRenderer that records every channel it is asked to use. */
function fakeIpc(reply: (channel: string, args: unknown[]) => unknown = () => ({ ok: true, output: 'out' })) {
  const invoked: { channel: string; args: unknown[] }[] = [];
  const listeners = new Map<string, Set<Listener>>();
  const ipc: IpcRendererLike & { emit(channel: string, payload: unknown): void } = {
    invoke: async (channel, ...args) => {
      invoked.push({ channel, args });
      return reply(channel, args);
    },
    on: (channel, listener) => {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(listener);
    },
    removeListener: (channel, listener) => {
      listeners.get(channel)?.delete(listener);
    },
    emit: (channel, payload) => {
      for (const l of listeners.get(channel) ?? []) l({ sender: 'IPC-RENDERER-OBJECT', ports: [] }, payload);
    },
  };
  return { ipc, invoked, listeners };
}

const callChannels = new Set(CALL_NAMES.map(ipcChannelForCall));
const eventChannels = new Set(EVENT_NAMES.map(ipcChannelForEvent));

describe('preload bridge', () => {
  it('exposes exactly call, on, calls and transport', () => {
    const bridge = createBridge(fakeIpc().ipc);
    expect(Object.keys(bridge).sort()).toEqual(['call', 'calls', 'on', 'transport']);
    expect(bridge.transport).toBe('electron');
    expect(Object.keys(bridge.calls).sort()).toEqual([...CALL_NAMES].sort());
    for (const fn of Object.values(bridge.calls)) expect(typeof fn).toBe('function');
    // Nothing that could hand the page ipcRenderer or a raw send.
    expect(JSON.stringify(Object.keys(bridge))).not.toMatch(/ipc|send|invoke/i);
    expect(Object.isFrozen(bridge)).toBe(true);
  });

  it('sends each call on its own contract channel with exactly one argument', async () => {
    const { ipc, invoked } = fakeIpc();
    const bridge = createBridge(ipc);
    for (const name of CALL_NAMES) {
      await expect(bridge.call(name, { probe: name } as never)).resolves.toBe('out');
      await expect(bridge.calls[name]({ probe: name } as never)).resolves.toBe('out');
    }
    expect(invoked).toHaveLength(CALL_NAMES.length * 2);
    for (const { channel, args } of invoked) {
      expect(callChannels.has(channel)).toBe(true);
      expect(args).toHaveLength(1);
      // The channel matches the call it was made for.
      expect(channel).toBe(ipcChannelForCall((args[0] as { probe: (typeof CALL_NAMES)[number] }).probe));
    }
  });

  it('rejects names outside the contract without touching IPC', async () => {
    const { ipc, invoked } = fakeIpc();
    const bridge = createBridge(ipc);
    for (const name of ['shell.openExternal', 'ddi:call:app.info', '__proto__', 'constructor', 'toString', '', 42, null]) {
      await expect(bridge.call(name as never, {} as never)).rejects.toThrow(/Unknown API call/);
    }
    expect(invoked).toHaveLength(0);
  });

  it('turns error replies into plain {message, code} objects that survive contextBridge', async () => {
    const { ipc } = fakeIpc(() => ({ ok: false, error: { message: 'Session 99 does not exist.', code: 'not-found' } }));
    const err = await createBridge(ipc)
      .call('sessions.get', { id: 99 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toEqual({ name: 'ApiError', message: 'Session 99 does not exist.', code: 'not-found' });
    // A structured clone (what contextBridge does) keeps every field of it.
    expect(structuredClone(err)).toEqual(err);
  });

  it('rejects a malformed reply instead of passing it to the page', async () => {
    for (const bad of [undefined, null, 'x', { ok: 'yes' }, { ok: false }, { ok: true }]) {
      const { ipc } = fakeIpc(() => bad);
      await expect(createBridge(ipc).call('app.info', {})).rejects.toThrow(/unexpected reply/);
    }
  });

  it('subscribes only to contract events, hides the Electron event, and unsubscribes', () => {
    const { ipc, listeners } = fakeIpc();
    const bridge = createBridge(ipc);
    const seen: unknown[][] = [];
    const off = bridge.on('meter.status', (...args: unknown[]) => seen.push(args));
    ipc.emit(ipcChannelForEvent('meter.status'), { state: 'streaming' });
    expect(seen).toEqual([[{ state: 'streaming' }]]);
    for (const channel of listeners.keys()) expect(eventChannels.has(channel)).toBe(true);
    off();
    off(); // idempotent
    ipc.emit(ipcChannelForEvent('meter.status'), { state: 'closed' });
    expect(seen).toHaveLength(1);
    expect(listeners.get(ipcChannelForEvent('meter.status'))?.size).toBe(0);
  });

  it('refuses unknown events and non-function listeners', () => {
    const { ipc, listeners } = fakeIpc();
    const bridge = createBridge(ipc);
    expect(() => bridge.on('ddi:call:app.info' as never, () => {})).toThrow(/Unknown API event/);
    expect(() => bridge.on('__proto__' as never, () => {})).toThrow(/Unknown API event/);
    expect(() => bridge.on('meter.live', 'x' as never)).toThrow(/function/);
    expect(listeners.size).toBe(0);
  });
});

describe('preload entry (index.ts) under a mocked electron module', () => {
  afterEach(() => {
    vi.doUnmock('electron');
    vi.resetModules();
  });

  it('exposes the bridge as window.ddi and nothing else', async () => {
    const exposed: [string, unknown][] = [];
    const { ipc, invoked } = fakeIpc();
    vi.resetModules();
    vi.doMock('electron', () => ({
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.push([key, api]) },
      ipcRenderer: ipc,
    }));
    await import('../../../preload/index');
    expect(exposed.map(([k]) => k)).toEqual(['ddi']);
    const api = exposed[0]![1] as ReturnType<typeof createBridge>;
    expect(api.transport).toBe('electron');
    // The exposed object does not carry ipcRenderer anywhere in its own properties.
    for (const value of Object.values(api)) expect(value).not.toBe(ipc);
    await api.call('app.info', {});
    expect(invoked.map((i) => i.channel)).toEqual([ipcChannelForCall('app.info')]);
  });
});
