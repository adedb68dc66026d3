import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerMetersCommand } from '../../../main/cli/commands/meters';
import { Ppk2Emulator } from './emulators/ppk2-emulator';
import { PtyPair } from './helpers/pty-pair';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

describe('ddi-profiler meters --probe PORT', () => {
  it('reports which meter answered and the spec to use', async () => {
    const pty = await PtyPair.create();
    cleanups.push(() => pty.dispose());
    const emu = new Ppk2Emulator();
    await emu.attach(pty.devicePath);
    cleanups.push(() => emu.detach());
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const program = new Command();
    registerMetersCommand(program);
    await program.parseAsync(['node', 'ddi-profiler', 'meters', '--probe', pty.hostPath]);
    expect(lines.join('\n')).toContain(`probe ${pty.hostPath}: Nordic PPK2 (HW 9173)  → use ppk2:${pty.hostPath}@115200`);
  });
});
