// Execution-provider choice and session creation. `auto` tries, before the CPU, the GPU providers
// this platform's onnxruntime-node build carries, in this order:
//   Windows: CUDA (only where its provider library has been installed), then DirectML
//   macOS:   CoreML
//   Linux:   CUDA, then WebGPU
// and says why each one it skipped failed, so a GPU host that silently runs on CPU is easy to spot.
// The choice itself is a pure function of the host's facts (`planProviders`), tested per platform.
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import type { DecoderChoice } from "./decoder";

export const devices = ["auto", "cpu", "cuda", "webgpu", "dml", "coreml"] as const;
export type Device = (typeof devices)[number];
export type Provider = Exclude<Device, "auto">;

export interface RuntimeOptions {
  device?: Device;
  /** Threads inside one operator (CPU provider); default: ORT's choice (all cores). */
  threads?: number;
  /** Full VAE decoder or the folder's tiny one (decoder.ts); default "auto". */
  decoder?: DecoderChoice;
  /** Keep ORT's CPU memory arena between runs; default: by the model's size (cpu-settings.ts). */
  memArena?: boolean;
  log?: (message: string) => void;
}

/** The facts about a machine that decide which providers can run there. */
export interface Host {
  platform: NodeJS.Platform;
  arch: string;
  /** Folder of onnxruntime-node's native binding for this platform and arch. */
  bindingDir: string;
  exists(path: string): boolean;
  /** A folder's entries; [] when it does not exist. */
  list(dir: string): string[];
}

/** GPU providers `auto` tries before the CPU, in order, per platform. */
export const autoOrder: Partial<Record<NodeJS.Platform, readonly Provider[]>> = {
  win32: ["cuda", "dml"],
  darwin: ["coreml"],
  linux: ["cuda", "webgpu"],
};

const PLATFORM_NAMES: Partial<Record<NodeJS.Platform, string>> = {
  win32: "Windows",
  darwin: "macOS",
  linux: "Linux",
};

// ORT's own logger prints provider load failures as errors before the exception reaches us; we
// report those once, with a hint, so its logger only speaks for fatal problems.
ort.env.logLevel = "fatal";

export const CUDA_INSTALL_HINT =
  "install the CUDA 12 provider with: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install";

/** The CUDA provider is never inside the npm package: it is a library added beside the binding. */
function cudaLibrary(platform: NodeJS.Platform): string {
  return platform === "win32"
    ? "onnxruntime_providers_cuda.dll"
    : "libonnxruntime_providers_cuda.so";
}

/**
 * Why this machine's onnxruntime-node build cannot offer a provider at all, or undefined when it
 * can. onnxruntime-node 1.30's prebuilt binaries carry DirectML (and WebGPU) on Windows, CoreML (and
 * WebGPU) on macOS, WebGPU on Linux x64; CUDA only where its provider library has been installed
 * (Linux x64: the package's install script; Windows: a CUDA build of ONNX Runtime).
 */
export function notInBuild(provider: Provider, host: Host): string | undefined {
  const where = PLATFORM_NAMES[host.platform] ?? host.platform;
  switch (provider) {
    case "cpu":
      return undefined;
    case "dml":
      return host.platform === "win32"
        ? undefined
        : `DirectML is only in onnxruntime-node's Windows build, not ${where}'s`;
    case "coreml":
      return host.platform === "darwin"
        ? undefined
        : `CoreML is only in onnxruntime-node's macOS build, not ${where}'s`;
    case "webgpu":
      return host.platform === "linux" && host.arch !== "x64"
        ? `onnxruntime-node's Linux ${host.arch} build has no WebGPU`
        : undefined;
    case "cuda": {
      if (host.platform !== "linux" && host.platform !== "win32")
        return `onnxruntime-node has no CUDA provider for ${where}`;
      if (host.exists(join(host.bindingDir, cudaLibrary(host.platform)))) return undefined;
      return host.platform === "linux"
        ? `its provider library is not installed (${CUDA_INSTALL_HINT})`
        : `its provider library is not installed (${cudaLibrary(host.platform)} from a CUDA build of ONNX Runtime, beside ${join(host.bindingDir, "onnxruntime_binding.node")})`;
    }
  }
}

/**
 * Why a provider has no hardware here, when that is plain without trying it (Linux only): no
 * NVIDIA kernel driver for CUDA, no Vulkan driver for WebGPU. `auto` passes over these quietly;
 * trying them costs start-up time and Dawn prints its own Vulkan warning to stderr.
 */
export function missingHardware(
  provider: Provider,
  host: Host = currentHost()
): string | undefined {
  if (host.platform !== "linux") return undefined;
  if (provider === "cuda" && !host.exists("/proc/driver/nvidia/version")) return "no NVIDIA driver";
  if (provider === "webgpu") {
    const icds = ["/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d"].flatMap((d) => host.list(d));
    if (icds.length === 0) return "no Vulkan driver";
  }
  return undefined;
}

