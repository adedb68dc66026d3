import { describe, expect, it } from 'vitest';
import { CALL_NAMES, EVENT_NAMES, ipcChannelForCall, ipcChannelForEvent, type CallName } from '../../../main/api/contract';
import { createDeliverExport, withFormatExtension } from '../../../main/electron/export-flow';
import { FORBIDDEN_CODE, errorToShape, forwardEvents, registerIpc, type InvokeEventLike, type IpcMainLike, type IpcResult } from '../../../main/electron/ipc';
import { APP_ENTRY_URL } from '../../../main/electron/security-rules';
import { TypedEmitter } from '../../../main/util/emitter';

type Handler = (event: InvokeEventLike, ...args: unknown[]) => unknown;

function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  const ipcMain: IpcMainLike = {
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => handlers.delete(channel),
  };
  return { ipcMain, handlers };
}

const mainContents = { id: 1 };
const otherContents = { id: 2 };
const topFrame = { url: APP_ENTRY_URL, parent: null };
const trustedEvent: InvokeEventLike = { sender: mainContents, senderFrame: topFrame };

function setup(dispatch: (name: CallName, input: unknown) => Promise<unknown> = async (name, input) => ({ name, input })) {
  const { ipcMain, handlers } = fakeIpcMain();
  const dispatched: { name: CallName; input: unknown }[] = [];
  const logs: string[] = [];
  const unregister = registerIpc({
    ipcMain,
    isMainWindow: (s) => s === mainContents,
    dispatch: (name, input) => {
      dispatched.push({ name, input });
      return dispatch(name, input);
    },
    log: (m) => logs.push(m),
  });
  const invoke = (name: CallName, event: InvokeEventLike, ...args: unknown[]) => handlers.get(ipcChannelForCall(name))!(event, ...args) as Promise<IpcResult>;
  return { handlers, dispatched, logs, unregister, invoke };
}

describe('registerIpc', () => {
  it('registers one handler per contract call and nothing else', () => {
    const { handlers, unregister } = setup();
    expect([...handlers.keys()].sort()).toEqual(CALL_NAMES.map(ipcChannelForCall).sort());
    unregister();
    expect(handlers.size).toBe(0);
  });

  it('dispatches a trusted call by its own name with the raw payload', async () => {
    const { invoke, dispatched } = setup();
    for (const name of CALL_NAMES) {
      const res = await invoke(name, trustedEvent, { x: name });
      expect(res).toEqual({ ok: true, output: { name, input: { x: name } } });
    }
    expect(dispatched.map((d) => d.name)).toEqual(CALL_NAMES);
  });

  it.each([
    ['a sub-frame of the main window', { sender: mainContents, senderFrame: { url: APP_ENTRY_URL, parent: topFrame } }],
    ['another window', { sender: otherContents, senderFrame: topFrame }],
    ['a frame that navigated away or died', { sender: mainContents, senderFrame: null }],
    ['a foreign page in the main window', { sender: mainContents, senderFrame: { url: 'https://evil.example/', parent: null } }],
    ['a file:// page in the main window', { sender: mainContents, senderFrame: { url: 'file:///tmp/x.html', parent: null } }],
  ])('refuses %s without reaching the core', async (_label, event) => {
    const { invoke, dispatched, logs } = setup();
    const res = await invoke('sessions.list', event as InvokeEventLike, {});
    expect(res).toEqual({ ok: false, error: { message: expect.any(String), code: FORBIDDEN_CODE } });
    expect(dispatched).toHaveLength(0);
    expect(logs.join('\n')).toMatch(/Refused ddi:call:sessions\.list/);
  });

  it('refuses calls with other than one argument', async () => {
    const { invoke, dispatched } = setup();
    expect((await invoke('app.info', trustedEvent)).ok).toBe(false);
    expect((await invoke('app.info', trustedEvent, {}, 'extra')).ok).toBe(false);
    expect(dispatched).toHaveLength(0);
  });

  it('returns the core error sentence and code as data', async () => {
    class CoreApiError extends Error {
      constructor(readonly shape: { message: string; code: string }) {
        super(shape.message);
      }
    }
    const { invoke } = setup(async () => {
      throw new CoreApiError({ message: 'Invalid input for sessions.get at "id": too small.', code: 'invalid-input' });
    });
    expect(await invoke('sessions.get', trustedEvent, { id: -1 })).toEqual({
      ok: false,
      error: { message: 'Invalid input for sessions.get at "id": too small.', code: 'invalid-input' },
    });
  });

  it('logs unexpected failures and reports them as internal', async () => {
    const { invoke, logs } = setup(async () => {
      throw new TypeError('boom');
    });
    expect(await invoke('meters.ports', trustedEvent, {})).toEqual({ ok: false, error: { message: 'boom', code: 'internal' } });
    expect(logs.join('\n')).toMatch(/meters\.ports failed: TypeError: boom/);
  });
});

