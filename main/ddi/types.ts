/** Inference-side types shared by the engine, the worker protocol, the CLI and the API. */
// The definitions live in the domain module, shared with the renderer and the contract.
export { INFERENCE_MODES, type InferenceMode } from '../domain/modes';
export type { Budget } from '../domain/budget';
export type { ChannelsKept, InferenceRecord } from '../domain/inference-record';
