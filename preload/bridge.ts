/**
 * The object the preload exposes to the page as `window.ddi`. Kept apart from index.ts (which
 * imports 'electron') so it is tested with a fake ipcRenderer in plain Node.
 *
 * The page gets a fixed set of functions and nothing else: one per contract call, each bound to
 * its own channel; `call(name, input)` that dispatches only through that table; `on(event, ...)`
 * for the contract's events only. No ipcRenderer, no generic send, no Electron event objects.
 */
import {
  CALL_NAMES,
  ipcChannelForCall,
  ipcChannelForEvent,
  isEventName,
  type CallInput,
  type CallName,
  type CallOutput,
  type DdiApi,
  type EventName,
  type EventPayload,
} from '../main/api/contract';
import type { IpcResult } from '../main/electron/ipc';

/** The part of Electron's ipcRenderer the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export type CallFunctions = { readonly [K in CallName]: (input: CallInput<K>) => Promise<CallOutput<K>> };

export interface DdiBridge extends DdiApi {
  readonly transport: 'electron';
  /** The same calls as named functions: `window.ddi.calls['sessions.list']({})`. */
  readonly calls: CallFunctions;
}

function isIpcResult(v: unknown): v is IpcResult {
  if (typeof v !== 'object' || v === null || typeof (v as { ok?: unknown }).ok !== 'boolean') return false;
  if ((v as { ok: boolean }).ok) return 'output' in v;
  const err = (v as { error?: unknown }).error;
  return typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string';
}

/**
 * A core error crosses to the page as a plain `{name, message, code}` object: contextBridge copies
 * an Error's message but drops its other properties, while plain objects are cloned whole, so the
 * page keeps the code it needs to branch on (renderer/src/api/errors.ts turns it into ApiError).
 */
export interface BridgeError {
  name: 'ApiError';
  message: string;
  code: string;
}

function unwrap(result: unknown): unknown {
  if (!isIpcResult(result)) throw new Error('The main process sent an unexpected reply.');
  if (result.ok) return result.output;
  const err: BridgeError = { name: 'ApiError', message: result.error.message, code: result.error.code };
  throw err;
}

export function createBridge(ipc: IpcRendererLike): DdiBridge {
  const table = new Map<string, (input: unknown) => Promise<unknown>>();
  for (const name of CALL_NAMES) {
    const channel = ipcChannelForCall(name);
    // One argument, always: main refuses any other arity.
    table.set(name, async (input: unknown) => unwrap(await ipc.invoke(channel, input)));
  }
  const callFunctions = Object.freeze(Object.fromEntries(table)) as unknown as CallFunctions;

  const bridge: DdiBridge = {
    transport: 'electron',
    calls: callFunctions,
    call<K extends CallName>(name: K, input: CallInput<K>): Promise<CallOutput<K>> {
      const fn = typeof name === 'string' ? table.get(name) : undefined;
      if (!fn) return Promise.reject(new Error(`Unknown API call: ${String(name)}.`));
      return fn(input) as Promise<CallOutput<K>>;
    },
    on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void {
      if (!isEventName(name)) throw new Error(`Unknown API event: ${String(name)}.`);
      if (typeof listener !== 'function') throw new Error('The event listener must be a function.');
      const channel = ipcChannelForEvent(name);
      // The Electron event object (which carries `sender`, i.e. ipcRenderer) never reaches the page.
      const wrapped = (_event: unknown, payload: unknown) => listener(payload as EventPayload<K>);
      ipc.on(channel, wrapped);
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        ipc.removeListener(channel, wrapped);
      };
    },
  };
  return Object.freeze(bridge);
}
