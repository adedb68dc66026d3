import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../../main/ddi/io';
import { isUserError } from '../../../main/util/errors';
import { runCli } from '../../helpers/cli';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'models', 'tiny-random-test');

function copyModel(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'ddi-modelfile-')), 'm');
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

function refusal(dir: string): string {
  try {
    loadModel(dir);
  } catch (e) {
    expect(isUserError(e), String(e)).toBe(true);
    const msg = (e as Error).message;
    expect(msg, 'one line').not.toContain('\n');
    expect(msg).toMatch(/\.$/);
    return msg;
  }
  throw new Error('loaded');
}

/** Overwrites `length` bytes at `offset` with pseudo-random bytes (line breaks and invalid UTF-8 included). */
function damage(path: string, offset: number, length: number): void {
  const b = readFileSync(path);
  let x = 12345;
  for (let i = 0; i < length && offset + i < b.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[offset + i] = x >> 16;
  }
  writeFileSync(path, b);
}

describe('model files: one sentence for each way they can be broken', () => {
  it('weights.bin being a folder', () => {
    const dir = copyModel();
    rmSync(join(dir, 'weights.bin'));
    mkdirSync(join(dir, 'weights.bin'));
    expect(refusal(dir)).toBe(`Model ${dir}: weights.bin is a folder, not a file; copy the model's weights.bin file in its place.`);
  });

  it('model.json being a folder', () => {
    const dir = copyModel();
    rmSync(join(dir, 'model.json'));
    mkdirSync(join(dir, 'model.json'));
    expect(refusal(dir)).toBe(`Model ${dir}: model.json is a folder, not a file; copy the model's model.json file in its place.`);
  });

  it('a damaged 4 KiB page of model.json says where, without quoting the damaged bytes', () => {
    const dir = copyModel();
    damage(join(dir, 'model.json'), 4096, 4096);
    expect(refusal(dir)).toMatch(
      new RegExp(`^Model ${dir}: model\\.json is not valid JSON( at line \\d+)?; the file is damaged, re-export or re-copy the model\\.$`),
    );
  });

  it('a damaged page of weights.bin', () => {
    const dir = copyModel();
    damage(join(dir, 'weights.bin'), 0, 4096);
    expect(refusal(dir)).toMatch(/weights\.bin does not match the SHA-256/);
  });

  it('numbers JSON carries but no model can mean: 1e999, a zero standard deviation, a negative cost', () => {
    const edit = (fn: (m: Record<string, any>) => void): string => {
      const dir = copyModel();
      const m = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      fn(m);
      writeFileSync(join(dir, 'model.json'), JSON.stringify(m).replace('"__INF__"', '1e999'));
      return dir;
    };
    expect(refusal(edit((m) => (m.architecture.gates.initBias = '__INF__')))).toMatch(
      /field architecture\.gates\.initBias: Invalid input: expected number, received Infinity\)\.$/,
    );
    expect(refusal(edit((m) => (m.normalization = { mean: [0], std: [0] })))).toMatch(/standard deviation that is not positive/);
    expect(
      refusal(
        edit((m) =>
          m.costTables.push({ name: 'bad', kind: 'latency', unit: 's', source: 'test', entries: { classifier: { fixed: -1, anyChannel: 0, perChannel: 0 } } }),
        ),
      ),
    ).toMatch(/cost table "bad" gives unit classifier a negative cost/);
  });

  it('"infer --model DIR" prints the sentence, not a stack trace', () => {
    const dir = copyModel();
    rmSync(join(dir, 'weights.bin'));
    mkdirSync(join(dir, 'weights.bin'));
    const r = runCli(['infer', '--model', dir, '--dataset', 'sample', '--limit', '1', '--mode', 'static']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe(`Error: Model ${dir}: weights.bin is a folder, not a file; copy the model's weights.bin file in its place.`);
  });
});
