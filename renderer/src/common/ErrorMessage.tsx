import { errorText } from '../api';

/** An API error as its one sentence; nothing when there is no error. */
export function ErrorMessage({ error, testId = 'error' }: { error: unknown; testId?: string }) {
  if (error === null || error === undefined) return null;
  return (
    <p className="error" role="alert" data-testid={testId}>
      {errorText(error)}
    </p>
  );
}
