// Which files of a Hub repository `lumen models pull` fetches, and which repositories it refuses
// before downloading, from listings shaped like real ones (stabilityai/sdxl-turbo keeps an optimum
// ONNX export beside its PyTorch weights; onnxruntime/sd-turbo is ONNX only, with weights.pb).
import { strict as assert } from "node:assert";
import { describe, expect, it } from "@jest/globals";
import { familyOf, selectFiles, type RepoFile } from "../../backend/hub/layout";
import { checkModelName, defaultModelName, parseRepoRef } from "../../backend/hub/repo-ref";

const file = (path: string, size = 1000, lfs = false): RepoFile => ({
  path,
  size,
  oid: "0".repeat(40),
  ...(lfs ? { lfs: { oid: "1".repeat(64), size } } : {}),
});

const tokenizer = (dir: string) => [
  file(`${dir}/vocab.json`),
  file(`${dir}/merges.txt`),
  file(`${dir}/special_tokens_map.json`),
  file(`${dir}/tokenizer_config.json`),
];
const SDXL_INDEX = {
  _class_name: "StableDiffusionXLPipeline",
  vae: ["diffusers", "AutoencoderKL"],
};
const SD_INDEX = { _class_name: "OnnxStableDiffusionPipeline" };

// Mirrors the shape of stabilityai/sdxl-turbo's main branch: diffusers weights and an ONNX export.
const sdxlTurboLike: RepoFile[] = [
  file("model_index.json", 685),
  file("README.md", 5_500),
  file("LICENSE.TXT", 7_490),
  file("image_quality_one_step.png", 204_000, true),
  file("sd_xl_turbo_1.0.safetensors", 13.9e9, true),
  file("sd_xl_turbo_1.0_fp16.safetensors", 6.9e9, true),
  file("scheduler/scheduler_config.json", 500),
  ...tokenizer("tokenizer"),
  ...tokenizer("tokenizer_2"),
  file("text_encoder/config.json", 560),
  file("text_encoder/model.fp16.safetensors", 246e6, true),
  file("text_encoder/model.onnx", 492e6, true),
  file("text_encoder/model.safetensors", 492e6, true),
  file("text_encoder_2/config.json", 575),
  file("text_encoder_2/model.fp16.safetensors", 1.39e9, true),
  file("text_encoder_2/model.onnx", 1.04e6, true),
  file("text_encoder_2/model.onnx_data", 2.78e9, true),
  file("text_encoder_2/model.safetensors", 2.78e9, true),
  file("unet/config.json", 1_780),
  file("unet/diffusion_pytorch_model.fp16.safetensors", 5.14e9, true),
  file("unet/diffusion_pytorch_model.safetensors", 10.3e9, true),
  file("unet/model.onnx", 7.29e6, true),
  file("unet/model.onnx_data", 10.3e9, true),
  file("vae/config.json", 607),
  file("vae/diffusion_pytorch_model.fp16.safetensors", 167e6, true),
  file("vae/diffusion_pytorch_model.safetensors", 335e6, true),
  file("vae_decoder/config.json", 607),
  file("vae_decoder/model.onnx", 198e6, true),
  file("vae_encoder/config.json", 607),
  file("vae_encoder/model.onnx", 137e6, true),
];

