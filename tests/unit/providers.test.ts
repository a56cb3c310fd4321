// Which execution providers `--device` tries, per platform, with the platform and its files
// injected: onnxruntime-node 1.30's Windows build carries DirectML, its macOS build CoreML, its
// Linux x64 build WebGPU, and CUDA runs only where its provider library has been added.
import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import {
  currentHost,
  planProviders,
  sessionOptions,
  type Host,
} from "../../backend/engine/providers";

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
    expect(candidates(gpu)).toStrictEqual(["cuda", "webgpu", "cpu"]);
    expect(passed(gpu)).toStrictEqual([]);
  });

  it("Linux: passes quietly over providers without a driver", () => {
    const h = host("linux");
    expect(candidates(h)).toStrictEqual(["cpu"]);
    expect(planProviders("auto", h).passed).toStrictEqual([
      { provider: "cuda", reason: "no NVIDIA driver", quiet: true },
      { provider: "webgpu", reason: "no Vulkan driver", quiet: true },
    ]);
  });

  it("Linux: says how to install CUDA's provider on a host with an NVIDIA driver but without it", () => {
    const h = host("linux", [NVIDIA, VULKAN]);
    expect(candidates(h)).toStrictEqual(["webgpu", "cpu"]);
    const [cuda] = planProviders("auto", h).passed;
    assert.equal(cuda.provider, "cuda");
    assert.equal(cuda.quiet, false);
    assert.match(
      cuda.reason,
      /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install/
    );
  });

  it("Linux arm64: no WebGPU in that build", () => {
    expect(candidates(host("linux", [VULKAN], "arm64"))).toStrictEqual(["cpu"]);
  });

  it("Windows: CUDA only where its provider library is installed, then DirectML, then the CPU", () => {
    expect(candidates(host("win32"))).toStrictEqual(["dml", "cpu"]);
    expect(passed(host("win32"))).toStrictEqual([["cuda", true]]);
    expect(
      candidates(host("win32", [join(BINDING, "onnxruntime_providers_cuda.dll")]))
    ).toStrictEqual(["cuda", "dml", "cpu"]);
    // The Linux hardware checks do not apply on Windows.
    expect(
      candidates(host("win32", [join(BINDING, "libonnxruntime_providers_cuda.so")]))
    ).toStrictEqual(["dml", "cpu"]);
  });

  it("macOS: CoreML, then the CPU", () => {
    expect(candidates(host("darwin"))).toStrictEqual(["coreml", "cpu"]);
    expect(candidates(host("darwin", [], "x64"))).toStrictEqual(["coreml", "cpu"]);
    expect(passed(host("darwin"))).toStrictEqual([]);
  });

  it("other platforms: the CPU", () => {
    expect(candidates(host("freebsd"))).toStrictEqual(["cpu"]);
  });
});

describe("a chosen device", () => {
  it("is tried alone where the platform's build has it", () => {
    expect(planProviders("dml", host("win32")).candidates).toStrictEqual(["dml"]);
    expect(planProviders("coreml", host("darwin")).candidates).toStrictEqual(["coreml"]);
    expect(planProviders("webgpu", host("win32")).candidates).toStrictEqual(["webgpu"]);
    expect(planProviders("cpu", host("linux")).candidates).toStrictEqual(["cpu"]);
    // A chosen GPU is tried even where no driver is visible: the error is ONNX Runtime's own.
    expect(planProviders("webgpu", host("linux")).candidates).toStrictEqual(["webgpu"]);
  });

  it("is refused, naming why, where the platform's build cannot have it", () => {
    assert.throws(
      () => planProviders("dml", host("linux")),
      /^Error: dml execution provider unavailable: DirectML is only in onnxruntime-node's Windows build, not Linux's$/
    );
    assert.throws(
      () => planProviders("coreml", host("win32")),
      /coreml execution provider unavailable: CoreML is only in onnxruntime-node's macOS build/
    );
    assert.throws(
      () => planProviders("cuda", host("darwin")),
      /cuda execution provider unavailable: onnxruntime-node has no CUDA provider for macOS/
    );
    assert.throws(
      () => planProviders("cuda", host("linux", [NVIDIA])),
      /cuda execution provider unavailable: .*ONNXRUNTIME_NODE_INSTALL=cuda12/
    );
    assert.throws(
      () => planProviders("cuda", host("win32")),
      /onnxruntime_providers_cuda\.dll from a CUDA build of ONNX Runtime/
    );
    assert.throws(
      () => planProviders("webgpu", host("linux", [VULKAN], "arm64")),
      /Linux arm64 build has no WebGPU/
    );
  });
});

describe("session options", () => {
  it("turn off memory patterns and parallel execution for DirectML only", () => {
    expect([
      sessionOptions("dml").enableMemPattern,
      sessionOptions("dml").executionMode,
    ]).toStrictEqual([false, "sequential"]);
    assert.equal(sessionOptions("cpu").enableMemPattern, undefined);
    expect(sessionOptions("coreml", { threads: 2 }).executionProviders).toStrictEqual(["coreml"]);
    assert.equal(sessionOptions("coreml", { threads: 2 }).intraOpNumThreads, 2);
  });

  it("look for provider libraries beside this machine's onnxruntime-node binding", () => {
    const h = currentHost();
    assert.equal(h.platform, process.platform);
    assert.ok(existsSync(join(h.bindingDir, "onnxruntime_binding.node")), h.bindingDir);
  });
});
