// Models from the Hugging Face Hub: `lumen models pull` and `lumen models rm`. The engine does not
// import this folder; it only reads what ends up in models/.
export { PullError } from "./errors";
export { removeModel, SOURCE_FILE, type ModelSource } from "./install";
export {
  defaultCacheDir,
  hubEndpoint,
  pullModel,
  type PullEvent,
  type PullOptions,
  type PullResult,
} from "./pull";
