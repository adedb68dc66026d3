import type { Command } from 'commander';
import { AppCore } from '../core/app-core';
import { defaultDatabasePath } from '../store/database';

/** The database path from --db, else DDI_PROFILER_DB, else the platform's app-data folder. */
export function dbPathFrom(command: Command): string {
  const opts = command.optsWithGlobals<{ db?: string }>();
  return opts.db ?? defaultDatabasePath();
}

export function openCore(command: Command): AppCore {
  return AppCore.open({ dbPath: dbPathFrom(command), transport: 'browser' });
}

/** Where progress goes: process.stderr, or a fake in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * A one-line progress display on stderr that rewrites itself on a terminal and stays quiet in logs:
 * a pipe or file gets nothing, so scripted output (and --json on stdout) stays exactly what it was.
 */
export function progressLine(stream: ProgressStream = process.stderr, now: () => number = Date.now): { update(text: string): void; done(): void } {
  const tty = stream.isTTY === true;
  let last = -Infinity;
  let shown = false;
  return {
    update(text) {
      if (!tty) return;
      const t = now();
      if (t - last < 100) return; // at most 10 redraws a second
      last = t;
      shown = true;
      stream.write(`\r\x1b[2K${text}`);
    },
    done() {
      if (tty && shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}

/** "eval 4000/10000 [########------------] 40 % 12 s left": a count, a bar and the time left at the rate so far. */
export function progressBar(label: string, done: number, total: number, elapsedS: number, width = 20): string {
  const f = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(f * width);
  const left = done > 0 && done < total ? ` ${Math.ceil((elapsedS * (total - done)) / done)} s left` : '';
  return `${label} ${done}/${total} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(100 * f)} %${left}`;
}

export function formatSi(value: number | null, unit: string, digits = 3): string {
  if (value === null || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  const [scale, prefix] = abs === 0 ? [1, ''] : abs >= 1 ? [1, ''] : abs >= 1e-3 ? [1e3, 'm'] : abs >= 1e-6 ? [1e6, 'µ'] : [1e9, 'n'];
  return `${(value * scale).toPrecision(digits)} ${prefix}${unit}`;
}
