import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../../main/ddi/backend';
import { buildModel } from '../../../main/ddi/model';
import { listModels, loadModel, saveModel } from '../../../main/ddi/io';
import { isUserError } from '../../../main/util/errors';
import { tinyDensenet, tinyResnet } from './fixtures';

let root: string;
beforeAll(async () => {
  await initBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'ddi-io-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function copyModel(src: string, name: string): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  copyFileSync(join(src, 'model.json'), join(d, 'model.json'));
  copyFileSync(join(src, 'weights.bin'), join(d, 'weights.bin'));
  return d;
}

function expectRejected(dir: string, pattern: RegExp): void {
  const before = tf.memory().numTensors;
  let err: unknown;
  try {
    loadModel(dir);
  } catch (e) {
    err = e;
  }
  expect(isUserError(err)).toBe(true);
  expect((err as Error).message).toMatch(pattern);
  // Nothing half-loaded: no tensors were created.
  expect(tf.memory().numTensors).toBe(before);
}

describe('model files', () => {
  it('round-trips ResNet and DenseNet bit-exactly with metadata', async () => {
    for (const cfg of [tinyResnet(), tinyDensenet()]) {
      const m = buildModel(cfg, 11);
      const dir = join(root, `rt-${cfg.kind}`);
      await saveModel(m, dir, { randomWeights: true, dataset: { name: 'test' }, normalization: { mean: [0.5], std: [0.25] }, training: { epochs: 0 } });
      const loaded = loadModel(dir);
      expect(loaded.model.config).toEqual(cfg);
      expect(loaded.metadata.normalization).toEqual({ mean: [0.5], std: [0.25] });
      expect(loaded.metadata.randomWeights).toBe(true);
      const a = m.readValuesSync();
      const b = loaded.model.readValuesSync();
      for (const [k, v] of a)
        expect(Buffer.from(b.get(k)!.buffer, b.get(k)!.byteOffset, b.get(k)!.byteLength).equals(Buffer.from(v.buffer, v.byteOffset, v.byteLength))).toBe(true);
      m.dispose();
      loaded.model.dispose();
    }
  });

  it('rejects truncated, damaged, mismatched and missing files with one clear error', async () => {
    const m = buildModel(tinyResnet(), 3);
    const good = join(root, 'good');
    await saveModel(m, good);
    m.dispose();

    const trunc = copyModel(good, 'trunc');
    const w = readFileSync(join(trunc, 'weights.bin'));
    writeFileSync(join(trunc, 'weights.bin'), w.subarray(0, w.length - 8));
    expectRejected(trunc, /truncated/);

    const flipped = copyModel(good, 'flipped');
    const w2 = readFileSync(join(flipped, 'weights.bin'));
    w2[100] = w2[100]! ^ 0xff;
    writeFileSync(join(flipped, 'weights.bin'), w2);
    expectRejected(flipped, /SHA-256/);

    const badJson = copyModel(good, 'badjson');
    writeFileSync(join(badJson, 'model.json'), readFileSync(join(badJson, 'model.json'), 'utf8').slice(0, 200));
    expectRejected(badJson, /not valid JSON/);

    const mismatch = copyModel(good, 'mismatch');
    const j = JSON.parse(readFileSync(join(mismatch, 'model.json'), 'utf8'));
    j.architecture.widths = [4, 8, 16];
    writeFileSync(join(mismatch, 'model.json'), JSON.stringify(j));
    expectRejected(mismatch, /expects|needs/);

    const wrongFormat = copyModel(good, 'wrongformat');
    const j2 = JSON.parse(readFileSync(join(wrongFormat, 'model.json'), 'utf8'));
    j2.format = 'layers-model';
    writeFileSync(join(wrongFormat, 'model.json'), JSON.stringify(j2));
    expectRejected(wrongFormat, /not a DDI Profiler model file/);

    const noWeights = join(root, 'noweights');
    mkdirSync(noWeights);
    copyFileSync(join(good, 'model.json'), join(noWeights, 'model.json'));
    expectRejected(noWeights, /weights.bin not found/);
    expectRejected(join(root, 'does-not-exist'), /model.json not found/);

    const nan = copyModel(good, 'nan');
    const buf = readFileSync(join(nan, 'weights.bin'));
    buf.writeFloatLE(Number.NaN, 0);
    writeFileSync(join(nan, 'weights.bin'), buf);
    const j3 = JSON.parse(readFileSync(join(nan, 'model.json'), 'utf8'));
    j3.weights.sha256 = (await import('node:crypto')).createHash('sha256').update(buf).digest('hex');
    writeFileSync(join(nan, 'model.json'), JSON.stringify(j3));
    expectRejected(nan, /NaN/);

    const listed = listModels([root]);
    expect(listed.models.map((x) => x.name)).toContain('tiny-resnet');
    expect(listed.invalid.some((x) => x.dir.endsWith('badjson'))).toBe(true);
  });
});
