/**
 * A faster Conv2DBackpropInput for stride-1 convolutions, composed from the backend's own Reverse,
 * Transpose and Conv2D.
 *
 * Why: on wasm 4.22.0 the stock input gradient is not on the XNNPACK path and costs ~10x a forward
 * conv (measured for a 3×3, 16→16 conv on a 64×28×28×16 input: 69 ms vs 5–7 ms forward, 2-core
 * x86-64, Node 20, tfjs 4.22.0); in a ResNet training step it was the
 * largest single cost (measured, docs/benchmarks.md). For stride 1 the input gradient is the
 * "full" correlation of dy with the filter rotated 180° and its channel axes swapped:
 *
 *   dx[n,h,w,ci] = sum_{m,k,co} dyPad[n, h+m, w+k, co] * W[KH-1-m, KW-1-k, ci, co]
 *
 * with dy padded by KH-1-pt on top and enough at the bottom to give H rows (likewise for width).
 * For stride s > 1, dy is first dilated (s−1 zeros after every row and column, with two rank-3
 * pads and free reshapes), which turns the strided case into the same stride-1 correlation.
 */
import {
  backend_util,
  Conv2D,
  Conv2DBackpropInput,
  getKernel,
  registerKernel,
  PadV2,
  Reshape,
  Reverse,
  Slice,
  Transpose,
  unregisterKernel,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { callBackendKernel, type Backend, type ConvGradAttrs } from './call-kernel';

interface InputGradAttrs extends ConvGradAttrs {
  inputShape: [number, number, number, number];
}

function call(name: string, backendName: string, backend: Backend, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>): TensorInfo {
  return callBackendKernel(name, backendName, backend, inputs, attrs, 'composed input gradient');
}

type Composed = KernelConfig & { composed?: boolean };

/** How often each path ran (lets the tests check that the composed path is really taken). */
export const inputGradPathCounts = { composed: 0, fallback: 0 };
const stock = new Map<string, KernelConfig>();

export function composedInputGradKernel(backendName: string, fallback: KernelConfig | undefined): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as InputGradAttrs;
    const info = backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode);
    const [kh, kw] = [info.filterHeight, info.filterWidth];
    const [sh, sw] = [info.strideHeight, info.strideWidth];
    const [n, ho, wo, co] = dy.shape as [number, number, number, number];
    // Rows/columns of the dilated dy: every input row i lands at i*s, followed by s-1 zeros.
    const dh = ho * sh;
    const dw = wo * sw;
    // dx[h] = sum_m dyd[h + m - P] * Wflip[m] with P = KH-1-pt. Rows of dyd that fall outside the
    // window (P < 0 at the top, surplus at the bottom) only feed gradient into the padding, so
    // they are sliced off; missing rows are zero padding.
    const rawTop = kh - 1 - info.padInfo.top;
    const rawLeft = kw - 1 - info.padInfo.left;
    const startH = Math.max(0, -rawTop);
    const startW = Math.max(0, -rawLeft);
    const padTop = Math.max(0, rawTop);
    const padLeft = Math.max(0, rawLeft);
    const rawBottom = info.inHeight + kh - 1 - (dh - startH) - padTop;
    const rawRight = info.inWidth + kw - 1 - (dw - startW) - padLeft;
    const cutH = Math.max(0, -rawBottom);
    const cutW = Math.max(0, -rawRight);
    const padBottom = Math.max(0, rawBottom);
    const padRight = Math.max(0, rawRight);
    if (a.dataFormat === 'NCHW') {
      if (!fallback) throw new Error(`No stock Conv2DBackpropInput on ${backendName} for NCHW data.`);
      inputGradPathCounts.fallback++;
      return fallback.kernelFunc(args);
    }
    inputGradPathCounts.composed++;
    const temps: TensorInfo[] = [];
    const keep = (t: TensorInfo) => (temps.push(t), t);
    const reshape = (x: TensorInfo, shape: number[]) => keep(call(Reshape, backendName, backend, { x }, { shape }));
    try {
      let d: TensorInfo = dy;
      if (sh > 1 || sw > 1) {
        // Zero-insert along H: [n*ho, 1, wo*co] -> pad -> [n*ho, sh, wo*co] -> [n, dh, wo, co].
        let t = reshape(dy, [n * ho, 1, wo * co]);
        t = keep(
          call(
            PadV2,
            backendName,
            backend,
            { x: t },
            {
              paddings: [
                [0, 0],
                [0, sh - 1],
                [0, 0],
              ],
              constantValue: 0,
            },
          ),
        );
        // Then along W: [n*dh*wo, 1, co] -> pad -> [n*dh*wo, sw, co] -> [n, dh, dw, co].
        t = reshape(t, [n * dh * wo, 1, co]);
        t = keep(
          call(
            PadV2,
            backendName,
            backend,
            { x: t },
            {
              paddings: [
                [0, 0],
                [0, sw - 1],
                [0, 0],
              ],
              constantValue: 0,
            },
          ),
        );
        d = reshape(t, [n, dh, dw, co]);
      }
      if (startH > 0 || startW > 0 || cutH > 0 || cutW > 0) {
        const size = [n, dh - startH - cutH, dw - startW - cutW, co];
        d = keep(call(Slice, backendName, backend, { x: d }, { begin: [0, startH, startW, 0], size }));
      }
      const rev = call(Reverse, backendName, backend, { x: filter }, { dims: [0, 1] });
      temps.push(rev);
      const flipped = call(Transpose, backendName, backend, { x: rev }, { perm: [0, 1, 3, 2] });
      temps.push(flipped);
      return call(
        Conv2D,
        backendName,
        backend,
        { x: d, filter: flipped },
        {
          strides: [1, 1],
          pad: [
            [0, 0],
            [padTop, padBottom],
            [padLeft, padRight],
            [0, 0],
          ],
          dataFormat: 'NHWC',
          dilations: [1, 1],
          dimRoundingMode: undefined,
        },
      );
    } finally {
      for (const t of temps) (backend as KernelBackend).disposeData(t.dataId);
    }
  };
}

/** Replaces Conv2DBackpropInput on the named backends (stock kept as fallback and for uninstall). Idempotent. */
export function installComposedInputGrad(backendNames: readonly string[] = ['wasm']): void {
  for (const name of backendNames) {
    const existing = getKernel(Conv2DBackpropInput, name) as Composed | undefined;
    if (existing?.composed === true) continue;
    if (existing) {
      stock.set(name, existing);
      unregisterKernel(Conv2DBackpropInput, name);
    }
    // Keep the stock setupFunc: wasm runs it when the backend initialises, and the fallback
    // path needs the C++ function it binds.
    const config: Composed = {
      kernelName: Conv2DBackpropInput,
      backendName: name,
      kernelFunc: composedInputGradKernel(name, existing),
      setupFunc: existing?.setupFunc,
      composed: true,
    };
    registerKernel(config);
  }
}

export function uninstallComposedInputGrad(backendNames: readonly string[] = ['wasm']): void {
  for (const name of backendNames) {
    const existing = getKernel(Conv2DBackpropInput, name) as Composed | undefined;
    if (existing?.composed !== true) continue;
    unregisterKernel(Conv2DBackpropInput, name);
    const s = stock.get(name);
    if (s) registerKernel(s);
  }
}
