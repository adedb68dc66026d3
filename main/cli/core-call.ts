/**
 * A call through the core's contract from the CLI. The core answers bad input with an ApiError
 * carrying its one sentence and a code; for the CLI that is the user's error (one line, exit 1),
 * only 'internal' is a bug and keeps its stack.
 */
import type { CallInput, CallName, CallOutput } from '../api/contract';
import { ApiError, type AppCore } from '../core/app-core';
import { UserError } from '../util/errors';

export async function cliCall<K extends CallName>(core: AppCore, name: K, input: CallInput<K>): Promise<CallOutput<K>> {
  try {
    return (await core.handle(name, input)) as CallOutput<K>;
  } catch (e) {
    if (e instanceof ApiError && e.shape.code !== 'internal') throw new UserError(e.shape.message, e.shape.code);
    throw e;
  }
}
