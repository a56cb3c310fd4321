// What the provenance of one generated image says, from the request and the model's defaults for
// what the request left out. The CLI and the service's worker both build it here, so a file from
// `lumen generate` and one from the API carry the same XMP and parameters text.
import type { GenerationInfo } from "./parameters";

export interface ProvenanceModel {
  name: string;
  defaults: { steps: number; guidance: number; scheduler: string };
}

export interface ProvenanceRequest {
  /** The prompt the engine ran (a style preset's words included). */
  prompt: string;
  negativePrompt?: string;
  steps?: number;
  guidance?: number;
  scheduler?: string;
}

/** One image's provenance: its own seed and its delivered size. */
export function generationInfo(
  model: ProvenanceModel,
  request: ProvenanceRequest,
  image: { seed: number; width: number; height: number },
): GenerationInfo {
  return {
    prompt: request.prompt,
    negativePrompt: request.negativePrompt ?? "",
    steps: request.steps ?? model.defaults.steps,
    sampler: request.scheduler ?? model.defaults.scheduler,
    guidance: request.guidance ?? model.defaults.guidance,
    seed: image.seed,
    width: image.width,
    height: image.height,
    model: model.name,
  };
}
