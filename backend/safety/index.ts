/**
 * Content safety: a prompt filter (term lists over normalised text) and an image checker
 * (nsfwjs on TensorFlow.js), whose policies, term lists and thresholds are JSON files in ./data;
 * optionally Azure AI Content Safety after them (./azure).
 */
export { safetyCategories, policyLevels, levelApplies } from "./policy";
export type { SafetyCategory, PolicyLevel, SafetyVerdict } from "./policy";
export { loadPromptFilter } from "./prompt-filter";
export type { PromptFilter, PromptExplanation } from "./prompt-filter";
export { loadImageChecker } from "./image-checker";
export type { ImageChecker, ImageInput } from "./image-checker";
export { decideImage, loadImageThresholds } from "./image-policy";
export type { ImageVerdict, ImageThresholds } from "./image-policy";
export { defaultDataDir, SafetyDataError } from "./data-files";
export { createSafetyCheck, SafetyUnavailableError } from "./safety-check";
export type {
  SafetyCheck,
  SafetyDecision,
  ImageDecision,
  SafetyProvider,
  FailureMode,
} from "./safety-check";
export {
  ContentSafetyClient,
  ContentSafetyError,
  CONTENT_SAFETY_API_VERSION,
  harmCategories,
} from "./azure/content-safety-client";
export type { HarmCategory } from "./azure/content-safety-client";
export { AzureContentSafetyCheck, defaultThresholds } from "./azure/azure-check";
export type { AzurePolicy, SeverityThresholds } from "./azure/azure-check";
export { contentSafetyAuth } from "./azure/credential";
