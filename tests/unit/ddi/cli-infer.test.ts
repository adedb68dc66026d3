import { afterEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { resolve } from 'node:path';
import { registerInferCommand } from '../../../main/cli/commands/infer';
import { isUserError } from '../../../main/util/errors';

async function run(args: string[]): Promise<string> {
  const program = new Command();
  program.exitOverride();
  registerInferCommand(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'ddi-profiler', 'infer', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

const MODEL = resolve('tests/fixtures/models/tiny-random-test');

describe('ddi-profiler infer', () => {
  afterEach(() => vi.restoreAllMocks());
  it('prints one JSON record per image with the MACs it spent, within the budget', async () => {
    const out = await run(['--model', MODEL, '--dataset', 'sample', '--limit', '4', '--mode', 'ddi', '--budget', '3MMAC', '--json', '--backend', 'wasm']);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    for (const r of lines) {
      expect(r.mode).toBe('ddi');
      expect(r.macs).toBeGreaterThan(0);
      expect(r.macs).toBeLessThanOrEqual(3e6);
      expect(r.budget.text).toBe('3MMAC');
      expect(typeof r.startNs).toBe('number');
    }
    expect(lines.map((r) => r.datasetIndex)).toEqual([0, 1, 2, 3]);
  });
  it('prints a readable line per image and a summary, flagging random weights', async () => {
    const out = await run(['--model', 'tiny-random-test', '--dataset', 'sample', '--limit', '3', '--mode', 'static', '--backend', 'wasm']);
    expect(out).toContain('RANDOM WEIGHTS');
    expect(out).toMatch(/#0 .* exit=classifier .*MACs=5\.074 MMAC/);
    expect(out).toMatch(/3 images, accuracy/);
  });
  it('rejects a budget below the first exit, a missing budget and a bad unit with clear errors', async () => {
    for (const [args, msg] of [
      [['--mode', 'ddi', '--budget', '10kMAC'], /below the minimum of 2\.090 MMAC/],
      [['--mode', 'radi'], /needs --budget/],
      [['--mode', 'ddi', '--budget', '3 parsecs'], /not a budget|unknown unit/],
    ] as const) {
      let err: unknown;
      try {
        await run(['--model', MODEL, '--dataset', 'sample', '--limit', '1', '--backend', 'wasm', ...args]);
      } catch (e) {
        err = e;
      }
      expect(isUserError(err)).toBe(true);
      expect((err as Error).message).toMatch(msg);
    }
  });
});
