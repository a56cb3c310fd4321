// Which execution providers `--device` tries, per platform, with the platform and its files
// injected: onnxruntime-node 1.30's Windows build carries DirectML, its macOS build CoreML, its
// Linux x64 build WebGPU, and CUDA runs only where its provider library has been added.
import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { describe, it } from "node:test";
import { currentHost, planProviders, sessionOptions, type Host } from "../../backend/engine/providers";

const BINDING = "/app/node_modules/onnxruntime-node/bin/napi-v6/os/arch";
const NVIDIA = "/proc/driver/nvidia/version";
const VULKAN = "/usr/share/vulkan/icd.d/nvidia_icd.json";

function host(platform: NodeJS.Platform, files: string[] = [], arch = "x64"): Host {
  return {
    platform,
    arch,
    bindingDir: BINDING,
    exists: (path) => files.includes(path),
    list: (dir) => files.filter((f) => dirname(f) === dir).map((f) => basename(f)),
  };
}
const candidates = (h: Host) => planProviders("auto", h).candidates;
const passed = (h: Host) => planProviders("auto", h).passed.map((p) => [p.provider, p.quiet]);

describe("device auto, per platform", () => {
  it("Linux: CUDA, then WebGPU, then the CPU", () => {
    const gpu = host("linux", [NVIDIA, VULKAN, join(BINDING, "libonnxruntime_providers_cuda.so")]);
    assert.deepEqual(candidates(gpu), ["cuda", "webgpu", "cpu"]);
    assert.deepEqual(passed(gpu), []);
  });

  it("Linux: passes quietly over providers without a driver", () => {
    const h = host("linux");
    assert.deepEqual(candidates(h), ["cpu"]);
    assert.deepEqual(planProviders("auto", h).passed, [
      { provider: "cuda", reason: "no NVIDIA driver", quiet: true },
      { provider: "webgpu", reason: "no Vulkan driver", quiet: true },
    ]);
  });

  it("Linux: says how to install CUDA's provider on a host with an NVIDIA driver but without it", () => {
    const h = host("linux", [NVIDIA, VULKAN]);
    assert.deepEqual(candidates(h), ["webgpu", "cpu"]);
    const [cuda] = planProviders("auto", h).passed;
    assert.equal(cuda.provider, "cuda");
    assert.equal(cuda.quiet, false);
    assert.match(cuda.reason, /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install/);
  });

  it("Linux arm64: no WebGPU in that build", () => {
    assert.deepEqual(candidates(host("linux", [VULKAN], "arm64")), ["cpu"]);
  });

  it("Windows: CUDA only where its provider library is installed, then DirectML, then the CPU", () => {
    assert.deepEqual(candidates(host("win32")), ["dml", "cpu"]);
    assert.deepEqual(passed(host("win32")), [["cuda", true]]);
    assert.deepEqual(candidates(host("win32", [join(BINDING, "onnxruntime_providers_cuda.dll")])), ["cuda", "dml", "cpu"]);
    // The Linux hardware checks do not apply on Windows.
    assert.deepEqual(candidates(host("win32", [join(BINDING, "libonnxruntime_providers_cuda.so")])), ["dml", "cpu"]);
  });

  it("macOS: CoreML, then the CPU", () => {
    assert.deepEqual(candidates(host("darwin")), ["coreml", "cpu"]);
    assert.deepEqual(candidates(host("darwin", [], "x64")), ["coreml", "cpu"]);
    assert.deepEqual(passed(host("darwin")), []);
  });

  it("other platforms: the CPU", () => {
    assert.deepEqual(candidates(host("freebsd")), ["cpu"]);
  });
});

describe("a chosen device", () => {
  it("is tried alone where the platform's build has it", () => {
    assert.deepEqual(planProviders("dml", host("win32")).candidates, ["dml"]);
    assert.deepEqual(planProviders("coreml", host("darwin")).candidates, ["coreml"]);
    assert.deepEqual(planProviders("webgpu", host("win32")).candidates, ["webgpu"]);
    assert.deepEqual(planProviders("cpu", host("linux")).candidates, ["cpu"]);
    // A chosen GPU is tried even where no driver is visible: the error is ONNX Runtime's own.
    assert.deepEqual(planProviders("webgpu", host("linux")).candidates, ["webgpu"]);
  });

  it("is refused, naming why, where the platform's build cannot have it", () => {
    assert.throws(() => planProviders("dml", host("linux")), /^Error: dml execution provider unavailable: DirectML is only in onnxruntime-node's Windows build, not Linux's$/);
    assert.throws(() => planProviders("coreml", host("win32")), /coreml execution provider unavailable: CoreML is only in onnxruntime-node's macOS build/);
    assert.throws(() => planProviders("cuda", host("darwin")), /cuda execution provider unavailable: onnxruntime-node has no CUDA provider for macOS/);
    assert.throws(() => planProviders("cuda", host("linux", [NVIDIA])), /cuda execution provider unavailable: .*ONNXRUNTIME_NODE_INSTALL=cuda12/);
    assert.throws(() => planProviders("cuda", host("win32")), /onnxruntime_providers_cuda\.dll from a CUDA build of ONNX Runtime/);
    assert.throws(() => planProviders("webgpu", host("linux", [VULKAN], "arm64")), /Linux arm64 build has no WebGPU/);
  });
});

describe("session options", () => {
  it("turn off memory patterns and parallel execution for DirectML only", () => {
    assert.deepEqual([sessionOptions("dml").enableMemPattern, sessionOptions("dml").executionMode], [false, "sequential"]);
    assert.equal(sessionOptions("cpu").enableMemPattern, undefined);
    assert.deepEqual(sessionOptions("coreml", { threads: 2 }).executionProviders, ["coreml"]);
    assert.equal(sessionOptions("coreml", { threads: 2 }).intraOpNumThreads, 2);
  });

  it("look for provider libraries beside this machine's onnxruntime-node binding", () => {
    const h = currentHost();
    assert.equal(h.platform, process.platform);
    assert.ok(existsSync(join(h.bindingDir, "onnxruntime_binding.node")), h.bindingDir);
  });
});
