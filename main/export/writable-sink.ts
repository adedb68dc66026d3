/** A TextSink that writes to a stream on this thread, waiting for 'drain' when the stream pushes back. */
import type { Writable } from 'node:stream';
import { UserError } from '../util/errors';
import type { TextSink } from './export-content';

export function exportCancelled(): UserError {
  return new UserError('The export was cancelled before it finished; nothing was kept.', 'export-cancelled');
}

export function writableSink(out: Writable, isCancelled: () => boolean = () => false): TextSink {
  return async (text) => {
    if (isCancelled() || out.destroyed) throw exportCancelled();
    if (!out.write(text)) await drained(out);
    // Let the recorder and the API run between pieces even when the reader never pushes back.
    await new Promise<void>((r) => setImmediate(r));
  };
}

/** Resolves on 'drain'; rejects when the stream closes or fails first. */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      out.off('drain', onDrain);
      out.off('close', onGone);
      out.off('error', onGone);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onGone = (e?: Error): void => {
      cleanup();
      reject(e instanceof Error ? e : exportCancelled());
    };
    out.on('drain', onDrain);
    out.on('close', onGone);
    out.on('error', onGone);
  });
}
