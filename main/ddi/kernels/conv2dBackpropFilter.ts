/**
 * A Conv2DBackpropFilter kernel composed from the backend's own Transpose, Conv2D and Slice.
 *
 * Why: tfjs-backend-wasm 4.22.0 has no Conv2DBackpropFilter (tfjs#8474), so convolutions cannot be
 * trained on wasm at all, and the stock cpu kernel is a scalar loop about 100x slower than a conv.
 * The filter gradient is itself a convolution in which the batch axis is the summed channel:
 *
 *   dW[kh,kw,ci,co] = sum_{n,i,j} x[n, i*s + kh - pt, j*s + kw - pl, ci] * dy[n,i,j,co]
 *
 * i.e. x' = x^T [Ci,H,W,N] convolved at stride 1 and dilation s with f' = dy^T [Ho,Wo,N,Co],
 * padded [pt, pb'] x [pl, pr'], then sliced to KHxKW and transposed back to [KH,KW,Ci,Co].
 * Read with (i, j) as the filter's taps and (kh, kw) as the output position, the sum visits x' rows
 * i*s + kh: taps s apart (dilation s), outputs one row apart (stride 1). Exact up to float summation order.
 * pt/pl are TensorFlow's `same` padding (odd pixel at the bottom/right) or 0 for `valid`.
 */
import {
  backend_util,
  Conv2D,
  Conv2DBackpropFilter,
  getKernel,
  registerKernel,
  Slice,
  Transpose,
  unregisterKernel,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { callBackendKernel, type Backend, type ConvGradAttrs } from './call-kernel';

interface FilterGradAttrs extends ConvGradAttrs {
  filterShape: [number, number, number, number];
}

function callKernel(name: string, backendName: string, backend: Backend, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>): TensorInfo {
  return callBackendKernel(name, backendName, backend, inputs, attrs, 'composed filter gradient');
}

/** Builds the kernel function for one backend (it calls that backend's own kernels). */
export function composedFilterGradKernel(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as FilterGradAttrs;
    if (dataFormat === 'NCHW') {
      throw new Error('The composed Conv2DBackpropFilter supports NHWC only.');
    }
    const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
    const [kh, kw] = [info.filterHeight, info.filterWidth];
    const [sh, sw] = [info.strideHeight, info.strideWidth];
    const [h, w] = [info.inHeight, info.inWidth];
    const [ho, wo] = [info.outHeight, info.outWidth];
    const pt = info.padInfo.top;
    const pl = info.padInfo.left;
    // Bottom/right padding chosen so the output is exactly KH x KW; when the real window never
    // reaches the last rows (negative value), pad nothing and slice the surplus off instead.
    const pb = Math.max(0, kh + (ho - 1) * sh - h - pt);
    const pr = Math.max(0, kw + (wo - 1) * sw - w - pl);

    const temps: TensorInfo[] = [];
    const keep = (t: TensorInfo): TensorInfo => (temps.push(t), t);
    try {
      const xT = keep(callKernel(Transpose, backendName, backend, { x }, { perm: [3, 1, 2, 0] }));
      const dyT = keep(callKernel(Transpose, backendName, backend, { x: dy }, { perm: [1, 2, 0, 3] }));
      let g = keep(
        callKernel(
          Conv2D,
          backendName,
          backend,
          { x: xT, filter: dyT },
          {
            strides: [1, 1],
            pad: [
              [0, 0],
              [pt, pb],
              [pl, pr],
              [0, 0],
            ],
            dataFormat: 'NHWC',
            dilations: [sh, sw],
            dimRoundingMode: undefined,
          },
        ),
      );
      if (g.shape[1] !== kh || g.shape[2] !== kw) {
        g = keep(callKernel(Slice, backendName, backend, { x: g }, { begin: [0, 0, 0, 0], size: [-1, kh, kw, -1] }));
      }
      const out = callKernel(Transpose, backendName, backend, { x: g }, { perm: [1, 2, 0, 3] });
      return out;
    } finally {
      for (const t of temps) (backend as KernelBackend).disposeData(t.dataId);
    }
  };
}

const stockKernels = new Map<string, KernelConfig>();

/**
 * Registers the composed kernel for each named backend, replacing a stock one if present (kept
 * so `uninstallComposedFilterGrad` can restore it). Idempotent.
 */
export function installComposedFilterGrad(backendNames: readonly string[] = ['wasm', 'cpu']): void {
  for (const name of backendNames) {
    const existing = getKernel(Conv2DBackpropFilter, name);
    if (existing !== undefined) {
      if ((existing as KernelConfig & { composed?: boolean }).composed === true) continue;
      stockKernels.set(name, existing);
      unregisterKernel(Conv2DBackpropFilter, name);
    }
    const config: KernelConfig & { composed: boolean } = {
      kernelName: Conv2DBackpropFilter,
      backendName: name,
      kernelFunc: composedFilterGradKernel(name),
      composed: true,
    };
    registerKernel(config);
  }
}

/** Restores the stock kernels replaced by `installComposedFilterGrad` (used by the reference test). */
export function uninstallComposedFilterGrad(backendNames: readonly string[] = ['wasm', 'cpu']): void {
  for (const name of backendNames) {
    const existing = getKernel(Conv2DBackpropFilter, name) as (KernelConfig & { composed?: boolean }) | undefined;
    if (existing?.composed !== true) continue;
    unregisterKernel(Conv2DBackpropFilter, name);
    const stock = stockKernels.get(name);
    if (stock !== undefined) registerKernel(stock);
  }
}

export function isComposedFilterGradInstalled(backendName: string): boolean {
  const k = getKernel(Conv2DBackpropFilter, backendName) as (KernelConfig & { composed?: boolean }) | undefined;
  return k?.composed === true;
}
