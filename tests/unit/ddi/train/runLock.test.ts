import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockRunDir, RUN_LOCK_FILE } from '../../../../main/ddi/train/runLock';

const fresh = () => mkdtempSync(join(tmpdir(), 'ddi-runlock-'));

/** A pid that existed a moment ago and does not any more. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('run folder lock', () => {
  it('records this process while held and removes itself on release', () => {
    const dir = fresh();
    const release = lockRunDir(dir);
    const owner = JSON.parse(readFileSync(join(dir, RUN_LOCK_FILE), 'utf8')) as { pid: number; host: string };
    expect(owner).toMatchObject({ pid: process.pid, host: hostname() });
    release();
    expect(existsSync(join(dir, RUN_LOCK_FILE))).toBe(false);
  });

  it('refuses a folder a live process holds, naming that process', () => {
    const dir = fresh();
    // The parent process (vitest's) is alive for the whole test.
    writeFileSync(join(dir, RUN_LOCK_FILE), JSON.stringify({ pid: process.ppid, host: hostname(), since: '2026-01-01T00:00:00Z' }));
    expect(() => lockRunDir(dir)).toThrow(new RegExp(`Another training process \\(pid ${process.ppid} `));
    // The other process's lock is left alone.
    expect(JSON.parse(readFileSync(join(dir, RUN_LOCK_FILE), 'utf8')).pid).toBe(process.ppid);
  });

  it('takes over a lock left by a process that is gone, or a damaged lock file', () => {
    for (const content of [JSON.stringify({ pid: deadPid(), host: hostname(), since: 'x' }), '{"pid": 12']) {
      const dir = fresh();
      writeFileSync(join(dir, RUN_LOCK_FILE), content);
      const release = lockRunDir(dir);
      expect(JSON.parse(readFileSync(join(dir, RUN_LOCK_FILE), 'utf8')).pid).toBe(process.pid);
      release();
    }
  });
});
