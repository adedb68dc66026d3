import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerMetersCommand } from '../../../main/cli/commands/meters';
import { Ppk2Emulator } from './emulators/ppk2-emulator';
import { meterFixture } from './helpers/meter-fixture';

const fx = meterFixture();
afterEach(() => {
  vi.restoreAllMocks();
});

describe('ddi-profiler meters --probe PORT', () => {
  it('reports which meter answered and the spec to use', async () => {
    const pty = await fx.plug(new Ppk2Emulator());
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const program = new Command();
    registerMetersCommand(program);
    await program.parseAsync(['node', 'ddi-profiler', 'meters', '--probe', pty.hostPath]);
    expect(lines.join('\n')).toContain(`probe ${pty.hostPath}: Nordic PPK2 (HW 9173)  → use ppk2:${pty.hostPath}@115200`);
  });
});
