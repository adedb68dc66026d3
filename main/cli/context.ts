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

/** A one-line progress display on stderr that rewrites itself on a terminal and stays quiet in logs. */
export function progressLine(): { update(text: string): void; done(): void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  return {
    update(text) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      process.stderr.write(`\r\x1b[2K${text}`);
    },
    done() {
      if (tty) process.stderr.write('\r\x1b[2K');
    },
  };
}

export function formatSi(value: number | null, unit: string, digits = 3): string {
  if (value === null || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  const [scale, prefix] =
    abs === 0 ? [1, ''] : abs >= 1 ? [1, ''] : abs >= 1e-3 ? [1e3, 'm'] : abs >= 1e-6 ? [1e6, 'µ'] : [1e9, 'n'];
  return `${(value * scale).toPrecision(digits)} ${prefix}${unit}`;
}