export interface ProviderPlan {
  /** Providers to try, in order; with `auto` the CPU is last. */
  candidates: Provider[];
  /** Providers `auto` passes over without trying; `quiet` ones are normal on this machine. */
  passed: Array<{ provider: Provider; reason: string; quiet: boolean }>;
}

/** Which providers a device setting tries on this host; a device the host cannot have is an error. */
export function planProviders(device: Device, host: Host): ProviderPlan {
  if (device !== "auto") {
    const reason = notInBuild(device, host);
    if (reason) throw new Error(`${device} execution provider unavailable: ${reason}`);
    return { candidates: [device], passed: [] };
  }
  const plan: ProviderPlan = { candidates: [], passed: [] };
  for (const provider of autoOrder[host.platform] ?? []) {
    const hardware = missingHardware(provider, host);
    const build = notInBuild(provider, host);
    if (hardware) plan.passed.push({ provider, reason: hardware, quiet: true });
    // Without CUDA's library: normal on Windows, worth the install hint on a Linux GPU host.
    else if (build) plan.passed.push({ provider, reason: build, quiet: host.platform !== "linux" });
    else plan.candidates.push(provider);
  }
  plan.candidates.push("cpu");
  return plan;
}

/** This machine, as `planProviders` sees it. */
export function currentHost(): Host {
  const pkg = dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json"));
  return {
    platform: process.platform,
    arch: process.arch,
    bindingDir: join(pkg, "bin", "napi-v6", process.platform, process.arch),
    exists: existsSync,
    list: (dir) => (existsSync(dir) ? readdirSync(dir) : []),
  };
}

/** How each session of a model runs on the CPU (cpu-settings.ts chooses the defaults). */
export interface SessionSettings {
  threads?: number;
  memArena?: boolean;
  /** false: no prepacked weight copies (ORT's session.disable_prepacking). */
  prepack?: boolean;
}

export function sessionOptions(
  provider: Provider,
  settings: SessionSettings = {}
): ort.InferenceSession.SessionOptions {
  return {
    logSeverityLevel: 3,
    executionProviders: [provider],
    graphOptimizationLevel: "all",
    ...(settings.threads ? { intraOpNumThreads: settings.threads } : {}),
    ...(settings.memArena === false ? { enableCpuMemArena: false } : {}),
    ...(settings.prepack === false ? { extra: { session: { disable_prepacking: "1" } } } : {}),
    interOpNumThreads: 1,
    // DirectML supports neither memory patterns nor parallel execution (ONNX Runtime's DirectML docs).
    ...(provider === "dml"
      ? { enableMemPattern: false, executionMode: "sequential" as const }
      : {}),
  };
}

/** Errors that mean the provider itself could not start, as opposed to a bad model file. */
const PROVIDER_FAILURE =
  /AppendExecutionProvider|shared library|WebGPU adapter|Vulkan|backend not found|DirectML|DmlExecutionProvider|D3D12|DXGI|CoreML/i;

/** The useful sentence of an ORT error: its first line, without the C++ assertion that precedes it. */
function firstLine(e: unknown): string {
  const line = String(e instanceof Error ? e.message : e).split("\n")[0];
  return line.replace(/^.*? was false\. /, "").slice(0, 200);
}

/**
 * Opens the first session with the requested provider; with `auto`, falls through this platform's
 * GPU providers to the CPU. Returns the provider that worked, which the other components of the
 * model then reuse.
 */
export async function openFirstSession(
  path: string,
  options: RuntimeOptions,
  host: Host = currentHost()
): Promise<{ session: ort.InferenceSession; provider: Provider }> {
  const device = options.device ?? "auto";
  const { candidates, passed } = planProviders(device, host);
  for (const p of passed)
    if (!p.quiet) options.log?.(`device auto: skipped ${p.provider}: ${p.reason}`);
  for (const provider of candidates) {
    try {
      return {
        session: await ort.InferenceSession.create(path, sessionOptions(provider, options)),
        provider,
      };
    } catch (e) {
      const reason = firstLine(e);
      const hint =
        provider === "cuda" && /shared library|providers_cuda/i.test(reason)
          ? ` (${CUDA_INSTALL_HINT})`
          : "";
      if (provider === "cpu" || !PROVIDER_FAILURE.test(String((e as Error)?.message))) throw e;
      if (device !== "auto")
        throw new Error(`${provider} execution provider unavailable: ${reason}${hint}`);
      options.log?.(`device auto: skipped ${provider}: ${reason}${hint}`);
    }
  }
  throw new Error("unreachable");
}

export function openSession(
  path: string,
  provider: Provider,
  settings: SessionSettings = {}
): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, sessionOptions(provider, settings));
}
