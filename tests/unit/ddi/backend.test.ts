import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { backendChoiceSentence, initBackend, tryRequire, wasmDirectory } from '../../../main/ddi/backend';
import { setOrtLoaderForTests } from '../../../main/ddi/runtime/ort-binding';

describe('initBackend', () => {
  it('picks ONNX Runtime by default when onnxruntime-node loads', async () => {
    const info = await initBackend();
    expect(info.name).toBe('ort');
    expect(info.version).toBe('1.30.0');
    expect(info.notes).toEqual([]);
    expect(info.flags.intraOpNumThreads).toBe(1);
  });
  it('falls back from an unavailable onnxruntime-node and tfjs-node to wasm and reports why', async () => {
    // As when npm dropped onnxruntime-node (optional install failed).
    setOrtLoaderForTests(() => {
      throw new Error("Cannot find module 'onnxruntime-node'\nRequire stack: ...");
    });
    let info;
    try {
      info = await initBackend();
    } finally {
      setOrtLoaderForTests(undefined);
    }
    // tfjs-node is an optional dependency that cannot install offline; if it ever is present it wins.
    if (info.name !== 'tensorflow') {
      expect(info.name).toBe('wasm');
      expect(info.notes.join(' ')).toMatch(/tensorflow/);
      // One sentence for the Run header: which backend and why, not a raw require error.
      // (tfjs-node's half depends on whether npm left the package without its addon or dropped it.)
      expect(info.notes).toHaveLength(1);
      expect(info.notes[0]).toMatch(
        /^Using the wasm backend because ONNX Runtime \(onnxruntime-node\) is not installed \(`npm install onnxruntime-node` would add it\) and the native TensorFlow backend \(@tensorflow\/tfjs-node\) (is not installed|did not load) /,
      );
      expect(info.flags.WASM_HAS_SIMD_SUPPORT).toBe(true);
    }
    expect(info.coreVersion).toBe('4.22.0');
    const y = tf.tidy(() => tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'same').dataSync());
    expect(y[4]).toBe(9);
  });
  it('switches to cpu on request', async () => {
    const info = await initBackend('cpu');
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
  it('gives the wasm directory as an absolute path with a trailing slash', () => {
    const d = wasmDirectory();
    expect(d.startsWith('/')).toBe(true);
    expect(d.endsWith('/')).toBe(true);
  });
});

describe('optional backend loading', () => {
  it('treats every kind of require failure as unavailable, not only MODULE_NOT_FOUND', () => {
    const addonMissing = () => {
      throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: /x\nmore');
    };
    expect(tryRequire(addonMissing)).toEqual({ ok: false, error: 'The Node.js native addon module (tfjs_binding.node) can not be found at path: /x' });
    expect(
      tryRequire(() => {
        throw 'a string';
      }),
    ).toEqual({ ok: false, error: 'a string' });
    expect(tryRequire(() => ({}))).toEqual({ ok: true });
  });
});

describe('the backend sentence', () => {
  it('names the backend in use and why the faster ones are not, in one sentence', () => {
    expect(backendChoiceSentence('tensorflow', [])).toBeNull();
    const broken = backendChoiceSentence('cpu', [
      { name: 'tensorflow', reason: 'The Node.js native addon module (tfjs_binding.node) can not be found at path: /x' },
      { name: 'wasm', reason: 'failed to initialise' },
    ])!;
    expect(broken).toBe(
      'Using the plain JavaScript cpu backend because the native TensorFlow backend (@tensorflow/tfjs-node) did not load (The Node.js native addon module (tfjs_binding.node) can not be found at path: /x; reinstalling it with `npm install @tensorflow/tfjs-node` may fix that) and the wasm backend failed to initialise.',
    );
    expect(broken.match(/\. /g)).toBeNull();
  });
});
