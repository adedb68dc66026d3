/**
 * Browser-mode transport: the DdiApi over one WebSocket to `ddi-profiler serve`.
 *
 * Written against a minimal WebSocket shape (not the DOM type) so the same class runs in the page
 * and in Node unit tests with the `ws` package.
 */
import type { z } from 'zod';
import {
  calls,
  events,
  isEventName,
  type CallInput,
  type CallName,
  type CallOutput,
  type DdiApi,
  type EventName,
  type EventPayload,
} from '../../../main/api/contract';
import type { ClientMessage, ServerMessage } from '../../../main/api/wire';
import { ApiError, CLIENT_ERROR } from './errors';

export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code?: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}
export type SocketFactory = (url: string) => SocketLike;

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';
export interface ConnectionInfo {
  state: ConnectionState;
  /** Failed attempts in a row; the UI explains what to check after a few. */
  failures: number;
  /** When state is 'reconnecting': ms until the next attempt. */
  retryInMs?: number;
}

export interface WsClientOptions {
  url: string;
  createSocket: SocketFactory;
  /** Backoff after a lost or refused connection: initial delay, doubled each failure up to max. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

const OPEN = 1;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: ApiError) => void;
  name: CallName;
  /** Serialized message; kept while unsent so it can go out once the socket opens. */
  message: string;
  sent: boolean;
}

export class WsApiClient implements DdiApi {
  readonly transport = 'browser' as const;
  private socket: SocketLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<EventName, Set<(p: never) => void>>();
  private readonly connectionListeners = new Set<(c: ConnectionInfo) => void>();
  private connection: ConnectionInfo = { state: 'connecting', failures: 0 };
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closedByUser = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly options: WsClientOptions) {
    this.initialBackoffMs = options.initialBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.open();
  }

  call<K extends CallName>(name: K, input: CallInput<K>): Promise<CallOutput<K>> {
    if (this.closedByUser) {
      return Promise.reject(new ApiError('The API client was closed.', CLIENT_ERROR.closed));
    }
    const id = this.nextId++;
    const msg: ClientMessage = { type: 'call', id, name, input };
    return new Promise<CallOutput<K>>((resolve, reject) => {
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject, name, message: JSON.stringify(msg), sent: false };
      this.pending.set(id, p);
      // Calls made while (re)connecting wait in the map and go out on open: nothing was sent, so
      // nothing can be duplicated.
      if (this.socket?.readyState === OPEN) this.send(p);
    });
  }

  on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as (p: never) => void);
    return () => set.delete(listener as (p: never) => void);
  }

  /** Connection state for the status bar; the listener is called at once with the current state. */
  onConnection(listener: (c: ConnectionInfo) => void): () => void {
    this.connectionListeners.add(listener);
    listener(this.connection);
    return () => this.connectionListeners.delete(listener);
  }

  close(): void {
    this.closedByUser = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.close(1000, 'client closed');
    this.socket = null;
    this.failAll(new ApiError('The API client was closed.', CLIENT_ERROR.closed), true);
    this.setConnection({ state: 'closed', failures: this.connection.failures });
  }

  private open(): void {
    let socket: SocketLike;
    try {
      socket = this.options.createSocket(this.options.url);
    } catch {
      // e.g. a malformed URL: count it as a failed attempt and back off like any other.
      this.connection = { ...this.connection, failures: this.connection.failures + 1 };
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.setConnection({ state: 'open', failures: 0 });
      for (const p of this.pending.values()) if (!p.sent) this.send(p);
    };
    socket.onmessage = (ev) => this.handleMessage(ev.data);
    socket.onerror = () => {
      // Always followed by onclose, which does the bookkeeping.
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      // A call already sent may or may not have run on the server (sessions.start...); never
      // resend it — fail it with a clear sentence and let the user retry.
      this.failAll(new ApiError('The connection to DDI Profiler was lost before it answered; try again.', CLIENT_ERROR.disconnected), false);
      if (this.closedByUser) return;
      if (!opened) this.connection = { ...this.connection, failures: this.connection.failures + 1 };
      else this.connection = { ...this.connection, failures: 0 };
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    const failures = this.connection.failures;
    const base = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.max(0, failures - 1));
    // Jitter so several tabs do not hammer a restarting server in lockstep.
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.setConnection({ state: 'reconnecting', failures, retryInMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.closedByUser) return;
      this.setConnection({ state: 'connecting', failures });
      this.open();
    }, delay);
  }

  private send(p: Pending): void {
    p.sent = true;
    this.socket?.send(p.message);
  }

  private failAll(error: ApiError, includeUnsent: boolean): void {
    for (const [id, p] of this.pending) {
      if (p.sent || includeUnsent) {
        this.pending.delete(id);
        p.reject(error);
      }
    }
  }

  private handleMessage(data: unknown): void {
    let msg: ServerMessage;
    try {
      msg = JSON.parse(typeof data === 'string' ? data : String(data)) as ServerMessage;
    } catch {
      return; // Not ours to interpret; the server only sends JSON.
    }
    if (msg.type === 'result') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) {
        const parsed = (calls[p.name].output as z.ZodType).safeParse(msg.output);
        if (parsed.success) p.resolve(parsed.data);
        else p.reject(badResponse(`the answer to ${p.name}`, parsed.error));
      } else {
        p.reject(new ApiError(msg.error?.message ?? 'The call failed.', msg.error?.code ?? 'error'));
      }
    } else if (msg.type === 'event') {
      if (!isEventName(msg.name)) return;
      const set = this.listeners.get(msg.name);
      if (!set || set.size === 0) return;
      const parsed = (events[msg.name] as z.ZodType).safeParse(msg.payload);
      if (!parsed.success) {
        console.error(badResponse(`the ${msg.name} event`, parsed.error).message);
        return;
      }
      for (const l of [...set]) (l as (p: unknown) => void)(parsed.data);
    }
  }

  private setConnection(c: ConnectionInfo): void {
    this.connection = c;
    for (const l of [...this.connectionListeners]) l(c);
  }
}

function badResponse(what: string, error: z.ZodError): ApiError {
  const first = error.issues[0];
  const where = first ? ` (${first.path.join('.') || 'root'}: ${first.message})` : '';
  return new ApiError(`The app's core sent ${what} in an unexpected shape${where}.`, CLIENT_ERROR.badResponse);
}
