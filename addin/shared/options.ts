// What a person chooses before generating, within what the organisation's policy allows, and how
// it becomes an API request.
import { aspects, styles, type GenerationRequest, type Policy } from "../../contract";

export type Aspect = (typeof aspects)[number];
export type Style = (typeof styles)[number];

export interface GenerationOptions {
  prompt: string;
  aspect: Aspect;
  style: Style;
  count: number;
  /** Empty means a random seed. */
  seed: string;
  /** Empty means the model's default. */
  steps: string;
  negativePrompt: string;
  /** Empty means the server's default model. */
  model: string;
  /** A picture to start from (image-to-image); sent only to a model that can encode pictures. */
  picture?: StartPicture;
  /** With a picture: how far to go from it, 0.05 to 1. */
  strength: number;
}

/** A starting picture as the page holds it: a data: URL and a name to show. */
export interface StartPicture {
  dataUrl: string;
  name: string;
}

// As the server and diffusers default it.
export const DEFAULT_STRENGTH = 0.8;

export const ASPECTS: { value: Aspect; label: string; description: string; ratio: number }[] = [
  { value: "square", label: "Square", description: "Square, 1:1", ratio: 1 },
  { value: "wide", label: "16:9", description: "Wide, 16:9, fills a slide", ratio: 16 / 9 },
  { value: "landscape", label: "4:3", description: "Landscape, 4:3", ratio: 4 / 3 },
  { value: "portrait", label: "Portrait", description: "Portrait, 3:4", ratio: 3 / 4 },
];

/** Labels for the server's style presets; their prompt suffixes live on the server. */
export const STYLE_LABELS: Record<Style, string> = {
  none: "No style",
  photo: "Photo",
  cinematic: "Cinematic",
  illustration: "Illustration",
};

export const STYLE_OPTIONS = styles.map((value) => ({ value, label: STYLE_LABELS[value] }));

export const MAX_SEED = 2 ** 32 - 1;

export function defaultOptions(overrides: Partial<GenerationOptions> = {}): GenerationOptions {
  return {
    prompt: "",
    aspect: "square",
    style: "none",
    count: 2,
    seed: "",
    steps: "",
    negativePrompt: "",
    model: "",
    strength: DEFAULT_STRENGTH,
    ...overrides,
  };
}

/** What the policy lets a person choose. */
export interface Choices {
  counts: number[];
  aspects: typeof ASPECTS;
  styles: typeof STYLE_OPTIONS;
  /** Empty unless there is a choice to make (more than one allowed model). */
  models: string[];
  defaultModel: string;
}

export function choicesFor(policy: Policy): Choices {
  // The server sizes every aspect within the policy's maxSize, so each allowed aspect fits.
  const allowedAspects = ASPECTS.filter((a) => policy.aspects.includes(a.value));
  const allowedStyles = STYLE_OPTIONS.filter((s) => policy.styles.includes(s.value));
  return {
    counts: Array.from({ length: Math.max(1, policy.maxImagesPerRequest) }, (_, i) => i + 1),
    aspects: allowedAspects.length ? allowedAspects : ASPECTS.slice(0, 1),
    styles: allowedStyles.length ? allowedStyles : STYLE_OPTIONS.slice(0, 1),
    models: policy.models.length > 1 ? policy.models : [],
    defaultModel: policy.defaultModel,
  };
}

/** The options brought within the choices (a policy read after they were set may allow less). */
export function withinChoices(options: GenerationOptions, choices: Choices): GenerationOptions {
  const max = choices.counts[choices.counts.length - 1];
  return {
    ...options,
    count: Math.min(Math.max(1, options.count), max),
    aspect: choices.aspects.some((a) => a.value === options.aspect)
      ? options.aspect
      : choices.aspects[0].value,
    style: choices.styles.some((s) => s.value === options.style)
      ? options.style
      : choices.styles[0].value,
    model: choices.models.includes(options.model) ? options.model : "",
  };
}

/** Problems with the advanced fields, by field, in words for the field's validation message. */
export function validateOptions(
  options: GenerationOptions
): Partial<Record<"prompt" | "seed" | "steps", string>> {
  const errors: Partial<Record<"prompt" | "seed" | "steps", string>> = {};
  if (!options.prompt.trim()) errors.prompt = "Describe the image you want.";
  const seed = options.seed.trim();
  if (seed && !(/^\d+$/.test(seed) && Number(seed) <= MAX_SEED))
    errors.seed = `A whole number from 0 to ${MAX_SEED}.`;
  const steps = options.steps.trim();
  if (steps && !(/^\d+$/.test(steps) && Number(steps) >= 1 && Number(steps) <= 50))
    errors.steps = "A whole number from 1 to 50.";
  return errors;
}

export function toRequest(options: GenerationOptions): GenerationRequest {
  const request: GenerationRequest = {
    prompt: options.prompt.trim(),
    aspect: options.aspect,
    style: options.style,
    n: options.count,
  };
  if (options.seed.trim()) request.seed = Number(options.seed);
  if (options.steps.trim()) request.steps = Number(options.steps);
  if (options.negativePrompt.trim()) request.negativePrompt = options.negativePrompt.trim();
  if (options.model) request.model = options.model;
  if (options.picture) {
    request.image = options.picture.dataUrl;
    request.strength = options.strength;
  }
  return request;
}

/** The allowed aspect closest to a picture's, so a starting picture is cropped as little as possible. */
export function nearestAspect(width: number, height: number, choices: Choices): Aspect {
  const ratio = Math.log(width / height);
  return choices.aspects.reduce((best, a) =>
    Math.abs(Math.log(a.ratio) - ratio) < Math.abs(Math.log(best.ratio) - ratio) ? a : best
  ).value;
}

/** Alt text for an inserted image: what it shows, and that it was generated. */
export function altTextFor(prompt: string): string {
  return `AI-generated image: ${prompt.trim()}`;
}
