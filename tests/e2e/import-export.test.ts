// Import and the file exports end to end: a CSV and a .ppk2 (written here from the published format)
// are imported through the CLI into the database a running browser-mode server uses, both appear
// in the Sessions list in Chromium labelled imported; the .ppk2 session is exported as Parquet
// through the CLI (export worker) and read back with hyparquet, and its HTML report opens in
// Chromium without a single network request. The .ppk2 session's page shows D0–D7 as logic lanes
// under its trace, drawn where the imported D0 was high or low; the CSV session has none.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { writePpk2 } from '../unit/import/ppk2-fixture';
import { assertBuilt, launchChromium, SCREENSHOT_DIR, screenshotsWanted, startServe, type Browser, type ServeProcess } from './harness';

let dir: string;
let dbPath: string;
let server: ServeProcess;
let browser: Browser;
/** Set by the import test; the lanes test opens these sessions. */
let imported: { csvId: number; ppk2Id: number; lines: Uint8Array } | undefined;

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ddi-e2e-import-'));
  dbPath = join(dir, 'lab.sqlite');
  server = await startServe(dbPath);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('import and file exports', () => {
  it('imports a CSV and a .ppk2 via the CLI, lists both in Chromium, and reads the Parquet export back', async () => {
    // A plain CSV: 1 kS/s for 2 s, current and voltage.
    const csv = join(dir, 'bench-logger.csv');
    writeFileSync(
      csv,
      'time_s,current_A,voltage_V\n' +
        Array.from({ length: 2000 }, (_, i) => `${(i / 1000).toFixed(3)},${(0.02 + (i % 50) * 1e-4).toFixed(6)},3.3`).join('\n') +
        '\n',
    );
    // A .ppk2: 100 kS/s for 0.3 s, current in µA and D0 toggling.
    const n = 30_000;
    const currentUa = Float32Array.from({ length: n }, (_, i) => 500 + 400 * Math.sin(i / 100));
    const lines = Uint8Array.from({ length: n }, (_, i) => (i >> 11) & 1);
    const ppk2 = join(dir, 'ppk2-capture.ppk2');
    writePpk2(ppk2, { rate: 100_000, currentUa, lines, startSystemTime: Date.UTC(2026, 5, 1) });

    const a = runCli(['--db', dbPath, 'import', csv, '--name', 'e2e csv import']);
    expect(a.code, a.stderr).toBe(0);
    const csvId = Number(a.stdout.trim());
    const b = runCli(['--db', dbPath, 'import', ppk2, '--name', 'e2e ppk2 import']);
    expect(b.code, b.stderr).toBe(0);
    const ppk2Id = Number(b.stdout.trim());
    expect(Number.isInteger(csvId) && Number.isInteger(ppk2Id) && ppk2Id > csvId).toBe(true);
    imported = { csvId, ppk2Id, lines };
    // A bad file: one sentence, non-zero exit, nothing new in the list.
    const bad = runCli(['--db', dbPath, 'import', join(dir, 'missing.ppk2')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim()).toMatch(/^Error: There is no file .*missing\.ppk2; check the path/);

    // Both sessions in the Sessions list of the running server, labelled imported.
    const page = await browser.context.newPage();
    await page.goto(`${server.url}#/sessions`);
    await page.getByTestId('status-connection').and(page.locator('[data-state="open"]')).waitFor();
    for (const [id, name, meter] of [
      [csvId, 'e2e csv import', 'bench-logger.csv'],
      [ppk2Id, 'e2e ppk2 import', 'nRF Connect Power Profiler .ppk2'],
    ] as const) {
      const row = page.locator(`[data-testid="session-row"][data-session-id="${id}"]`);
      await row.waitFor();
      const text = await row.textContent();
      expect(text).toContain(name);
      expect(text).toContain(meter);
      expect(await row.getByTestId('imported-badge').isVisible()).toBe(true);
    }
    await page.close();

    // Parquet through the CLI (the export worker), read back with an independent reader.
    const out = join(dir, 'ppk2.parquet');
    const e = runCli(['--db', dbPath, 'export', String(ppk2Id), '--format', 'parquet', '--out', out]);
    expect(e.code, e.stderr).toBe(0);
    const buf = readFileSync(out);
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    expect(
      parquetMetadata(file)
        .schema.slice(1)
        .map((s) => s.name),
    ).toEqual(['time_s', 'current_A', 'digital']);
    const rows = (await parquetReadObjects({ file })) as { time_s: number; current_A: number; digital: number }[];
    expect(rows).toHaveLength(n);
    for (const i of [0, 1, 2047, 2048, 12_345, n - 1]) {
      expect(rows[i]!.time_s).toBeCloseTo(i / 100_000, 12);
      expect(rows[i]!.current_A).toBe(Math.fround(currentUa[i]! * 1e-6));
      expect(rows[i]!.digital).toBe(lines[i]);
    }

    // The HTML report opens offline: no request but the file itself, and its trace is drawn.
    const html = join(dir, 'report.html');
    const h = runCli(['--db', dbPath, 'export', String(csvId), '--format', 'html', '--out', html]);
    expect(h.code, h.stderr).toBe(0);
    const report = await browser.context.newPage();
    const requests: string[] = [];
    report.on('request', (r) => requests.push(r.url()));
    await report.goto(pathToFileURL(html).href);
    expect(await report.title()).toBe(`Session ${csvId}: e2e csv import`);
    const plot = report.locator('svg.plot').first();
    expect((await plot.boundingBox())!.width).toBeGreaterThan(400);
    expect(await report.locator('svg.plot polygon.env').count()).toBeGreaterThan(0);
    expect(await report.locator('text=IMPORTED').first().isVisible()).toBe(true);
    expect(requests).toEqual([pathToFileURL(html).href]);
    await report.close();
  });

  it('draws the digital inputs of the imported .ppk2 as logic lanes under its stored trace, and none for the CSV', async () => {
    if (!imported) throw new Error('the import test above did not run to its end');
    const { csvId, ppk2Id, lines } = imported;
    const page = await browser.context.newPage();
    await page.goto(`${server.url}#/sessions/${ppk2Id}`);
    const lanes = page.getByTestId('trace-logic-lanes');
    await lanes.waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="trace-chart"]')?.getAttribute('data-drawn') ?? 0) > 0);
    // Per lane, which rows of its 14-pixel band hold ink: the high line sits at the top, the low at the bottom.
    const ink = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('[data-testid="trace-logic-lanes"]')!;
      const img = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
      const rows = (lane: number, from: number, to: number): number => {
        let n = 0;
        // Skip the lane's label at the left.
        for (let y = lane * 14 + from; y < lane * 14 + to; y++) for (let x = 80; x < c.width; x++) if (img.data[(y * c.width + x) * 4 + 3]! > 0) n++;
        return n;
      };
      return { d0High: rows(0, 0, 5), d0Low: rows(0, 10, 14), d1High: rows(1, 0, 5), d1Low: rows(1, 10, 14), lanes: c.height / 14 };
    });
    expect(ink.lanes).toBe(8);
    // D0 spent time high and low (it toggles every 2048 samples); D1 never left low.
    expect(lines.some((v) => v === 1) && lines.some((v) => v === 0)).toBe(true);
    expect(ink.d0High).toBeGreaterThan(100);
    expect(ink.d0Low).toBeGreaterThan(100);
    expect(ink.d1High).toBe(0);
    expect(ink.d1Low).toBeGreaterThan(500);
    if (screenshotsWanted) await page.getByTestId('trace').screenshot({ path: join(SCREENSHOT_DIR, 'logic-lanes.png') });
    // A session without digital inputs has no lanes.
    await page.goto(`${server.url}#/sessions/${csvId}`);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="trace-chart"]')?.getAttribute('data-drawn') ?? 0) > 0);
    expect(await page.getByTestId('trace-logic-lanes').count()).toBe(0);
    await page.close();
  });
});
