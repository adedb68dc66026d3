/**
 * A pseudo-terminal pair made by socat: `hostPath` is what the driver opens through serialport,
 * `devicePath` is the emulator's end. unplug() kills socat, which removes both links and hangs up
 * both ends exactly like a USB device vanishing; replug() makes a new pair at the same paths.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class PtyPair {
  readonly dir: string;
  readonly hostPath: string;
  readonly devicePath: string;
  private proc: ChildProcess | undefined;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'ddi-pty-'));
    this.hostPath = join(this.dir, 'host');
    this.devicePath = join(this.dir, 'device');
  }

  /** socat's process id (for CPU accounting in the ingest benchmark). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  static async create(): Promise<PtyPair> {
    const pair = new PtyPair();
    await pair.replug();
    return pair;
  }

  async replug(): Promise<void> {
    if (this.proc) throw new Error('pty pair already plugged');
    const proc = spawn('/usr/bin/socat', [`pty,raw,echo=0,link=${this.hostPath}`, `pty,raw,echo=0,link=${this.devicePath}`], { stdio: 'ignore' });
    this.proc = proc;
    const deadline = Date.now() + 5000;
    while (!(existsSync(this.hostPath) && existsSync(this.devicePath))) {
      if (proc.exitCode !== null) throw new Error(`socat exited with ${proc.exitCode}`);
      if (Date.now() > deadline) throw new Error('socat did not create the pty pair in 5 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async unplug(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  }

  async dispose(): Promise<void> {
    await this.unplug();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
