/**
 * End to end through the built CLI (dist/main/cli.cjs, built by `npm test` before vitest): Ctrl-C
 * during `train` leaves a checkpoint from which `--resume` finishes the run and saves the model;
 * a second trainer on the same run folder is refused while the first runs; a resume that asks
 * for clipping of a stage already under way is refused; a distilled run resumes with its teacher.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeIdx } from '../../../../main/ddi/data/idx';
import { Rng } from '../../../../main/ddi/train/rng';

const CLI = join(process.cwd(), 'dist', 'main', 'cli.cjs');

function run(args: string[], onStderr?: (text: string, kill: () => void) => void): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, () => p.kill('SIGINT'));
    });
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('train CLI', () => {
  it('Ctrl-C saves a checkpoint; --resume finishes the run and saves the model', async () => {
    expect(existsSync(CLI), `${CLI} is missing: run node scripts/build-main.mjs (npm test does)`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'ddi-cli-train-'));
    const data = join(dir, 'data');
    mkdirSync(data);
    const n = 16;
    const rng = new Rng(7);
    const images = Uint8Array.from({ length: n * 28 * 28 }, () => rng.int(256));
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 2);
    writeFileSync(join(data, 'train-images-idx3-ubyte.gz'), gzipSync(encodeIdx([n, 28, 28], images)));
    writeFileSync(join(data, 'train-labels-idx1-ubyte.gz'), gzipSync(encodeIdx([n], labels)));
    const args = [
      'train',
      '--name',
      'cli-test',
      '--arch',
      'resnet8',
      '--dataset',
      data,
      '--batch-size',
      '8',
      '--epochs',
      '12',
      '--run-dir',
      join(dir, 'run'),
      '--out',
      join(dir, 'model'),
      '--no-final-eval',
    ];
    let sent = false;
    let rival: Promise<{ code: number | null; stderr: string }> | undefined;
    const first = await run(args, (text, kill) => {
      if (!sent && text.includes('Ctrl-C saves a checkpoint')) {
        sent = true;
        // A second trainer on the same run folder while the first is training is refused.
        rival = run([...args, '--resume']).then((r) => {
          kill();
          return r;
        });
      }
    });
    const refused = await rival!;
    expect(refused.stderr).toMatch(/Another training process \(pid \d+ .* is using/);
    expect(refused.code).not.toBe(0);
    expect(existsSync(join(dir, 'run', 'run.lock'))).toBe(false);
    expect(first.stderr).toMatch(/checkpoint saved at backbone epoch \d+ step \d+|Interrupted/);
    expect(first.code).toBe(0);
    expect(existsSync(join(dir, 'run', 'checkpoint.ckpt'))).toBe(true);
    expect(existsSync(join(dir, 'model', 'model.json'))).toBe(false);

    // Clipping cannot be added to a stage that has started, nor asked for without a norm; the checkpoint stays as it was.
    const ckBefore = readFileSync(join(dir, 'run', 'checkpoint.ckpt'));
    const midStage = await run([...args, '--resume', '--clip-norm', '2']);
    expect(midStage.stderr).toMatch(/Every stage of this run has started, and clipping cannot change in the middle of a stage/);
    expect(midStage.code).not.toBe(0);
    const noNorm = await run([...args, '--resume', '--clip-stages', 'joint']);
    expect(noNorm.stderr).toMatch(/--clip-stages needs --clip-norm N/);
    expect(noNorm.code).not.toBe(0);
    expect(readFileSync(join(dir, 'run', 'checkpoint.ckpt')).equals(ckBefore)).toBe(true);

    const second = await run([...args, '--resume']);
    expect(second.stderr).toMatch(/Resuming .* at stage 1 epoch \d+ step \d+/);
    expect(second.code).toBe(0);
    const model = JSON.parse(readFileSync(join(dir, 'model', 'model.json'), 'utf8')) as { training: { history: unknown[]; commands: string[][] } };
    expect(model.training.history).toHaveLength(12);
    // Resumed with the same arguments: the record holds the one command that made the model, also on the card.
    expect(model.training.commands).toEqual([args]);
    expect(readFileSync(join(dir, 'model', 'card.md'), 'utf8')).toContain(`- Command: \`ddi-profiler ${args.join(' ')}\``);

    // The finished model teaches a new run (--distill-from): recorded in the recipe and on the card.
    // Interrupted and resumed with the command that started it (as train-zoo.mjs does), the run
    // reloads its teacher and ends with the weights of the same run trained straight through; a
    // resume cannot change the distillation, nor add it to a run that had none.
    const kdRun = (tag: string) => [
      'train',
      '--name',
      'cli-kd',
      '--arch',
      'resnet8',
      '--dataset',
      data,
      '--batch-size',
      '8',
      '--epochs',
      '3',
      '--distill-from',
      join(dir, 'model'),
      '--run-dir',
      join(dir, `kd-run${tag}`),
      '--out',
      join(dir, `kd-model${tag}`),
      '--no-final-eval',
    ];
    const kdArgs = kdRun('');
    const straight = await run(kdRun('-straight'));
    expect(straight.code).toBe(0);
    let kdSent = false;
    const kdFirst = await run(kdArgs, (text, kill) => {
      if (!kdSent && text.includes('Ctrl-C saves a checkpoint')) {
        kdSent = true;
        kill();
      }
    });
    expect(kdFirst.stderr).toMatch(/Interrupted\. Resume with/);
    expect(existsSync(join(dir, 'kd-model', 'model.json'))).toBe(false);
    const kdCheckpoint = readFileSync(join(dir, 'kd-run', 'checkpoint.ckpt'));
    const changed = await run([...kdArgs, '--distill-weight', '2', '--resume']);
    expect(changed.stderr).toMatch(
      /trains with distillation from .* \(weight 1, temperature 4\), and --resume cannot switch it to distillation from .* \(weight 2, temperature 4\)/,
    );
    expect(changed.code).not.toBe(0);
    const added = await run([...args, '--distill-from', join(dir, 'model'), '--resume']);
    expect(added.stderr).toMatch(/trains with no distillation, and --resume cannot switch it/);
    expect(added.code).not.toBe(0);
    expect(readFileSync(join(dir, 'kd-run', 'checkpoint.ckpt')).equals(kdCheckpoint)).toBe(true);
    const kd = await run([...kdArgs, '--resume']);
    expect(kd.stderr).toContain(`Distilling from ${join(dir, 'model')} (weight 1, temperature 4)`);
    expect(kd.code).toBe(0);
    expect((JSON.parse(readFileSync(join(dir, 'kd-model', 'model.json'), 'utf8')) as { training: { commands: string[][] } }).training.commands).toEqual([
      kdArgs,
    ]);
    expect(readFileSync(join(dir, 'kd-model', 'weights.bin')).equals(readFileSync(join(dir, 'kd-model-straight', 'weights.bin')))).toBe(true);
    const kdModel = JSON.parse(readFileSync(join(dir, 'kd-model', 'model.json'), 'utf8')) as { training: { recipe: { distill: unknown } } };
    expect(kdModel.training.recipe.distill).toEqual({ from: join(dir, 'model'), weight: 1, temperature: 4 });
    expect(readFileSync(join(dir, 'kd-model', 'card.md'), 'utf8')).toContain('- Distillation from');
  }, 240_000);
});
