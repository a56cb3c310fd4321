"""Screen trained autoencoders before a UNet is trained on them (30 minutes of VAE, not 2 hours of recipe).

    /usr/bin/python3 models/training/landscapes/vaecheck.py RUNS/vae_final.pt ... [--pngs DIR]

For each VAE checkpoint, its reconstructions of the 240 evaluation renders that evaluate.py uses
for Realism: PSNR, the Frechet distance of the classifier's features to the renders', and fine
detail (mean |Laplacian| / the renders'). The generated pictures come out about as far from the
renders as these reconstructions (model card, Realism), so they bound what a UNet on the VAE can do.

With --pngs DIR it also writes 384 fresh renders (seeds from 9,000,000, every kind of scene) to
DIR/renders/ and each VAE's reconstructions of them to DIR/<checkpoint's folder>/, for
    node --import tsx bench/safety-folder.ts DIR/*
which counts what the service's image filter withholds: an autoencoder that invents texture makes
the filter take landscapes for nudity before any UNet is trained on it.
"""
import argparse
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evaluate as E  # noqa: E402
from models import load_vae, reconstruct  # noqa: E402

SCREEN_SEED0, SCREEN_COUNT = 9_000_000, 384


def save_pngs(folder, images):
    os.makedirs(folder, exist_ok=True)
    for i, im in enumerate(images):
        Image.fromarray(im).save(os.path.join(folder, f"{i:03d}.png"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoints", nargs="+", help="VAE checkpoints (vae_final.pt)")
    ap.add_argument("--runs", default="models/training/runs",
                    help="the run (its config.json names the renderer) where the attribute classifier is cached")
    ap.add_argument("--pngs", help="write renders and reconstructions for bench/safety-folder.ts here")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    E.use_run(a.runs)  # the run's renderer (render3d at 256² for v2, render.py at 128² for v1)
    clf = E.build_classifier(a.runs)
    vecs = E.fixed_vectors(240)
    real, held = E.render_vectors(vecs), E.render_vectors(vecs, 500000)
    _, f_real = E.classify(clf, E.prep(real), feats=True)
    screen = None
    if a.pngs:
        screen = np.stack([E.render.render(SCREEN_SEED0 + i)[0] for i in range(SCREEN_COUNT)])
        save_pngs(os.path.join(a.pngs, "renders"), screen)
    print("| checkpoint | latent channels | PSNR (dB) | Frechet distance | fine detail |")
    print("|---|---|---|---|---|")
    for path in a.checkpoints:
        vae = load_vae(path)
        rec = reconstruct(vae, held)
        mse = np.mean((rec.astype(np.float64) - held) ** 2) / 127.5 ** 2
        _, f_rec = E.classify(clf, E.prep(rec), feats=True)
        print(f"| {path} | {vae.z} | {10 * np.log10(4 / mse):.1f} | {E.frechet(f_rec, f_real):.0f} | "
              f"{E.detail(rec) / E.detail(real):.2f} |", flush=True)
        if screen is not None:
            name = os.path.basename(os.path.dirname(os.path.abspath(path)))
            save_pngs(os.path.join(a.pngs, name), reconstruct(vae, screen))


if __name__ == "__main__":
    main()
