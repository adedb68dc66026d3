/**
 * `ddi-profiler eval --batch-size`: a bad value is refused in one sentence before anything runs, and
 * the report does not depend on the batch size (every row is computed alone), so the per-backend
 * default (8 on ort, 32 on tfjs) changes only the speed: the report at the default equals the reports
 * at batch 1 and 32, on ONNX Runtime and on wasm. Needs the built CLI (npm run build:main).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli';
import { loadOrtBinding } from '../../../main/ddi/runtime/ort-binding';

const ort = loadOrtBinding();
if (!ort.ok) console.warn(`eval-batch-size-cli: the ort case is skipped, onnxruntime-node is not available (${ort.reason})`);

const evalArgs = (backend: string, extra: string[] = []) => [
  'eval',
  '--model',
  'mgl2s-50',
  '--dataset',
  'sample',
  '--limit',
  '40',
  '--json',
  '--backend',
  backend,
  ...extra,
];

describe('eval --batch-size', () => {
  it.each(['0', '2.5', 'eight'])('refuses %s in one sentence, writing nothing to stdout', (bad) => {
    const r = runCli(evalArgs('wasm', ['--batch-size', bad]));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toContain(`--batch-size "${bad}" is not a whole number of images; give one from 1 up, e.g. --batch-size 8.`);
  });

  for (const backend of ['ort', 'wasm']) {
    it.skipIf(backend === 'ort' && !ort.ok)(`${backend}: the report at the default batch size equals the reports at batch 1 and 32`, () => {
      const reports = [[], ['--batch-size', '1'], ['--batch-size', '32']].map((extra) => {
        const r = runCli(evalArgs(backend, extra));
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as { n: number; accuracy: number; macs: { mean: number } };
      });
      expect(reports[0]!.n).toBe(40);
      expect(reports[1]).toEqual(reports[0]);
      expect(reports[2]).toEqual(reports[0]);
    });
  }
});
