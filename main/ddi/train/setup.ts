/**
 * Everything tfjs needs before a training step can run fast on wasm/cpu without tfjs-node:
 * gradient definitions, the composed filter-gradient kernel (missing on wasm, slow on cpu), the
 * composed stride-1 input gradient (wasm), and the tile-free BatchNorm gradient.
 */
import { installFastBatchNormGrad } from '../kernels/batchNormGrad';
import { installComposedFilterGrad } from '../kernels/conv2dBackpropFilter';
import { installComposedInputGrad } from '../kernels/conv2dBackpropInput';
import { registerAllGradients } from './gradients';

export function prepareTraining(): void {
  registerAllGradients();
  installComposedFilterGrad(['wasm', 'cpu']);
  // cpu's stock input gradient already costs about a forward conv (measured: 125 ms vs 150–160 ms), so only wasm.
  installComposedInputGrad(['wasm']);
  installFastBatchNormGrad();
}
