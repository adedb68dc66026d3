import { getKernel, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

export type Backend = Parameters<KernelFunc>[0]['backend'];

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
