/**
 * IPC wiring between the window and the core, written against minimal structural types instead of
 * Electron's classes so it runs under a fake ipcMain in plain-Node tests (tests/unit/electron/ipc.test.ts).
 * main.ts passes the real ipcMain; tsconfig.electron.json checks that it fits these shapes.
 *
 * One handler per contract call, each on its own fixed channel (ipcChannelForCall), nothing else.
 * Every invocation first passes the sender check, then goes to the core, which validates the
 * payload against the contract's zod schema.
 */
import { CALL_NAMES, EVENT_NAMES, ipcChannelForCall, ipcChannelForEvent, type CallName, type EventName, type EventPayload } from '../api/contract';
import type { ApiErrorShape } from '../api/wire';
import { isTrustedSender } from './security-rules';

export interface FrameLike {
  readonly url: string;
  readonly parent: unknown;
}

export interface InvokeEventLike {
  readonly sender: unknown;
  readonly senderFrame: FrameLike | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/**
 * What crosses the wire back to the preload. Errors travel as data rather than as a rejected
 * invoke(): Electron would otherwise wrap the sentence in "Error invoking remote method ..." and
 * drop the code.
 */
export type IpcResult = { ok: true; output: unknown } | { ok: false; error: ApiErrorShape };

export const FORBIDDEN_CODE = 'forbidden';

export interface RegisterIpcOptions {
  ipcMain: IpcMainLike;
  /** True when `sender` is the main window's webContents (identity, not URL: URLs can be spoofed by navigation). */
  isMainWindow: (sender: unknown) => boolean;
  /** Runs a call; the core validates `rawInput` and throws UserError-like errors with a sentence and code. */
  dispatch: (name: CallName, rawInput: unknown) => Promise<unknown>;
  /** Told about refused senders and unexpected failures (main.ts logs them). */
  log?: (message: string) => void;
}

/**
 * The core throws its ApiError carrying `shape` ({message, code}); UserError-like errors carry
 * `code`; anything else is a bug and reported as 'internal'.
 */
export function errorToShape(e: unknown): ApiErrorShape {
  const shape = typeof e === 'object' && e !== null ? (e as { shape?: unknown }).shape : undefined;
  if (
    typeof shape === 'object' &&
    shape !== null &&
    typeof (shape as ApiErrorShape).message === 'string' &&
    typeof (shape as ApiErrorShape).code === 'string'
  ) {
    return { message: (shape as ApiErrorShape).message, code: (shape as ApiErrorShape).code };
  }
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { message: e.message, code: typeof code === 'string' && code !== '' ? code : 'internal' };
  }
  return { message: String(e), code: 'internal' };
}

export function describeSender(event: InvokeEventLike, isMainWindow: (sender: unknown) => boolean) {
  const frame = event.senderFrame;
  return {
    frameUrl: frame ? frame.url : null,
    isTopFrame: frame !== null && frame.parent === null,
    isMainWindow: isMainWindow(event.sender),
  };
}

/** Registers exactly the contract's calls; returns a function that removes them again. */
export function registerIpc(options: RegisterIpcOptions): () => void {
  const { ipcMain, isMainWindow, dispatch, log } = options;
  for (const name of CALL_NAMES) {
    const channel = ipcChannelForCall(name);
    ipcMain.handle(channel, async (event: InvokeEventLike, ...args: unknown[]): Promise<IpcResult> => {
      const sender = describeSender(event, isMainWindow);
      if (!isTrustedSender(sender)) {
        log?.(`Refused ${channel} from ${sender.frameUrl ?? 'a destroyed frame'} (top=${sender.isTopFrame}, main=${sender.isMainWindow}).`);
        return { ok: false, error: { message: 'This page may not use the DDI Profiler API.', code: FORBIDDEN_CODE } };
      }
      // The preload always sends exactly one argument; anything else is not our preload talking.
      if (args.length !== 1) {
        return { ok: false, error: { message: `${name} takes exactly one argument.`, code: 'bad-input' } };
      }
      try {
        return { ok: true, output: await dispatch(name, args[0]) };
      } catch (e) {
        const shape = errorToShape(e);
        if (shape.code === 'internal') log?.(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return { ok: false, error: shape };
      }
    });
  }
  return () => {
    for (const name of CALL_NAMES) ipcMain.removeHandler(ipcChannelForCall(name));
  };
}

export interface EventSource {
  on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void;
}

/**
 * Forwards every contract event from the core to the window on its own channel. `send` is
 * expected to drop messages once the window is gone (main.ts checks isDestroyed()).
 */
export function forwardEvents(core: EventSource, send: (channel: string, payload: unknown) => void): () => void {
  const offs = EVENT_NAMES.map((name) => core.on(name, (payload) => send(ipcChannelForEvent(name), payload)));
  return () => {
    for (const off of offs) off();
  };
}
