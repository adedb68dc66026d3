/**
 * Byte helpers for the stream parsers, which are pure (no port I/O) and so must not import link.ts.
 */

/**
 * A parser keeps the incomplete tail of one read and continues it with the next. Most reads end
 * on a boundary, so an empty head returns `next` itself instead of copying it.
 */
export function joinBytes(head: Uint8Array, next: Uint8Array): Uint8Array {
  if (head.length === 0) return next;
  const data = new Uint8Array(head.length + next.length);
  data.set(head, 0);
  data.set(next, head.length);
  return data;
}
