/**
 * Public surface of the training pipeline (for the CLI, the API and the app): see README.md here.
 */
export { prepareTraining } from './setup';
export { buildRecipe, parseStages, DEFAULTS as TRAIN_DEFAULTS, type Recipe, type RecipeOptions, type StageName, type StageSpec } from './recipe';
export { train, loadRun, CHECKPOINT_FILE, type TrainOptions, type TrainResult, type RunMeta, type EpochRecord, type Position } from './trainer';
export { runTraining, exportModel, exportCheckpoint, type RunOptions, type ExportOptions } from './run';
export { evaluateMasked, type MaskedEvalResult } from './evaluate';
export { summarizeRecords, formatReport, encodeCorrectBits, decodeCorrectBits, type EvalReport } from './evalReport';
export { ddiLoss, crossEntropy, costSign, type LossConfig } from './loss';
export { SgdMomentum } from './optimizer';
export { learningRate, type ScheduleConfig } from './schedule';
export { ProgressPrinter, formatProgress, type ProgressState } from './progress';
export { modelCard, type CardEval } from './card';
