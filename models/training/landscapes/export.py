"""Export the trained lumen-landscapes model to models/lumen-landscapes/ (diffusers ONNX layout).

    /usr/bin/python3 models/training/landscapes/export.py [--runs models/training/runs]
        [--out models/lumen-landscapes] [--steps 8] [--guidance 8] [--guidance-start 0.75]

Uses the EMA weights of the latest text-encoder/UNet checkpoint (unet_final.pt, else unet.pt),
the VAE decoder and encoder (vae_encoder/, `latent_sample` = the mean) of vae_final.pt and the scaling factor / latent-to-RGB map of latents.json.
Writes check.json: inputs and PyTorch outputs that tests/check_onnx.mjs-style scripts can compare
against onnxruntime-node; and tests/fixtures/lumen-landscapes-reference.json: one whole PyTorch
sampling run at the default settings, which the engine must reproduce from the same initial latents.
"""
import argparse
import inspect
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from captions import Tokenizer, MAX_LEN  # noqa: E402
from models import (DecoderExport, LatentExport, load_vae, euler_trailing, sample, TextEncoder, UNet, BETA_START, BETA_END,  # noqa: E402
                    NUM_TRAIN_TIMESTEPS, add_sampling_args, count, run_config)
from train import UNET_CH  # noqa: E402