describe('errorToShape', () => {
  it('reads the core shape, a UserError code, or falls back to internal', () => {
    expect(errorToShape(Object.assign(new Error('x'), { shape: { message: 'Nope.', code: 'busy' } }))).toEqual({ message: 'Nope.', code: 'busy' });
    expect(errorToShape(Object.assign(new Error('No meter.'), { code: 'no-meter' }))).toEqual({ message: 'No meter.', code: 'no-meter' });
    expect(errorToShape('text')).toEqual({ message: 'text', code: 'internal' });
  });
});

describe('forwardEvents', () => {
  class FakeCore extends TypedEmitter<Record<string, unknown>> {
    fire(name: string, payload: unknown) {
      this.emit(name, payload);
    }
  }

  it('forwards every contract event on its own channel until stopped', () => {
    const core = new FakeCore();
    const sent: [string, unknown][] = [];
    const stop = forwardEvents(core as never, (channel, payload) => sent.push([channel, payload]));
    for (const name of EVENT_NAMES) core.fire(name, { from: name });
    core.fire('not.an.event', {});
    expect(sent).toEqual(EVENT_NAMES.map((n) => [ipcChannelForEvent(n), { from: n }]));
    stop();
    core.fire('meter.status', null);
    expect(sent).toHaveLength(EVENT_NAMES.length);
  });
});

describe('export via save dialog', () => {
  it('writes where the user chose and reports savedTo', async () => {
    const writes: unknown[] = [];
    const deliver = createDeliverExport({
      askSavePath: async (name, format) => {
        expect([name, format]).toEqual(['session-3.csv', 'csv']);
        return '/home/me/run3.csv';
      },
      exportTo: async (...args) => {
        writes.push(args);
      },
    });
    expect(await deliver(3, 'csv', 'session-3.csv')).toEqual({ fileName: 'run3.csv', savedTo: '/home/me/run3.csv' });
    expect(writes).toEqual([[3, 'csv', '/home/me/run3.csv']]);
  });

  it('writes nothing when the dialog is cancelled', async () => {
    let wrote = false;
    const deliver = createDeliverExport({
      askSavePath: async () => null,
      exportTo: async () => {
        wrote = true;
      },
    });
    expect(await deliver(3, 'json', 'session-3.json')).toEqual({ fileName: 'session-3.json', cancelled: true });
    expect(wrote).toBe(false);
  });

  it('passes the core failure (e.g. unwritable path) through', async () => {
    const deliver = createDeliverExport({
      askSavePath: async () => '/root/x.csv',
      exportTo: async () => {
        throw Object.assign(new Error('Cannot write /root/x.csv: permission denied.'), { code: 'export-failed' });
      },
    });
    await expect(deliver(1, 'csv', 'session-1.csv')).rejects.toThrow(/permission denied/);
  });

  it('adds the format extension only when the user typed none', () => {
    expect(withFormatExtension('/d/run1', 'csv')).toBe('/d/run1.csv');
    expect(withFormatExtension('/d.x/run1', 'json')).toBe('/d.x/run1.json');
    expect(withFormatExtension('/d/run1.csv', 'csv')).toBe('/d/run1.csv');
    expect(withFormatExtension('/d/run1.txt', 'csv')).toBe('/d/run1.txt');
  });
});
