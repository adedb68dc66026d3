// Every command finds a model the same way (main/ddi/model-resolver.ts): eval and infer by the name
// of a shipped model, the test fixture by name through DDI_MODELS_DIR, and an unknown name refused
// with the same sentence. Output piped (not a terminal): no progress line on stderr.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli';

describe('--model by name, the same in every command', () => {
  it('eval --model static --limit 5 evaluates the shipped model by name, with no progress line in a pipe', () => {
    const r = runCli(['eval', '--model', 'static', '--limit', '5', '--json', '--backend', 'wasm']);
    expect(r.stderr).not.toMatch(/model\.json not found|no model/i);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { model: string; n: number; accuracy: number; exitAccuracy: unknown[] };
    expect(report.model).toBe('static');
    expect(report.n).toBe(5);
    expect(report.exitAccuracy.length).toBeGreaterThan(0);
    expect(r.stderr).not.toContain('\r');
  });

  it('infer finds the test fixture by name (DDI_MODELS_DIR) and prints every image when sliced', () => {
    const r = runCli(['infer', '--model', 'tiny-random-test', '--dataset', 'sample', '--limit', '300', '--mode', 'static', '--json', '--backend', 'wasm']);
    expect(r.code).toBe(0);
    const recs = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { datasetIndex: number; sampleIndex: number });
    // 300 images run in two engine calls (main/cli/infer-progress.ts); indices count on across them.
    expect(recs.map((x) => x.datasetIndex)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(recs.map((x) => x.sampleIndex)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(r.stderr).not.toContain('\r');
  });

  it('eval and infer refuse an unknown name with the same sentence listing the installed models', () => {
    const e = runCli(['eval', '--model', 'nope', '--limit', '5']);
    const i = runCli(['infer', '--model', 'nope', '--dataset', 'sample', '--limit', '1', '--mode', 'static']);
    for (const r of [e, i]) {
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(
        /There is no model "nope" in .*; pass a model folder \(with model\.json\) or the name of an installed model: .*mgl2s-50.*static.*tiny-random-test\./,
      );
    }
    expect(e.stderr.trim()).toBe(i.stderr.trim());
  });
});
