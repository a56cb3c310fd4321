"""Fit a vae_encoder to a model whose autoencoder was exported as a decoder only.

    /usr/bin/python3 models/training/landscapes/fit_encoder.py [--model models/lumen-landscapes]
        [--count 4000] [--steps 1000] [--crop 64] [--threads 2] [--work models/training/runs-encoder]

lumen-landscapes shipped its decoder alone, and the training checkpoint it came from is gone; pictures
from pictures need the other half. This trains a fresh Encoder (the recipe's architecture) against the
shipped decoder, frozen and loaded from its ONNX file, so that decoder(encoder(render)) gives the render
back, with the latents kept at the spread the UNet was trained on (1 / scaling_factor). It writes
<model>/vae_encoder/model.onnx with a `latent_sample` output (the latent itself, unscaled, as
older optimum exports have it) and config.json, and <work>/encoder.json with the reconstruction PSNR.
Resumable: renders and checkpoints stay in --work.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import to_onnx  # noqa: E402
from from_onnx import recover  # noqa: E402
from models import VAE_CHANNELS, Decoder, DecoderExport, Encoder, LatentExport, count, renderer, to_tensor  # noqa: E402


def renders(work, n, workers, size):
    """Renders by the renderer of the model's size: render3d.py for 256² (v2), render.py for 128² (v1)."""
    prefix = os.path.join(work, f"renders{size}")
    if not os.path.exists(prefix + "_attrs.npy"):
        os.makedirs(work, exist_ok=True)
        renderer("3d" if size == 256 else "2d").render_many(np.arange(900_000, 900_000 + n), prefix, log_every=1000, workers=workers)
    return np.load(prefix + "_images.npy", mmap_mode="r")


def psnr(a, b):
    return float(10 * torch.log10(4 / F.mse_loss(a.clamp(-1, 1), b)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/lumen-landscapes")
    ap.add_argument("--work", default="models/training/runs-encoder")
    ap.add_argument("--count", type=int, default=4000)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--crop", type=int, default=64)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = json.load(open(os.path.join(a.model, "vae_decoder", "config.json")))
    z, target_std = cfg["latent_channels"], 1 / cfg["scaling_factor"]
    size, f = cfg.get("sample_size", 128), cfg.get("downsampling", 8)
    dec = Decoder(ch=tuple(cfg.get("decoder_channels") or VAE_CHANNELS["v1"][1]), z=z)
    dec = recover(DecoderExport(dec), (torch.randn(1, z, size // f, size // f),), "vae_decoder", a.model).dec.eval()
    for p in dec.parameters():
        p.requires_grad_(False)
    imgs = renders(a.work, a.count, a.threads, size)
    held = to_tensor(imgs[-64:])  # the last renders judge the fit and are never trained on
    train_n = len(imgs) - 64
    enc = Encoder(ch=VAE_CHANNELS["v1"][0] if f == 8 else VAE_CHANNELS[f][0], z=z)
    opt = torch.optim.Adam(enc.parameters(), lr=1e-3)
    ck = os.path.join(a.work, "encoder.pt")
    step = 0
    if os.path.exists(ck):
        st = torch.load(ck)
        enc.load_state_dict(st["enc"]), opt.load_state_dict(st["opt"])
        step = st["step"]
    print(f"encoder: {count(enc)} parameters, {z} latent channels, target latent std {target_std:.3f}, from step {step}",
          flush=True)
    rng = np.random.default_rng(step)
    t0, t_ck = time.time(), time.time()
    while step < a.steps:
        for g in opt.param_groups:  # cosine to a tenth
            g["lr"] = 1e-3 * (0.1 + 0.45 * (1 + np.cos(np.pi * step / a.steps)))
        # 64x64 crops on the latent grid, as the autoencoder itself was trained: a quarter of the work
        y0, x0 = (int(v) * f for v in rng.integers(0, (imgs.shape[1] - a.crop) // f + 1, 2))
        x = to_tensor(imgs[np.sort(rng.choice(train_n, 32, replace=False)), y0:y0 + a.crop, x0:x0 + a.crop])
        lat = enc(x).chunk(2, dim=1)[0]
        rec = dec(lat)
        # the spread term keeps latents where the UNet was trained: a decoder inverted without it
        # accepts latents the denoiser has never seen
        loss = F.l1_loss(rec, x) + 0.05 * (lat.std() - target_std) ** 2 + 0.01 * lat.mean(dim=(0, 2, 3)).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0:
            with torch.no_grad():
                hl = enc(held).chunk(2, dim=1)[0]
                print(f"step {step}/{a.steps} {(time.time() - t0) / 60:.1f} min loss {loss.item():.4f} "
                      f"held-out psnr {psnr(dec(hl), held):.2f} dB latent std {hl.std():.3f}", flush=True)
        if time.time() - t_ck > 120 or step == a.steps:
            torch.save({"enc": enc.state_dict(), "opt": opt.state_dict(), "step": step}, ck + ".tmp")
            os.replace(ck + ".tmp", ck)
            t_ck = time.time()
    enc.eval()
    with torch.no_grad():
        hl = enc(held).chunk(2, dim=1)[0]
        result = {"steps": step, "heldout_psnr_db": psnr(dec(hl), held), "latent_std": float(hl.std()),
                  "target_latent_std": target_std, "renders": len(imgs)}
    out = os.path.join(a.model, "vae_encoder")
    os.makedirs(out, exist_ok=True)
    pic = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(2)) * 2 - 1
    to_onnx(LatentExport(enc), (pic,), "vae_encoder", os.path.join(out, "model.onnx"))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    with open(os.path.join(a.work, "encoder.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