OPSET = 17
B, HW = {0: "batch"}, {0: "batch", 2: "height", 3: "width"}
# Each part's inputs, outputs and dynamic axes: [input names], [output names], {name: axes}
PARTS = {
    "text_encoder": (["input_ids"], ["last_hidden_state"],
                     {"input_ids": {0: "batch", 1: "sequence"}, "last_hidden_state": {0: "batch", 1: "sequence"}}),
    "unet": (["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
             {"sample": HW, "timestep": B, "encoder_hidden_states": {0: "batch", 1: "sequence"}, "out_sample": HW}),
    "vae_decoder": (["latent_sample"], ["sample"], {"latent_sample": HW, "sample": HW}),
    "vae_encoder": (["sample"], ["latent_sample"],
                    {"sample": HW, "latent_sample": {0: "batch", 2: "height_latent", 3: "width_latent"}}),
}


def to_onnx(module, args, part, f):
    """Export one part of the pipeline to `f` (a path or a file object) as the engine expects it."""
    inputs, outputs, axes = PARTS[part]
    # PyTorch 2.9+ defaults to the dynamo exporter, whose graphs differ; keep the TorchScript one that
    # every shipped model was exported with (and that from_onnx.py matches initialisers against).
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with torch.no_grad():
        torch.onnx.export(module, args, f, input_names=inputs, output_names=outputs, dynamic_axes=axes,
                          opset_version=OPSET, do_constant_folding=True, **legacy)


def load(runs):
    tok = Tokenizer()
    path = os.path.join(runs, "unet_final.pt")
    if not os.path.exists(path):
        path = os.path.join(runs, "unet.pt")
    st = torch.load(path)
    vae = load_vae(os.path.join(runs, "vae_final.pt"))
    te, unet = TextEncoder(len(tok.vocab)), UNet(ch=tuple(st.get("unet_ch", UNET_CH)), z=vae.z)
    te.load_state_dict(st["ema_te"]), unet.load_state_dict(st["ema_unet"])
    info = json.load(open(os.path.join(runs, "latents.json")))
    cfg = run_config(runs)
    info.setdefault("latent_size", cfg["size"] // vae.down)
    info["image_size"] = info["latent_size"] * vae.down
    for m in (te, unet):
        m.eval()
    return tok, te, unet, vae, info, st["step"], path


@torch.no_grad()
def write_sampling_reference(tok, te, unet, a, L):
    prompt = "a misty lake at sunrise with reflections of pine-covered hills"
    ts, sig = euler_trailing(a.steps)
    noise = torch.randn(1, unet.inp.in_channels, L, L, generator=torch.Generator().manual_seed(3))
    cond, uncond = te(torch.from_numpy(tok.batch([prompt]))), te(torch.from_numpy(tok.batch([""])))
    final = sample(unet, cond, uncond, a.guidance, a.steps, noise=noise, guidance_start=a.guidance_start)
    ref = {"prompt": prompt, "inputIds": tok(prompt), "steps": a.steps, "guidance": a.guidance,
           "guidanceStart": a.guidance_start, "timesteps": ts.tolist(),
           "initLatents": (noise * float(sig[0])).flatten().tolist(), "finalLatents": final.flatten().tolist(),
           "tolerance": 1e-3}
    with open(a.reference, "w") as f:
        json.dump(ref, f)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    add_sampling_args(ap)
    ap.add_argument("--reference", help="where to write the sampling reference (default: the tests' "
                    "fixture when exporting the shipped model, else <runs>/sampling-reference.json)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    tok, te, unet, vae, info, step, path = load(a.runs)
    L, S = info["latent_size"], info["image_size"]
    out = a.out
    for d in ("tokenizer", "text_encoder", "unet", "vae_decoder", "scheduler"):
        os.makedirs(os.path.join(out, d), exist_ok=True)

    def dump(obj, *p):
        with open(os.path.join(out, *p), "w") as f:
            json.dump(obj, f, indent=1, ensure_ascii=False)
            f.write("\n")

    # tokenizer
    dump(tok.tokenizer_json(), "tokenizer", "tokenizer.json")
    dump(tok.tokenizer_config(), "tokenizer", "tokenizer_config.json")

    D = te.norm.normalized_shape[0]
    ids = torch.from_numpy(tok.batch(["a misty lake at sunrise with reflections of pine-covered hills", ""]))
    with torch.no_grad():
        to_onnx(te, (ids,), "text_encoder", os.path.join(out, "text_encoder", "model.onnx"))
        ctx = te(ids)
        x = torch.randn(2, vae.z, L, L, generator=torch.Generator().manual_seed(0))
        t = torch.tensor([999.0, 499.0])
        to_onnx(unet, (x, t, ctx), "unet", os.path.join(out, "unet", "model.onnx"))
        v = unet(x, t, ctx)
        dec = DecoderExport(vae.dec)
        z = torch.randn(1, vae.z, L, L, generator=torch.Generator().manual_seed(1))
        to_onnx(dec, (z,), "vae_decoder", os.path.join(out, "vae_decoder", "model.onnx"))
        img = dec(z)
        # the trained encoder itself, for starting from a picture (a model exported before this had
        # its encoder fitted afterwards by fit_encoder.py): `latent_sample` = the mean, unscaled
        os.makedirs(os.path.join(out, "vae_encoder"), exist_ok=True)
        pic = torch.rand(1, 3, S, S, generator=torch.Generator().manual_seed(2)) * 2 - 1
        to_onnx(LatentExport(vae.enc.eval()), (pic,), "vae_encoder", os.path.join(out, "vae_encoder", "model.onnx"))
    # decoder_channels: the architecture, for fit_encoder.py and from_onnx.py (which rebuild PyTorch modules from the ONNX files)
    dump({"scaling_factor": info["scaling_factor"], "latent_channels": vae.z, "sample_size": S,
          "downsampling": vae.down, "decoder_channels": list(vae.dec_ch)},
         "vae_decoder", "config.json")
    dump({"scaling_factor": info["scaling_factor"], "latent_channels": vae.z, "sample_size": S,
          "downsampling": vae.down, "decoder_channels": list(vae.dec_ch)}, "vae_encoder", "config.json")
    dump({"_class_name": "EulerDiscreteScheduler", "_diffusers_version": "0.27.0",
          "num_train_timesteps": NUM_TRAIN_TIMESTEPS, "beta_start": BETA_START, "beta_end": BETA_END,
          "beta_schedule": "scaled_linear", "rescale_betas_zero_snr": True,
          "prediction_type": "v_prediction", "timestep_spacing": "trailing", "steps_offset": 0,
          "interpolation_type": "linear", "use_karras_sigmas": False, "trained_betas": None},
         "scheduler", "scheduler_config.json")
    dump({"_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": "0.27.0",
          "text_encoder": ["diffusers", "OnnxRuntimeModel"],
          "tokenizer": ["transformers", "PreTrainedTokenizerFast"],
          "unet": ["diffusers", "OnnxRuntimeModel"],
          "vae_decoder": ["diffusers", "OnnxRuntimeModel"],
          "vae_encoder": ["diffusers", "OnnxRuntimeModel"],
          "scheduler": ["diffusers", "EulerDiscreteScheduler"],
          "safety_checker": [None, None], "feature_extractor": [None, None],
          "requires_safety_checker": False}, "model_index.json")
    dump({"name": "lumen-landscapes",
          "description": "Small text-to-image latent diffusion model of landscapes and light "
                         "(time of day, sky, terrain, water, season, weather), trained from scratch "
                         f"on procedural renders. {S}x{S} native.",
          # The engine names the domain when a prompt has words the tokenizer cannot read.
          "domain": "landscapes and light",
          "defaults": {"steps": a.steps, "guidance": a.guidance, "guidanceStart": a.guidance_start,
                       "scheduler": "euler",
                       "width": S, "height": S},
          "nativeSize": [S, S],
          # Two stride-2 levels in the UNet: latent sides must be multiples of 4 (pixels of 4 x the
          # autoencoder's factor). Other aspects run at about the native area (the engine's choice).
          "sizeMultiple": 4 * vae.down,
          # the autoencoder's factor (the engine's default is SD's 8)
          "vaeScale": vae.down,
          "latentRgb": info["latent_rgb"],
          "latentRgbBias": info["latent_rgb_bias"],
          "latentRgbNote": "applies to the scaled latents of the denoising loop (before division "
                           f"by scaling_factor); gives the mean RGB (0..1) of each {vae.down}x{vae.down} patch",
          "textEncoderDim": D, "trainingSteps": step},
         "lumen.json")
    cases = ["a misty lake at sunrise with reflections of pine-covered hills", "",
             "A Misty LAKE at Sunrise!!", "photo of snowy mountains, 4k", "4K HDR wallpaper",
             "sunset over the sea... beautiful", "Golden-hour dunes (desert) 8k",
             "a castle on a hill at night", "night sky with stars, moonlit lake",
             "rolling hills;autumn:fog", "café in Paris", "storm clouds over the ocean?!",
             "   leading and trailing spaces   ", "tabs\tand\nnewlines", "under_score word_word",
             "numbers 123 and 4k and 10", "<bos> literal special tokens <eos>",
             "an extremely long prompt " + " ".join(["with many many words"] * 12),
             "blue hour, twilight, dusk", "snow-covered pines in winter with falling snow",
             "Fjord with Aurora Borealis"]
    # reference values for checking the ONNX files with onnxruntime
    dump({"tokenizer_cases": [{"text": c, "ids": tok(c), "encode": tok.encode(c)} for c in cases],
          "input_ids": ids.tolist(), "last_hidden_state_sum": float(ctx.sum()),
          "last_hidden_state_first": ctx[0, 0, :8].tolist(),
          "unet_sample_seed0": x.flatten().tolist(), "unet_timestep": t.tolist(),
          "unet_out_first": v.flatten()[:16].tolist(), "unet_out_sum": float(v.sum()),
          "unet_out_abs_sum": float(v.abs().sum()),
          "vae_latent": z.flatten().tolist(), "vae_out_sum": float(img.sum()),
          "vae_out_first": img.flatten()[:16].tolist()}, os.path.abspath(os.path.join(a.runs, "check.json")))
    if a.reference is None:
        shipped = os.path.abspath(a.out) == os.path.abspath("models/lumen-landscapes")
        a.reference = ("tests/fixtures/lumen-landscapes-reference.json" if shipped
                       else os.path.join(a.runs, "sampling-reference.json"))
    write_sampling_reference(tok, te, unet, a, L)
    total = 0
    for root, _, files in os.walk(out):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    print(f"exported {path} (step {step}) to {out}: {total / 1e6:.2f} MB; unet {count(unet)}, "
          f"text encoder {count(te)}, vae decoder {count(vae.dec)} parameters")


if __name__ == "__main__":
    main()
