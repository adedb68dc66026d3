/**
 * Browser-mode wire format over the WebSocket (the Electron transport uses IPC channels instead).
 * Kept next to the contract so the server and the renderer's WebSocket client share one definition.
 */
import { z } from 'zod';

export const WS_PATH = '/api';
export const TOKEN_PARAM = 'token';

export const ClientMessageSchema = z.object({
  type: z.literal('call'),
  id: z.number().int().nonnegative(),
  name: z.string(),
  input: z.unknown(),
});
export type ClientMessage = z.output<typeof ClientMessageSchema>;

export type ServerMessage =
  | { type: 'result'; id: number; ok: true; output: unknown }
  | { type: 'result'; id: number; ok: false; error: { message: string; code: string } }
  | { type: 'event'; name: string; payload: unknown };

/** Error shape every transport hands back to the renderer: a sentence and a machine code. */
export interface ApiErrorShape {
  message: string;
  code: string;
}
