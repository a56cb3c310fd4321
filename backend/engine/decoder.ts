// Which decoder turns a model's latents into pixels: its full VAE decoder (`vae_decoder/`) or,
// when the folder carries one, a tiny autoencoder's decoder in TAESD's layout (`taesd_decoder/`).
// The tiny one (diffusers' AutoencoderTiny, about 1.2 M parameters) decodes a 512² image for a
// few percent of the full decoder's cost, with softer detail; on a CPU the full decoder can cost
// more than a one-step UNet. `auto` takes the tiny decoder when it is there.
//
// `taesd_decoder/` holds what the `vae_decoder/` folder of an ONNX export of TAESD holds (as
// optimum exports AutoencoderTiny.decode: `latent_sample` in, `sample` in −1..1 out, and its
// config.json with `scaling_factor` 1.0: TAESD takes the UNet's latents as they are).
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelError } from "./errors";

export const decoderChoices = ["auto", "full", "tiny"] as const;
export type DecoderChoice = (typeof decoderChoices)[number];

export type DecoderComponent = "vae_decoder" | "taesd_decoder";

export const TINY_DECODER: DecoderComponent = "taesd_decoder";

export function hasTinyDecoder(dir: string): boolean {
  return existsSync(join(dir, TINY_DECODER, "model.onnx"));
}

/** The component to open for a folder and a choice; asking for a tiny decoder it lacks is an error. */
export function chooseDecoder(dir: string, choice: DecoderChoice = "auto"): DecoderComponent {
  if (choice === "full") return "vae_decoder";
  if (hasTinyDecoder(dir)) return TINY_DECODER;
  if (choice === "tiny") {
    throw new ModelError(
      `${TINY_DECODER}: ${join(dir, TINY_DECODER, "model.onnx")} is missing (decoder "tiny" needs a TAESD decoder in the model folder)`
    );
  }
  return "vae_decoder";
}

/**
 * The factor latents are divided by before decoding: the decoder's config.json `scaling_factor`;
 * without one, the family's for the full VAE and 1 for a tiny decoder.
 */
export async function decoderScalingFactor(
  dir: string,
  component: DecoderComponent | "vae_encoder",
  familyFactor: number
): Promise<number> {
  const path = join(dir, component, "config.json");
  const fallback = component === TINY_DECODER ? 1 : familyFactor;
  if (!existsSync(path)) return fallback;
  let config: { scaling_factor?: unknown };
  try {
    config = JSON.parse(await readFile(path, "utf8"));
  } catch (e) {
    throw new ModelError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (config.scaling_factor === undefined) return fallback;
  if (typeof config.scaling_factor !== "number" || !(config.scaling_factor > 0)) {
    throw new ModelError(
      `${path}: scaling_factor must be a positive number, got ${JSON.stringify(config.scaling_factor)}`
    );
  }
  return config.scaling_factor;
}
