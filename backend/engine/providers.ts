// Execution-provider choice and session creation. `auto` tries CUDA, then WebGPU, then CPU, and
// says why each one it skipped failed, so a GPU host that silently runs on CPU is easy to spot.
import { existsSync, readdirSync } from "node:fs";
import * as ort from "onnxruntime-node";

export const devices = ["auto", "cpu", "cuda", "webgpu"] as const;
export type Device = (typeof devices)[number];
export type Provider = Exclude<Device, "auto">;

export interface RuntimeOptions {
  device?: Device;
  /** Threads inside one operator (CPU provider); default: ORT's choice (all cores). */
  threads?: number;
  log?: (message: string) => void;
}

// ORT's own logger prints provider load failures as errors before the exception reaches us; we
// report those once, with a hint, so its logger only speaks for fatal problems.
ort.env.logLevel = "fatal";

export const CUDA_INSTALL_HINT =
  "install the CUDA 12 provider with: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install";

function sessionOptions(provider: Provider, threads?: number): ort.InferenceSession.SessionOptions {
  return {
    logSeverityLevel: 3,
    executionProviders: [provider],
    graphOptimizationLevel: "all",
    ...(threads ? { intraOpNumThreads: threads } : {}),
    interOpNumThreads: 1,
  };
}

/**
 * Why a provider cannot have hardware here, when that is plain without trying it (Linux only): no
 * NVIDIA kernel driver for CUDA, no Vulkan driver for WebGPU. `auto` passes over these quietly;
 * trying them costs start-up time and Dawn prints its own Vulkan warning to stderr.
 */
export function missingHardware(provider: Provider): string | undefined {
  if (process.platform !== "linux") return undefined;
  if (provider === "cuda" && !existsSync("/proc/driver/nvidia/version")) return "no NVIDIA driver";
  if (provider === "webgpu") {
    const icds = ["/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d"].flatMap((d) => (existsSync(d) ? readdirSync(d) : []));
    if (icds.length === 0) return "no Vulkan driver";
  }
  return undefined;
}

/** Errors that mean the provider itself could not start, as opposed to a bad model file. */
const PROVIDER_FAILURE = /AppendExecutionProvider|shared library|WebGPU adapter|Vulkan|backend not found/i;

/** The useful sentence of an ORT error: its first line, without the C++ assertion that precedes it. */
function firstLine(e: unknown): string {
  const line = String(e instanceof Error ? e.message : e).split("\n")[0];
  return line.replace(/^.*? was false\. /, "").slice(0, 200);
}

/**
 * Opens the first session with the requested provider; with `auto`, falls through CUDA and WebGPU
 * to CPU. Returns the provider that worked, which the other components of the model then reuse.
 */
export async function openFirstSession(
  path: string,
  options: RuntimeOptions,
): Promise<{ session: ort.InferenceSession; provider: Provider }> {
  const device = options.device ?? "auto";
  const candidates: Provider[] =
    device === "auto" ? (["cuda", "webgpu", "cpu"] as const).filter((p) => !missingHardware(p)) : [device];
  for (const provider of candidates) {
    try {
      return { session: await ort.InferenceSession.create(path, sessionOptions(provider, options.threads)), provider };
    } catch (e) {
      const reason = firstLine(e);
      const hint = provider === "cuda" && /shared library|providers_cuda/i.test(reason) ? ` (${CUDA_INSTALL_HINT})` : "";
      if (provider === "cpu" || !PROVIDER_FAILURE.test(String((e as Error)?.message))) throw e;
      if (device !== "auto") throw new Error(`${provider} execution provider unavailable: ${reason}${hint}`);
      options.log?.(`device auto: skipped ${provider}: ${reason}${hint}`);
    }
  }
  throw new Error("unreachable");
}

export function openSession(path: string, provider: Provider, threads?: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, sessionOptions(provider, threads));
}
