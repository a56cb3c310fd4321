// What differs between model families (SD 1.x/2.x, SDXL, later flow-matching ones), behind one
// interface. The loader and the denoising loop call only these; one file per family says how it
// is recognised, which components it opens, how it encodes prompts, what its denoiser takes
// and how its latents become pixels.
import type * as ort from "onnxruntime-node";
import type { LoadedModel } from "../model";
import type { RgbImage } from "../pipelines/preview";
import type { Timings } from "../timings";
import type { PromptTokenizer } from "../tokenizer";

/** model_index.json: the pipeline's class and its components. */
export interface ModelIndex {
  _class_name?: string;
  [key: string]: unknown;
}

/** One prompt's part of a denoiser input: a single row, `dims` without the batch axis. */
export interface Row {
  data: Float32Array;
  dims: number[];
}

/** One prompt's conditioning: the denoiser inputs that come from text, by input name. */
export type Conditioning = Record<string, Row>;

/** Linear latent → RGB (0..1) map for step previews: `weights[channel][rgb]`. */
export interface LatentRgb {
  weights: number[][];
  bias: number[];
}

export interface TextEncoder {
  session: ort.InferenceSession;
  tokenizer: PromptTokenizer;
  idsType: "int32" | "int64";
  /** The output whose hidden states condition the denoiser. */
  hiddenOutput: string;
  /** Pooled output (SDXL's second encoder), if the family uses one. */
  pooledOutput?: string;
}

/** What the shared loader hands a family while it opens a folder. */
export interface LoadContext {
  dir: string;
  index: ModelIndex;
  /** Opens `<component>/model.onnx` on the provider the denoiser got; a failure names the component. */
  open(component: string): Promise<ort.InferenceSession>;
}

export interface FamilyDefaults {
  steps: number;
  guidance: number;
  width: number;
  height: number;
}

export interface ModelFamily {
  /** Shown by `lumen models` and GET /api/models as the model's kind. */
  readonly name: string;
  /** model_index.json `_class_name`s that mean this family, as exporters write them. */
  readonly pipelineClasses: readonly string[];
  /** Component folders holding a `model.onnx`, checked before any is opened; the denoiser first. */
  readonly components: readonly string[];
  /** Tokenizer folders (tokenizer.json, or vocab.json + merges.txt). */
  readonly tokenizers: readonly string[];
  /** The denoiser's (UNet's) input names, exactly. */
  readonly denoiserInputs: readonly string[];
  /** Requested widths and heights must be multiples of this many pixels. */
  readonly requestMultiple: number;
  /** VAE latent scaling when `vae_decoder/config.json` gives none. */
  readonly vaeScalingFactor: number;
  /** Preview colours when lumen.json gives none. */
  readonly latentRgb: LatentRgb;
  /** Settings for a plain checkpoint, or for a few-step distilled one (SD-Turbo style). */
  defaults(fewStep: boolean): FamilyDefaults;
  /** Opens and checks the text encoders and their tokenizers, in the order `encodePrompt` uses them. */
  openEncoders(ctx: LoadContext): Promise<TextEncoder[]>;
  encodePrompt(model: LoadedModel, text: string, timings: Timings): Promise<Conditioning>;
  /** The unconditional rows for classifier-free guidance; `positive` is the prompt's own. */
  negativeConditioning(
    model: LoadedModel,
    text: string,
    positive: Conditioning,
    timings: Timings
  ): Promise<Conditioning>;
  /** Every denoiser input except `sample` and `timestep`, for these rows at this image size. */
  denoiserFeeds(
    model: LoadedModel,
    rows: Conditioning[],
    width: number,
    height: number
  ): Record<string, ort.Tensor>;
  /** One image's final latents ([C, h, w], as the loop leaves them) → 8-bit RGB. */
  decode(
    model: LoadedModel,
    latents: Float32Array,
    h: number,
    w: number,
    timings: Timings
  ): Promise<RgbImage>;
}
