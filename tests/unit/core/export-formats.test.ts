/**
 * The app's export call takes every format the export worker writes (CSV, JSON, Parquet, HTML) and
 * hands it to the transport with the format's file name; the HTML report, which always covers the
 * whole session, refuses a range in one sentence before anything is delivered. Electron's save
 * dialog filter follows the format.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppCore } from '../../../main/core/app-core';
import { saveDialogFilter, withFormatExtension } from '../../../main/electron/export-flow';
import { insertBigSession } from '../export/export-fixtures';

const delivered: Array<{ id: number; format: string; fileName: string; range?: unknown }> = [];
let core: AppCore;
let id: number;

beforeAll(() => {
  core = AppCore.open({
    dbPath: ':memory:',
    transport: 'browser',
    deliverExport: async (sid, format, fileName, range) => {
      delivered.push({ id: sid, format, fileName, ...(range ? { range } : {}) });
      return { fileName, downloadUrl: `/download/${delivered.length}` };
    },
  });
  id = insertBigSession(core.repo, 1000, 4);
});
afterAll(async () => core?.close());

describe('sessions.export formats', () => {
  it('delivers Parquet and HTML like CSV and JSON, each with its own file name', async () => {
    for (const format of ['csv', 'json', 'parquet', 'html'] as const) {
      const out = await core.call('sessions.export', { id, format });
      expect(out.fileName).toBe(`ddi-session-${id}.${format}`);
    }
    expect(delivered.map((d) => d.format)).toEqual(['csv', 'json', 'parquet', 'html']);
  });

  it('exports a range as Parquet, but refuses a range for the whole-session HTML report', async () => {
    delivered.length = 0;
    await core.call('sessions.export', { id, format: 'parquet', fromS: 0.1, toS: 0.5 });
    expect(delivered).toEqual([{ id, format: 'parquet', fileName: `ddi-session-${id}.parquet`, range: { fromS: 0.1, toS: 0.5 } }]);
    await expect(core.call('sessions.export', { id, format: 'html', fromS: 0.1, toS: 0.5 })).rejects.toThrow(
      'The HTML report covers the whole session; export it without a selected range, or export the range as CSV, JSON or Parquet.',
    );
    expect(delivered).toHaveLength(1);
  });

  it('refuses a format the app does not know', async () => {
    await expect(core.call('sessions.export', { id, format: 'xlsx' as 'csv' })).rejects.toThrow(/Invalid input for sessions.export at "format"/);
  });

  it('gives the Electron save dialog a filter per format and adds the extension a bare name lacks', () => {
    expect(saveDialogFilter('parquet')).toEqual({ name: 'Parquet', extensions: ['parquet'] });
    expect(saveDialogFilter('html')).toEqual({ name: 'HTML report', extensions: ['html'] });
    expect(withFormatExtension('/tmp/run1', 'parquet')).toBe('/tmp/run1.parquet');
  });
});
