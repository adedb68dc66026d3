import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../main/ddi/backend';
import { WasmPooler, globalAvgPoolNhwc, wasmFloatView, wasmHeapAccess } from '../../../main/ddi/runtime/host-pool';
import { GAP_MODULE } from '../../../main/ddi/runtime/wasm-pool-kernel';
import { TfjsRuntime } from '../../../main/ddi/runtime/tfjs';
import { buildModel } from '../../../main/ddi/model';
import { tinyResnet, randomImages } from './fixtures';

describe('host pooling from the wasm heap (gate input)', () => {
  it('views a wasm tensor in place and pools it like tf.mean, odd sizes included', async () => {
    await initBackend('wasm');
    const heap = wasmHeapAccess();
    expect(heap).not.toBeNull();
    // 5×7 positions and 5 channels: exercises the 4-way unrolled sum and its remainder loop.
    const x = tf.randomNormal([3, 5, 7, 5], 0, 1, 'float32', 3) as tf.Tensor4D;
    const view = wasmFloatView(heap!, x)!;
    expect(Array.from(view)).toEqual(Array.from(x.dataSync()));
    const ref = tf.mean(x, [1, 2]).dataSync();
    const got = globalAvgPoolNhwc(view, 3, 35, 5);
    expect(got.length).toBe(15);
    for (let i = 0; i < 15; i++) expect(got[i]).toBeCloseTo(ref[i]!, 6);
    const ints = tf.tensor1d([1, 2, 3], 'int32');
    expect(wasmFloatView(heap!, ints)).toBeNull();
    tf.dispose([x, ints]);
  });

  it('pools with the SIMD kernel on tfjs-wasm memory when the channels come in fours, else in JS', async () => {
    await initBackend('wasm');
    expect(WebAssembly.validate(GAP_MODULE)).toBe(true);
    const pooler = new WasmPooler(wasmHeapAccess()!);
    expect(pooler.usesSimdKernel).toBe(true);
    for (const [n, h, w, c] of [
      [1, 28, 28, 16],
      [3, 7, 5, 64],
      [2, 3, 3, 6],
    ] as const) {
      const x = tf.randomNormal([n, h, w, c], 0.5, 1, 'float32', 11) as tf.Tensor4D;
      const ref = tf.mean(x, [1, 2]).dataSync();
      const got = pooler.pool(x)!;
      expect(got.length).toBe(n * c);
      for (let i = 0; i < n * c; i++) expect(got[i]).toBeCloseTo(ref[i]!, 5);
      x.dispose();
    }
    // A larger batch after a smaller one reallocates the output buffer: results stay right.
    const big = tf.randomNormal([8, 4, 4, 8], 0, 1, 'float32', 12) as tf.Tensor4D;
    const refBig = tf.mean(big, [1, 2]).dataSync();
    const gotBig = pooler.pool(big)!;
    for (let i = 0; i < refBig.length; i++) expect(gotBig[i]).toBeCloseTo(refBig[i]!, 5);
    big.dispose();
    pooler.dispose();
  });

  it('is what the wasm runtime reads for the gates, and the cpu backend falls back to tfjs', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await initBackend(backend);
      expect(wasmHeapAccess() === null).toBe(backend === 'cpu');
      const model = buildModel(tinyResnet(), 1);
      const rt = new TfjsRuntime(model);
      const cfg = model.config.input;
      const x = rt.input(randomImages(2, cfg.height, cfg.width, cfg.channels), 2);
      const y = rt.trunk(0, x, { rows: [0, 1], channels: null }); // the stem: a real activation
      const ref = tf.mean(y, [1, 2]).dataSync();
      const got = rt.pool(y);
      expect(got.length).toBe(ref.length);
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(ref[i]!, 5);
      rt.release(x);
      rt.release(y);
      rt.dispose();
      model.dispose();
    }
    await initBackend('wasm');
  });

  it('exit heads and the classifier pooled in place and finished on the host match the tfjs path', async () => {
    const model = buildModel(tinyResnet(), 3);
    const cfg = model.config.input;
    const imgs = randomImages(3, cfg.height, cfg.width, cfg.channels);
    const logitsOn = async (backend: 'wasm' | 'cpu') => {
      await initBackend(backend);
      const rt = new TfjsRuntime(model);
      let x = rt.input(imgs, 3);
      const out: Float32Array[] = [];
      for (let ti = 0; ti < model.layout.trunk.length; ti++) {
        const y = rt.trunk(ti, x, { rows: [0, 1, 2], channels: null });
        if (y !== x) rt.release(x);
        x = y;
        for (const e of model.layout.exits) if (e.afterTrunk === ti) out.push(rt.head(e.index, x, [0, 2]));
      }
      out.push(rt.head(-1, x, [0, 1, 2]), rt.head(-1, x, [1]));
      rt.release(x);
      rt.dispose();
      return out;
    };
    const wasm = await logitsOn('wasm');
    const cpu = await logitsOn('cpu');
    expect(wasm.length).toBe(model.layout.exits.length + 2);
    wasm.forEach((l, i) => {
      expect(l.length).toBe(cpu[i]!.length);
      for (let j = 0; j < l.length; j++) expect(Math.abs(l[j]! - cpu[i]![j]!)).toBeLessThan(1e-4);
    });
    model.dispose();
    await initBackend('wasm');
  });
});
