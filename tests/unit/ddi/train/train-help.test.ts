// `train --help` lists what a user needs to train their own model first and the recipe experiments
// apart, under one heading; every flag the shipped zoo's commands use is still accepted.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../helpers/cli';
// @ts-expect-error: plain .mjs module without types
import { ZOO } from '../../../../scripts/lib/zoo-plan.mjs';

describe('ddi-profiler train --help', () => {
  const help = runCli(['train', '--help']).stdout;
  const [main = '', research = ''] = help.split(/^Research options[^\n]*:$/m);

  it('puts the experiment switches under "Research options" and the user\'s options before them', () => {
    expect(research).not.toBe('');
    for (const f of [
      '--gate-gradient',
      '--exit-gradient',
      '--gate-input',
      '--exit-weight',
      '--distill-weight',
      '--distill-temperature',
      '--clip-norm',
      '--clip-stages',
      '--schedule',
    ]) {
      expect(research, f).toMatch(new RegExp(`^  ${f} `, 'm'));
      expect(main, f).not.toMatch(new RegExp(`^  ${f} `, 'm'));
    }
    for (const f of ['--name', '--arch', '--gates', '--target', '--init', '--epochs', '--distill-from', '--dataset', '--out', '--resume', '--export']) {
      expect(main, f).toMatch(new RegExp(`^  ${f} `, 'm'));
    }
  });

  it("still lists every flag of the shipped zoo's commands", () => {
    const flags = new Set((ZOO as { args: string[] }[]).flatMap((e) => e.args.filter((a) => a.startsWith('--'))));
    expect(flags.size).toBeGreaterThan(10);
    for (const f of flags) expect(help, f).toMatch(new RegExp(`^  ${f} `, 'm'));
  });
});
