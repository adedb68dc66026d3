/**
 * An error caused by what the user supplied (a bad meter spec, a missing port, a bad session id...).
 * Its message is one sentence naming the problem and the fix; the CLI prints it without a stack
 * trace and exits non-zero, the app shows it as is.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    readonly code: string = 'bad-input',
  ) {
    super(message);
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && e.name === 'UserError';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
