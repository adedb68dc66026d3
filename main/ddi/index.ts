/**
 * Public surface of the DDI engine. Everything other areas (training, API, CLI, app) use is
 * exported from here; see README.md in this folder for the contract and the design decisions.
 */
export * from './config';
export type { Layout, TrunkUnit, ExitUnit } from './layout';
export { buildLayout, groupSizes, keptChannelIndices } from './layout';
export type { ParamGroup, ParamSpec } from './params';
export { paramSpecs } from './params';
export {
  DdiModel,
  buildModel,
  normalizeImages,
  unitChannels,
  BN_EPSILON,
  BN_MOMENTUM,
  type ForwardTrainOptions,
  type ForwardTrainResult,
  type GateOutput,
  type GatePattern,
  type InputNormalization,
  type VariableGroups,
} from './model';
export { hardThresholdSTE } from './ste';
export {
  COST_UNITS,
  ENERGY_PRESETS,
  energyTable,
  flopsLabel,
  formatCost,
  macTable,
  summarizeCost,
  unitCost,
  unitInfos,
  type CostKind,
  type CostTable,
  type EnergyPreset,
  type UnitCost,
  type UnitInfo,
} from './cost';
export {
  listModels,
  loadModel,
  readModelFile,
  saveModel,
  saveModelValues,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ListModelsResult,
  type LoadedModel,
  type ModelFile,
  type ModelMetadata,
  type ModelSummary,
} from './io';
export { initBackend, currentBackendInfo, wasmDirectory, type BackendInfo, type BackendName } from './backend';
export type { Budget, ChannelsKept, InferenceMode, InferenceRecord } from './types';
export { INFERENCE_MODES } from './types';
export { parseBudget } from '../domain/budget';
export { DdiEngine, type EngineInferOptions, type LoadedModelInfo } from './engine';
export { DdiController, argmaxSoftmax, type CostTables, type RunOptions } from './infer';
export { HostGates } from './gates';
export { TfjsRuntime, SUBSET_THRESHOLD } from './runtime/tfjs';
export type { ExecPlan, UnitRuntime } from './runtime/types';
export { profileLatency } from './profile';
export { derivedTablesDir, loadDerivedTable, saveDerivedTable } from './derived-tables';
export { loadPngImage, datasetImages } from './images';
export { EngineWorkerHost, defaultWorkerPath } from './worker/host';
export type { InferParams, WorkerMethods } from './worker/protocol';
