/**
 * bench:files — wall time of importing and exporting a long PPK2-like session (current + D0–D7 at
 * 100 kS/s; default 10 M samples = 100 s) in the file formats: .ppk2 import, Parquet / CSV / JSON
 * with samples export (in process, on the caller's connection), and importing the CSV back.
 * Prints a Markdown table for docs/benchmarks.md.  Usage: npm run bench:files [-- SAMPLES]
 */
import { cpus } from 'node:os';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importFile } from '../main/import/session-import';
import { exportSessionToFile } from '../main/export/session-export';
import { closeDatabase, openDatabase } from '../main/store/database';
import { SessionsRepo } from '../main/store/sessions-repo';
import { writePpk2 } from '../tests/unit/import/ppk2-fixture';

const N = Number(process.argv[2] ?? 10_000_000);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ddi-bench-files-'));
  const db = openDatabase(join(dir, 'bench.sqlite'));
  const repo = new SessionsRepo(db);
  const rows: string[] = [];
  const timed = async (what: string, file: string | null, fn: () => Promise<unknown>): Promise<void> => {
    const t0 = performance.now();
    await fn();
    const s = (performance.now() - t0) / 1000;
    const size = file ? `${(statSync(file).size / 1e6).toFixed(0)} MB` : '';
    rows.push(`| ${what} | ${s.toFixed(1)} | ${(N / s / 1e6).toFixed(2)} | ${size} |`);
    process.stderr.write(`${what}: ${s.toFixed(1)} s\n`);
  };
  try {
    const ppk2 = join(dir, 'capture.ppk2');
    const currentUa = Float32Array.from({ length: N }, (_, i) => 800 + 600 * Math.sin(i / 300) + (i % 17));
    const lines = Uint8Array.from({ length: N }, (_, i) => (i >> 14) & 3);
    writePpk2(ppk2, { rate: 100_000, currentUa, lines });
    let id = 0;
    await timed('import .ppk2 (check pass + write pass)', ppk2, async () => (id = (await importFile(db, ppk2)).id));
    const pq = join(dir, 's.parquet');
    await timed('export Parquet (samples)', pq, () => exportSessionToFile(db, repo, id, 'parquet', pq));
    const csv = join(dir, 's.csv');
    await timed('export CSV (samples)', csv, () => exportSessionToFile(db, repo, id, 'csv', csv));
    const json = join(dir, 's.json');
    await timed('export JSON --samples', json, async () => {
      const { writeFileAtomically } = await import('../main/export/atomic-file');
      const { produceExport } = await import('../main/export/export-content');
      const { writableSink } = await import('../main/export/writable-sink');
      await writeFileAtomically(json, (out) => produceExport(db, { id, format: 'json', samples: true }, writableSink(out)));
    });
    await timed('import CSV (the export above)', csv, () => importFile(db, csv));
  } finally {
    closeDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `Machine: ${cpus()[0]?.model ?? '?'} × ${cpus().length}, Node ${process.version}; ${new Date().toISOString().slice(0, 10)}; ${N.toLocaleString('en')} samples (current + digital, 100 kS/s)\n`,
  );
  console.log('| step | wall s | M samples/s | file |\n| --- | ---: | ---: | ---: |');
  console.log(rows.join('\n'));
}

void main();
