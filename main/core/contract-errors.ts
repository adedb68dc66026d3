/**
 * A payload that breaks the contract, told in one sentence: zod's own message is a multi-line
 * JSON dump of every issue, which is no message for a person (nor for a log line).
 */
import { z } from 'zod';

/** The first issue as "at "path": message", or undefined when `e` is not a zod error. */
export function zodSentence(e: unknown): string | undefined {
  if (!(e instanceof z.ZodError)) return undefined;
  const issue = e.issues[0];
  if (!issue) return 'malformed payload';
  const where = issue.path.length ? ` at "${issue.path.join('.')}"` : '';
  const more = e.issues.length > 1 ? ` (and ${e.issues.length - 1} more)` : '';
  return `the result does not match the contract${where}: ${issue.message.split('\n')[0]}${more}`;
}