describe("selectFiles", () => {
  it("takes the ONNX export out of a repository that also holds PyTorch weights", () => {
    const s = selectFiles("stabilityai/sdxl-turbo", sdxlTurboLike, SDXL_INDEX);
    assert.equal(s.family, "sdxl");
    const paths = s.files.map((f) => f.path).sort();
    expect(paths).toStrictEqual(
      [
        "LICENSE.TXT",
        "README.md",
        "model_index.json",
        "scheduler/scheduler_config.json",
        ...tokenizer("tokenizer").map((f) => f.path),
        ...tokenizer("tokenizer_2").map((f) => f.path),
        "text_encoder/config.json",
        "text_encoder/model.onnx",
        "text_encoder_2/config.json",
        "text_encoder_2/model.onnx",
        "text_encoder_2/model.onnx_data",
        "unet/config.json",
        "unet/model.onnx",
        "unet/model.onnx_data",
        "vae_decoder/config.json",
        "vae_decoder/model.onnx",
        "vae_encoder/config.json",
        "vae_encoder/model.onnx",
      ].sort()
    );
    assert.ok(!s.files.some((f) => /safetensors|png/.test(f.path)));
    assert.ok(s.bytes > 13e9 && s.bytes < 15e9, String(s.bytes));
    assert.equal(s.files.length + s.skipped.length, sdxlTurboLike.length);
    // Small files come first, so a broken repository fails before the large downloads.
    expect(s.files.map((f) => f.size)).toStrictEqual(
      s.files.map((f) => f.size).sort((a, b) => a - b)
    );
  });

  it("keeps weights.pb beside model.onnx and leaves other graph variants and their data", () => {
    const listing = [
      file("model_index.json"),
      file("scheduler/scheduler_config.json"),
      file("tokenizer/tokenizer.json"),
      file("text_encoder/model.onnx", 5e6, true),
      file("unet/model.onnx", 1e6, true),
      file("unet/weights.pb", 3.4e9, true),
      file("unet/model_fp16.onnx", 1e6, true),
      file("unet/model_fp16.onnx_data", 1.7e9, true),
      file("unet/.gitkeep", 0),
      file("vae_decoder/model.onnx", 99e6, true),
      file("vae_decoder/openvino/openvino_model.xml", 500),
    ];
    const paths = selectFiles("x/y", listing, SD_INDEX).files.map((f) => f.path);
    assert.ok(paths.includes("unet/weights.pb"));
    for (const p of [
      "unet/model_fp16.onnx",
      "unet/model_fp16.onnx_data",
      "unet/.gitkeep",
      "vae_decoder/openvino/openvino_model.xml",
    ]) {
      assert.ok(!paths.includes(p), p);
    }
  });

  it("refuses a PyTorch-only diffusers repository, naming the folders and how to export", () => {
    const listing = sdxlTurboLike.filter(
      (f) => !/\.onnx/.test(f.path) && !/^vae_(de|en)coder\//.test(f.path)
    );
    assert.throws(
      () => selectFiles("stabilityai/sdxl-turbo", listing, SDXL_INDEX),
      /^PullError: stabilityai\/sdxl-turbo cannot run in Lumen: text_encoder\/, text_encoder_2\/, unet\/, vae\/ hold PyTorch weights, not ONNX \(export the model with `optimum-cli export onnx`/
    );
  });

  it("names each missing part of an incomplete export in one line", () => {
    const listing = [
      file("model_index.json"),
      file("text_encoder/model.onnx"),
      file("unet/model.onnx"),
      file("tokenizer/vocab.json"),
    ];
    assert.throws(
      () => selectFiles("a/b", listing, SD_INDEX),
      (e: Error) => {
        assert.equal(e.message.split("\n").length, 1);
        assert.match(e.message, /vae_decoder\/model\.onnx is missing/);
        assert.match(
          e.message,
          /tokenizer\/ has neither tokenizer\.json nor vocab\.json \+ merges\.txt/
        );
        assert.match(e.message, /scheduler\/scheduler_config\.json is missing/);
        return true;
      }
    );
  });

  it("needs SDXL's second encoder and tokenizer", () => {
    const listing = sdxlTurboLike.filter(
      (f) => !f.path.startsWith("text_encoder_2/") && !f.path.startsWith("tokenizer_2/")
    );
    assert.throws(
      () => selectFiles("a/b", listing, SDXL_INDEX),
      /text_encoder_2\/model\.onnx is missing; tokenizer_2\/ has neither/
    );
  });
});

describe("familyOf", () => {
  it("recognises the SD and SDXL pipeline classes of diffusers and its ONNX exporters", () => {
    const name = (cls: string) => (familyOf({ _class_name: cls }) as { name?: string }).name;
    for (const cls of [
      "OnnxStableDiffusionPipeline",
      "ORTStableDiffusionPipeline",
      "StableDiffusionPipeline",
      "StableDiffusionImg2ImgPipeline",
    ]) {
      assert.equal(name(cls), "sd", cls);
    }
    for (const cls of [
      "ORTStableDiffusionXLPipeline",
      "StableDiffusionXLPipeline",
      "ORTStableDiffusionXLImg2ImgPipeline",
    ]) {
      assert.equal(name(cls), "sdxl", cls);
    }
  });

  it("says why other pipelines cannot run", () => {
    assert.match(
      (familyOf({ _class_name: "OVStableDiffusionPipeline" }) as { reason: string }).reason,
      /OpenVINO export/
    );
    assert.match(
      (familyOf({ _class_name: "StableDiffusion3Pipeline" }) as { reason: string }).reason,
      /StableDiffusion3Pipeline is not one Lumen runs/
    );
    assert.match(
      (familyOf({ _class_name: "StableDiffusionInpaintPipeline" }) as { reason: string }).reason,
      /not one Lumen runs/
    );
    assert.match((familyOf({}) as { reason: string }).reason, /no pipeline class/);
  });
});

describe("repository references and model names", () => {
  it("parses owner/name[@revision]", () => {
    expect(parseRepoRef("stabilityai/sd-turbo")).toStrictEqual({
      repo: "stabilityai/sd-turbo",
      revision: "main",
    });
    expect(parseRepoRef("onnxruntime/sd-turbo@6d0b4c1")).toStrictEqual({
      repo: "onnxruntime/sd-turbo",
      revision: "6d0b4c1",
    });
    expect(parseRepoRef("org/model@refs/pr/1")).toStrictEqual({
      repo: "org/model",
      revision: "refs/pr/1",
    });
  });

  it("rejects what the Hub would not accept as a repository id", () => {
    for (const bad of [
      "a/b/c",
      "../etc",
      "a--b/c",
      "owner/",
      "owner/na me",
      "a/b@",
      "a/b@rev with space",
    ]) {
      assert.throws(() => parseRepoRef(bad), /PullError/, bad);
    }
  });

  it("names a model after its repository and keeps names to safe folder names", () => {
    assert.equal(defaultModelName("stabilityai/sdxl-turbo"), "sdxl-turbo");
    assert.equal(checkModelName("my-model_2.1"), "my-model_2.1");
    for (const bad of ["..", ".hidden", "a/b", "", "a b", "x".repeat(65)])
      assert.throws(() => checkModelName(bad), /not a model name/, bad);
  });
});
