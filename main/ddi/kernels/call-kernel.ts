import { getKernel, type backend_util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

export type Backend = Parameters<KernelFunc>[0]['backend'];

/** Attributes both conv gradient kernels receive (tfjs-core's Conv2DBackprop{Filter,Input}Attrs). */
export interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Runs one of the backend's own registered kernels directly (composed gradient kernels are built
 * from them), returning its single output. `purpose` names the composed kernel in the error.
 */
export function callBackendKernel(
  name: string,
  backendName: string,
  backend: Backend,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown>,
  purpose: string,
): TensorInfo {
  const kernel = getKernel(name, backendName);
  if (kernel === undefined) throw new Error(`Backend ${backendName} lacks the ${name} kernel the ${purpose} needs.`);
  const out = kernel.kernelFunc({ inputs, backend, attrs: attrs as never });
  return Array.isArray(out) ? (out[0] as TensorInfo) : out;
}
