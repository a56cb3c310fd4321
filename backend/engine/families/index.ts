// The model families the engine runs, and how a folder's model_index.json picks one. A new
// family (say, a flow-matching transformer) is one more file and one more entry here.
import { ModelError } from "../errors";
import type { SchedulerConfig } from "../schedulers";
import { sd } from "./sd";
import { sdxl } from "./sdxl";
import type { ModelFamily, ModelIndex } from "./types";

export type {
  Conditioning,
  FamilyDefaults,
  LatentRgb,
  LoadContext,
  ModelFamily,
  ModelIndex,
  Row,
  TextEncoder,
} from "./types";
export { sd, sdxl };

export const families: readonly ModelFamily[] = [sd, sdxl];

/** The family whose pipeline class model_index.json names, if Lumen runs it. */
export function familyOf(index: ModelIndex): ModelFamily | undefined {
  const name = index._class_name;
  return typeof name === "string"
    ? families.find((f) => f.pipelineClasses.includes(name))
    : undefined;
}

export function recogniseFamily(index: ModelIndex): ModelFamily {
  const family = familyOf(index);
  if (family) return family;
  const known = families.flatMap((f) => f.pipelineClasses).join(", ");
  throw new ModelError(
    `model_index.json: _class_name ${JSON.stringify(index._class_name ?? null)} is not a pipeline Lumen runs (known: ${known})`
  );
}

/**
 * Whether a checkpoint is distilled to run in one to four steps without guidance. SD-Turbo and
 * SDXL-Turbo ship their scheduler with "trailing" timestep spacing, so that a single step starts
 * from pure noise at t = 999; the base models they come from ship "leading" (or no spacing,
 * which means leading). Zero-terminal-SNR checkpoints also use trailing, for many steps, and say
 * so with rescale_betas_zero_snr.
 */
export function isFewStepDistilled(config: Partial<SchedulerConfig>): boolean {
  return config.timestep_spacing === "trailing" && config.rescale_betas_zero_snr !== true;
}
