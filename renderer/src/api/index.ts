/**
 * The renderer's single entry to the core. Pages get a `RendererApi` from context and never know
 * whether it is Electron IPC (the preload's `window.ddi`) or the browser-mode WebSocket.
 */
import type { CallInput, CallName, CallOutput, DdiApi, EventName, EventPayload } from '../../../main/api/contract';
import { toApiError } from './errors';
import { apiUrl } from './location';
import { WsApiClient, type ConnectionInfo, type SocketLike } from './ws-client';

export { ApiError, errorText } from './errors';
export type { ConnectionInfo } from './ws-client';

export interface RendererApi extends DdiApi {
  /** Transport health for the status bar. IPC cannot drop, so Electron reports 'open' once. */
  onConnection(listener: (c: ConnectionInfo) => void): () => void;
}

declare global {
  interface Window {
    ddi?: DdiApi;
  }
}

/** Wraps the preload bridge so its rejections arrive as ApiError like the WebSocket client's. */
export function wrapBridge(bridge: DdiApi): RendererApi {
  return {
    transport: 'electron',
    call<K extends CallName>(name: K, input: CallInput<K>): Promise<CallOutput<K>> {
      return bridge.call(name, input).catch((e: unknown) => {
        throw toApiError(e);
      });
    },
    on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void {
      return bridge.on(name, listener);
    },
    onConnection(listener) {
      listener({ state: 'open', failures: 0 });
      return () => {};
    },
  };
}

export function createApi(win: Window & typeof globalThis = window): RendererApi {
  const bridge = win.ddi;
  if (bridge && bridge.transport === 'electron' && typeof bridge.call === 'function') return wrapBridge(bridge);
  return new WsApiClient({
    url: apiUrl(win.location, win.document.cookie, win.sessionStorage),
    createSocket: (url) => new win.WebSocket(url) as unknown as SocketLike,
  });
}
