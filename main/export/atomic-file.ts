/**
 * Writes a file under a temporary name beside the target and renames it at the end: an interrupted
 * export never leaves a half-written file under the requested name, and a failed one leaves nothing.
 */
import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { UserError, errorMessage, isUserError } from '../util/errors';

export async function writeFileAtomically(path: string, write: (out: Writable) => Promise<void>, options: { force?: boolean } = {}): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  const out = createWriteStream(tmp);
  try {
    await once(out, 'open');
    await write(out);
    out.end();
    await once(out, 'finish');
    // The target was checked before the export started; a file that appeared meanwhile is kept.
    if (!options.force && existsSync(path)) {
      throw new UserError(
        `Cannot export to ${path}: a file appeared there during the export; add --force to replace it or choose another --out path.`,
        'export-exists',
      );
    }
    renameSync(tmp, path);
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    if (isUserError(e)) throw e;
    throw new UserError(`Could not write the export to ${path} (${errorMessage(e)}); check the disk and try again.`, 'export-failed');
  }
}
