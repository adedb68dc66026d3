// What the benchmarks that drive bench/lib/ppk2-sched-emulator.mjs from the outside share: raising a
// child's scheduling priority, waiting for its exit, and reading the emulator's truth files.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

/** Sets the autogroup nice of a process started in its own session; without the privilege it runs as it is. */
export function raiseAutogroup(pid: number, nice: string): void {
  try {
    writeFileSync(`/proc/${pid}/autogroup`, nice);
  } catch {
    console.log(`note: could not set autogroup nice ${nice} for process ${pid}; it runs at the default priority`);
  }
}

/** The child's exit code, or null when it had to be stopped after `ms`. */
export async function exitOf(child: ChildProcess, ms: number): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      resolve(null);
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** The emulator's truth: PREFIX.json (its description, typed by the caller) and PREFIX.f32 (current per sample, A). */
export function readTruthFiles<Meta>(prefix: string): { meta: Meta; current: Float32Array } {
  const meta = JSON.parse(readFileSync(`${prefix}.json`, 'utf8')) as Meta;
  const bytes = readFileSync(`${prefix}.f32`);
  return { meta, current: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
}
