/**
 * Without onnxruntime-node (npm dropped the optional install, or its native library does not
 * load) the engine runs on tfjs, says so in one sentence, and its records name the tfjs backend.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { DdiEngine } from '../../../main/ddi/engine';
import { setOrtLoaderForTests } from '../../../main/ddi/runtime/ort-binding';
import { isUserError } from '../../../main/util/errors';

const MODEL = resolve('tests/fixtures/models/tiny-random-test');

describe('ONNX Runtime missing', () => {
  afterEach(() => setOrtLoaderForTests(undefined));

  it('falls back to tfjs wasm with one sentence saying why, and records name wasm', async () => {
    setOrtLoaderForTests(() => {
      throw new Error("Cannot find module 'onnxruntime-node'\nRequire stack:\n- /app/dist/main/cli.cjs");
    });
    const engine = await DdiEngine.create();
    try {
      const info = engine.backendInfo();
      expect(info.name).toBe('wasm');
      expect(info.notes).toHaveLength(1);
      expect(info.notes[0]).toMatch(
        /^Using the wasm backend because ONNX Runtime \(onnxruntime-node\) is not installed \(`npm install onnxruntime-node` would add it\)/,
      );
      expect(info.notes[0]).not.toContain('\n'); // one line (tfjs-node's own load error may carry a period)
      engine.loadModel(MODEL);
      const [rec] = engine.infer(new Float32Array(28 * 28).fill(0.5), 1, { mode: 'iadi' });
      expect(rec!.backend).toBe('wasm');
    } finally {
      engine.dispose();
    }
  });

  it('says what failed when the native library does not load', async () => {
    setOrtLoaderForTests(() => {
      throw new Error('libonnxruntime.so.1: cannot open shared object file: No such file or directory');
    });
    const engine = await DdiEngine.create();
    try {
      expect(engine.backendInfo().notes[0]).toMatch(
        /ONNX Runtime \(onnxruntime-node\) did not load \(libonnxruntime\.so\.1: cannot open shared object file: No such file or directory\)/,
      );
    } finally {
      engine.dispose();
    }
  });

  it('refuses --backend ort with --strict semantics in one sentence naming the reason', async () => {
    setOrtLoaderForTests(() => {
      throw new Error("Cannot find module 'onnxruntime-node'");
    });
    let err: unknown;
    try {
      await DdiEngine.create({ backend: 'ort', strict: true });
    } catch (e) {
      err = e;
    }
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toBe("Backend ort is not available (Cannot find module 'onnxruntime-node').");
  });
});
