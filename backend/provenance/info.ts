// What the provenance of one generated image says, from the request as the engine resolved it
// (the model's defaults filled in once, by resolveRequest). The CLI and the service's worker both
// build it here, so a file from `lumen generate` and one from the API carry the same XMP and
// parameters text.
import type { GenerationInfo } from "./parameters";

export interface ProvenanceModel {
  name: string;
}

export interface ProvenanceRequest {
  /** The prompt the engine ran (a style preset's words included). */
  prompt: string;
  negativePrompt?: string;
  steps: number;
  guidance: number;
  scheduler: string;
}

/** One image's provenance: its own seed and its delivered size. */
export function generationInfo(
  model: ProvenanceModel,
  request: ProvenanceRequest,
  image: { seed: number; width: number; height: number }
): GenerationInfo {
  return {
    prompt: request.prompt,
    negativePrompt: request.negativePrompt ?? "",
    steps: request.steps,
    sampler: request.scheduler,
    guidance: request.guidance,
    seed: image.seed,
    width: image.width,
    height: image.height,
    model: model.name,
  };
}
