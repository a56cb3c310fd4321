#!/usr/bin/python3
"""Real-size Stable Diffusion models with random weights, for proving speed and memory on CPU.

    /usr/bin/python3 models/training/realsize.py build [--family sd-turbo] [--precision fp32,...]
    /usr/bin/python3 models/training/realsize.py torch-step --model-dir DIR [--threads 1,2]

`build` writes one model folder per precision, .cache/realsize/<family>-<precision>/, in the
layout `optimum-cli export onnx` gives a diffusers pipeline (model_index.json, scheduler/,
tokenizer*/, text_encoder*/, unet/, vae_decoder/, each with config.json and model.onnx, and
model.onnx_data past 2 GB), plus a tiny autoencoder decoder in taesd_decoder/. The networks are
the real architectures (their parameter counts are checked against the published ones) with
seeded random weights, so they draw noise but cost exactly what the real models cost.

Precisions: fp32; fp16 (a half-precision export: float16 inputs, weights and activations);
fp16w (float16 weights cast to float32 inside the graph); int8 (weight-only, per-channel).

`torch-step` times one UNet step of the same weights in PyTorch eager (the weights are redrawn
from the seed in the folder's realsize.json) and can write a fixed input and PyTorch's output,
so a benchmark can check that ONNX Runtime computes the same function.

Memory: networks are traced with placeholder weights and each weight is drawn and written one
at a time, so building needs well under 2 GB even for SDXL's 2.6 billion parameters;
`torch-step` holds the UNet's float32 weights (3.5 GB for SD, 10.3 GB for SDXL).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdonnx import arch, export, families, layout, weights  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SEQ = 77
BOS, EOS = 49406, 49407

IMAGE_AXES = {0: "batch_size", 2: "height", 3: "width"}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def check_count(family: str, component: str, count: int) -> None:
    expected = families.EXPECTED_PARAMETERS.get((family, component),
                                                 families.EXPECTED_PARAMETERS.get(("any", component)))
    if expected is not None and expected != count:
        raise SystemExit(f"{family} {component}: {count:,} parameters, the real one has {expected:,}")


def text_encoder_spec(enc: dict):
    module = arch.CLIPTextModel(enc["config"], enc.get("projection", False),
                                enc.get("hidden_states", False))
    pad = EOS if enc["pad"] == "eos" else 0
    ids = torch.full((1, SEQ), pad, dtype=torch.int64)
    ids[0, :4] = torch.tensor([BOS, 320, 1125, EOS])
    outputs = module.output_names()
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"}}
    for o in outputs:
        # as optimum's CLIPText(WithProjection)OnnxConfig declares them
        axes[o] = {0: "batch_size"} if o == "pooler_output" else {0: "batch_size",
                                                                    1: "sequence_length"}
    return module, (ids,), ["input_ids"], outputs, axes


def unet_spec(config: dict):
    module = arch.UNet2DConditionModel(config)
    ctx = config["cross_attention_dim"]
    args = [torch.randn(1, 4, 8, 8), torch.tensor(999.0), torch.randn(1, SEQ, ctx)]
    names = ["sample", "timestep", "encoder_hidden_states"]
    axes = {"sample": IMAGE_AXES, "timestep": {},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "out_sample": IMAGE_AXES}
    if module.text_time:
        pooled = config["projection_class_embeddings_input_dim"] - 6 * config["addition_time_embed_dim"]
        args += [torch.randn(1, pooled), torch.tensor([[64.0, 64, 0, 0, 64, 64]])]
        names += ["text_embeds", "time_ids"]
        axes.update(text_embeds={0: "batch_size"}, time_ids={0: "batch_size"})
    return module, tuple(args), names, ["out_sample"], axes


def decoder_spec(module):
    axes = {"latent_sample": {0: "batch_size", 2: "latent_height", 3: "latent_width"},
            "sample": {0: "batch_size", 2: "latent_height * 8", 3: "latent_width * 8"}}
    return module, (torch.randn(1, 4, 8, 8),), ["latent_sample"], ["sample"], axes


def components(family_name: str, tiny_decoder: bool):
    """(folder name, builder of the export spec, fp32 scopes for the fp16 pass)."""
    fam = families.FAMILIES[family_name]
    out = []
    for k, enc in enumerate(fam["text_encoders"]):
        out.append((f"text_encoder{'' if k == 0 else f'_{k + 1}'}",
                    lambda enc=enc: text_encoder_spec(enc), ()))
    out.append(("unet", lambda: unet_spec(fam["unet"]), ("time_proj", "add_time_proj")))
    out.append(("vae_decoder", lambda: decoder_spec(arch.AutoencoderKLDecoder(fam["vae"])), ()))
    if tiny_decoder:
        out.append(("taesd_decoder",
                    lambda: decoder_spec(arch.AutoencoderTinyDecoder(families.TAESD)), ()))
    return out


def build(opts) -> None:
    fam = families.FAMILIES[opts.family]
    precisions = opts.precision.split(",")
    for p in precisions:
        if p not in export.PRECISIONS:
            raise SystemExit(f"unknown precision {p}; choose from {', '.join(export.PRECISIONS)}")
    wanted = opts.components.split(",") if opts.components else None
    folders = {p: os.path.join(opts.out, f"{opts.family}-{p}") for p in precisions}
    report = {p: {} for p in precisions}
    counts = {}
    start = time.time()
    for p, folder in folders.items():
        layout.write_folder_files(folder, fam, opts.clip_dir)
        if opts.tiny_decoder:
            layout.write_tiny_decoder_config(folder, families.TAESD)
    for name, spec, scopes in components(opts.family, opts.tiny_decoder):
        if wanted and name not in wanted:
            continue
        t0 = time.time()
        with weights.no_init():
            module, args, inputs, outputs, axes = spec()
        counts[name] = arch.count_parameters(module)
        check_count(opts.family, name, counts[name])
        traced = export.trace(module, args, inputs, outputs, axes)
        del module, args
        gc.collect()
        for p, folder in folders.items():
            ex = export.PRECISIONS[p](traced, scopes)
            size = export.save(ex, os.path.join(folder, name), opts.seed, "lumen realsize")
            report[p][name] = size
            del ex
            gc.collect()
        print(f"{name:14s} {counts[name]:>13,} parameters  "
              + "  ".join(f"{p} {report[p][name] / 1e6:8.1f} MB" for p in precisions)
              + f"  ({time.time() - t0:.0f} s, peak RSS {peak_rss_mb():.0f} MB)", flush=True)
    for p, folder in folders.items():
        meta_path = os.path.join(folder, "realsize.json")
        meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
        meta.update(family=opts.family, precision=p, seed=opts.seed,
                    generator="models/training/realsize.py")
        meta.setdefault("parameters", {}).update(counts)
        meta.setdefault("bytes", {}).update(report[p])
        layout.write_json(meta_path, meta)
        size = fam["size"]
        layout.write_json(os.path.join(folder, "lumen.json"), {
            "name": f"{opts.family}-{p}-random",
            "description": (f"{opts.family} architecture ({p}) with random weights: draws noise; "
                            "for measuring speed and memory"),
            "nativeSize": [size, size],
            "defaults": {**fam["lumen"], "width": size, "height": size},
        })
    total = sum(counts.values())
    print(f"total {total:,} parameters in {time.time() - start:.0f} s; "
          f"peak RSS {peak_rss_mb():.0f} MB")
    for p, folder in folders.items():
        print(f"  {folder}  {sum(report[p].values()) / 1e9:.2f} GB")


# ----------------------------------------------------------------------------------------------


def unet_inputs(config: dict, batch: int, size: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    lat = size // 8
    x = {
        "sample": rng.standard_normal((batch, 4, lat, lat), dtype=np.float32),
        "timestep": np.array(999.0, dtype=np.float32),
        "encoder_hidden_states": rng.standard_normal((batch, SEQ, config["cross_attention_dim"]),
                                                     dtype=np.float32),
    }
    if config.get("addition_embed_type") == "text_time":
        pooled = config["projection_class_embeddings_input_dim"] - 6 * config["addition_time_embed_dim"]
        x["text_embeds"] = rng.standard_normal((batch, pooled), dtype=np.float32)
        x["time_ids"] = np.tile(np.array([size, size, 0, 0, size, size], np.float32), (batch, 1))
    return x


def torch_step(opts) -> None:
    meta = json.load(open(os.path.join(opts.model_dir, "realsize.json")))
    config = json.load(open(os.path.join(opts.model_dir, "unet", "config.json")))
    t0 = time.time()
    with weights.no_init():
        unet = arch.UNet2DConditionModel(config)
    weights.fill_weights(unet, meta["seed"])
    unet.eval()
    build_s = time.time() - t0
    inputs = unet_inputs(config, opts.batch, opts.size, seed=12345)
    tensors = {k: torch.from_numpy(v) for k, v in inputs.items()}
    result = {"parameters": arch.count_parameters(unet), "size": opts.size, "batch": opts.batch,
              "build_s": round(build_s, 1), "threads": {}}
    out = None
    with torch.no_grad():
        for threads in [int(t) for t in opts.threads.split(",")]:
            torch.set_num_threads(threads)
            times, cpu = [], []
            for i in range(opts.warmup + opts.runs):
                t, c = time.perf_counter(), time.process_time()
                out = unet(**tensors)
                if i >= opts.warmup:
                    times.append((time.perf_counter() - t) * 1000)
                    cpu.append((time.process_time() - c) * 1000)
            result["threads"][str(threads)] = {"median_ms": float(np.median(times)),
                                               "cpu_ms": float(np.median(cpu)),
                                               "runs_ms": [round(v, 1) for v in times]}
            print(f"torch eager, {threads} thread(s): {np.median(times):.0f} ms", file=sys.stderr)
    if opts.check_dir:
        os.makedirs(opts.check_dir, exist_ok=True)
        files = {}
        for k, v in inputs.items():
            v.tofile(os.path.join(opts.check_dir, f"{k}.f32"))
            files[k] = {"file": f"{k}.f32", "shape": list(v.shape)}
        out.numpy().astype(np.float32).tofile(os.path.join(opts.check_dir, "out_sample.f32"))
        files["out_sample"] = {"file": "out_sample.f32", "shape": list(out.shape)}
        layout.write_json(os.path.join(opts.check_dir, "inputs.json"), files)
        result["check_dir"] = os.path.abspath(opts.check_dir)
    result["peak_rss_mb"] = round(peak_rss_mb())
    result["torch"] = torch.__version__
    print(json.dumps(result))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="export a real-size random-weight model folder per precision")
    b.add_argument("--family", default="sd-turbo", choices=sorted(families.FAMILIES))
    b.add_argument("--precision", default="fp32", help="comma-separated: fp32,fp16,fp16w,int8")
    b.add_argument("--out", default=os.path.join(ROOT, ".cache", "realsize"))
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--components", help="only these (comma-separated), e.g. unet,taesd_decoder")
    b.add_argument("--no-tiny-decoder", dest="tiny_decoder", action="store_false",
                   help="leave out taesd_decoder/")
    b.add_argument("--clip-dir", default=os.path.join(ROOT, "..", "shared", "data", "clip"))
    t = sub.add_parser("torch-step", help="time the UNet of a built folder in PyTorch eager")
    t.add_argument("--model-dir", required=True)
    t.add_argument("--threads", default="1,2")
    t.add_argument("--size", type=int, default=512, help="image side in pixels")
    t.add_argument("--batch", type=int, default=1)
    t.add_argument("--runs", type=int, default=3)
    t.add_argument("--warmup", type=int, default=1)
    t.add_argument("--check-dir", help="write a fixed input and PyTorch's output here")
    opts = ap.parse_args()
    if opts.command == "build":
        torch.set_num_threads(2)
        build(opts)
    else:
        torch_step(opts)


if __name__ == "__main__":
    main()
