// The generation parameters as one text, in the form Stable Diffusion web UI (A1111) writes into its
// PNG "parameters" chunk, which PNG-info readers, ComfyUI and model sites already understand.
import { readFileSync } from "node:fs";

export interface GenerationInfo {
  prompt: string;
  negativePrompt: string;
  steps: number;
  sampler: string;
  guidance: number;
  seed: number;
  width: number;
  height: number;
  model: string;
}

const packageJson = JSON.parse(
  readFileSync(new URL("../../package.json", import.meta.url), "utf8")
) as {
  version: string;
};

export const GENERATOR: { readonly name: "Lumen"; readonly version: string } = {
  name: "Lumen",
  version: packageJson.version,
};

/** The engine's scheduler names, spelled as A1111 spells its samplers so that readers recognise them. */
const samplerLabels: Record<string, string> = {
  euler: "Euler",
  euler_a: "Euler a",
  ddim: "DDIM",
  lcm: "LCM",
};

/** A1111 quotes a value (as JSON) when it holds a character that would break the "k: v, k: v" line. */
function quote(value: string): string {
  return /[,:\n]/.test(value) ? JSON.stringify(value) : value;
}

/**
 * "prompt\nNegative prompt: …\nSteps: 4, Sampler: Euler, CFG scale: 1, Seed: 3, Size: 512x512,
 * Model: lumen-landscapes, Generator: Lumen 0.1.0"; no Negative prompt line when it is empty.
 */
export function parametersText(info: GenerationInfo): string {
  const lines = [info.prompt];
  if (info.negativePrompt.trim() !== "") lines.push(`Negative prompt: ${info.negativePrompt}`);
  const fields: [string, string | number][] = [
    ["Steps", info.steps],
    ["Sampler", samplerLabels[info.sampler] ?? info.sampler],
    ["CFG scale", info.guidance],
    ["Seed", info.seed],
    ["Size", `${info.width}x${info.height}`],
    ["Model", info.model],
    ["Generator", `${GENERATOR.name} ${GENERATOR.version}`],
  ];
  lines.push(fields.map(([key, value]) => `${key}: ${quote(String(value))}`).join(", "));
  return lines.join("\n");
}
