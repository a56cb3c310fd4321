/**
 * Content safety: a prompt filter (term lists over normalised text) and an image checker
 * (nsfwjs on TensorFlow.js). Policies, term lists and thresholds are JSON files in ./data.
 */
export { safetyCategories, policyLevels, levelApplies } from "./policy";
export type { SafetyCategory, PolicyLevel, SafetyVerdict } from "./policy";
export { loadPromptFilter } from "./prompt-filter";
export type { PromptFilter } from "./prompt-filter";
export { loadImageChecker } from "./image-checker";
export type { ImageChecker, ImageInput } from "./image-checker";
export { decideImage, loadImageThresholds } from "./image-policy";
export type { ImageVerdict, ImageThresholds } from "./image-policy";
export { defaultDataDir, SafetyDataError } from "./data-files";
