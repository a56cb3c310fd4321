// The engine's public surface. It knows nothing of HTTP: the CLI, the job workers and the
// benchmarks all drive it through these functions.
export { decoderChoices, hasTinyDecoder, type DecoderChoice } from "./decoder";
export { CancelledError, ModelError, RequestError } from "./errors";
export {
  decodePicture,
  encodeImage,
  formatFromPath,
  imageFormats,
  MAX_PICTURE_SIDE,
  pictureFormats,
  type ImageFormat,
  type PictureFormat,
} from "./image";
export { families, familyOf, type ModelFamily } from "./families";
export { loadModel, type LoadedModel, type ModelDefaults } from "./model";
export {
  batchKey,
  generate,
  generateBatch,
  type BatchItem,
  type BatchResult,
  generationSize,
  resolveRequest,
  stepsToRun,
  DEFAULT_STRENGTH,
  type ResolvedRequest,
  type GenerateOptions,
  type GenerateRequest,
  type GenerateResult,
  type StepInfo,
} from "./pipelines/text-to-image";
export type { RgbImage } from "./pipelines/preview";
export { devices, type Device } from "./providers";
export { randomSeed } from "./rng";
export { schedulerNames, type SchedulerName } from "./schedulers";
export { Timings } from "./timings";
export { ModelPool } from "./pool";
export { unknownWordsNotice } from "./vocabulary";
export {
  DEFAULT_MODEL,
  listModels,
  modelsDir,
  resolveModelDir,
  type ModelSummary,
} from "./registry";
