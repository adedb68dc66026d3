import type { ApiErrorShape } from '../../../main/api/wire';

/**
 * Every failure the renderer sees from the API, whatever the transport: `message` is the one
 * sentence the core wrote for the user (shown as is), `code` is for code to branch on.
 */
export class ApiError extends Error implements ApiErrorShape {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Codes the client itself produces (the core's codes come from its UserError). */
export const CLIENT_ERROR = {
  disconnected: 'disconnected',
  badResponse: 'bad-response',
  closed: 'client-closed',
} as const;

/**
 * Turns anything thrown into an ApiError. Electron's ipcRenderer.invoke wraps rejections as
 * "Error invoking remote method 'ddi:call:x': Error: <message>"; strip that so the user sees the
 * core's sentence, not IPC plumbing.
 */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  // The Electron preload rejects with a plain {message, code} object (Errors lose their code there).
  const plainMessage =
    typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : undefined;
  const raw = e instanceof Error ? e.message : typeof e === 'string' ? e : (plainMessage ?? 'Unknown error.');
  const code = typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string' ? (e as { code: string }).code : 'error';
  const message = raw.replace(/^Error invoking remote method '[^']*': (?:\w*Error: )?/, '');
  return new ApiError(message, code);
}

/** The sentence to show for any error caught in the UI. */
export function errorText(e: unknown): string {
  return toApiError(e).message;
}
