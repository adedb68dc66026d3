/** ONNX export of the static network and the optional onnxruntime-node loader; see README.md here. */
export {
  exportOnnx,
  exportOnnxPart,
  nhwcToNchw,
  samePads,
  ONNX_IR_VERSION,
  ONNX_KEPT_INPUTS,
  ONNX_OPSET,
  ONNX_PRODUCER,
  type OnnxExport,
  type OnnxExportOptions,
  type OnnxHead,
  type OnnxPart,
  type OnnxPartExport,
  type OnnxValueInfo,
} from './export';
export { loadOnnxRuntime, runFloat, type OrtLoad, type OrtModule, type OrtSession, type OrtSessionOptions, type OrtTensor } from './ort';
export { ProtoWriter, float32LE } from './protobuf';
export { bnScaleShift, foldConv } from '../fold';
