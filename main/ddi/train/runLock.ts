/**
 * One training process per run folder. Two trainers resuming the same checkpoint would each
 * overwrite the other's checkpoints and interleave their progress; the second one is refused.
 * A lock left by a process that no longer exists (killed, crashed, machine rebooted) is taken over,
 * so a crash never blocks a resume.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../util/errors';
import { pidAlive } from '../../util/pid';

export const RUN_LOCK_FILE = 'run.lock';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? { pid: o.pid, host: o.host, since: String(o.since ?? '?') } : undefined;
  } catch {
    return undefined; // unreadable or half-written by a process that died while writing it: stale
  }
}

/** Takes the run folder's lock or throws a UserError naming the process that holds it. Returns the release function. */
export function lockRunDir(runDir: string): () => void {
  mkdirSync(runDir, { recursive: true });
  const path = join(runDir, RUN_LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readOwner(path);
      // A lock from another host (a shared folder) cannot be checked; it is honoured.
      if (owner && owner.pid !== process.pid && (owner.host !== me.host || pidAlive(owner.pid))) {
        throw new UserError(
          `Another training process (pid ${owner.pid} on ${owner.host}, since ${owner.since}) is using ${runDir}; wait for it to finish or stop it with Ctrl-C (it saves a checkpoint), or delete ${path} if that process is gone.`,
          'run-locked',
        );
      }
      rmSync(path, { force: true });
      continue;
    }
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    return () => {
      if (readOwner(path)?.pid === process.pid) rmSync(path, { force: true });
    };
  }
  throw new UserError(`Could not take the lock ${path} (another process keeps recreating it); stop the other trainer and try again.`, 'run-locked');
}
