"""Measure lumen-landscapes: prompt adherence, diversity, PyTorch denoising time; draw samples.

    /usr/bin/python3 models/training/landscapes/evaluate.py [--runs models/training/runs]
        [--out models/lumen-landscapes] [--steps 8] [--guidance 8] [--guidance-start 0.75]

1. An attribute classifier (small CNN, one head per attribute) is trained on renders the generator
   never saw (seeds from 10,000,000; the generator was trained on seeds 0..count-1). Cached in
   <runs>/classifier.pt; `--classifier-only` builds just that.
2. Adherence: 240 fixed attribute vectors -> a plain prompt naming every attribute -> one generated
   image each (PyTorch, same weights and the same Euler trailing sampler as the engine). Per-attribute
   accuracy of the classifier on those images, next to its accuracy on real renders of the same
   vectors (the ceiling).
3. Diversity: 24 of those prompts x 8 seeds; mean pairwise L2 distance of the classifier's
   penultimate features among the 8 generated images, divided by the same for 8 real renders of
   the prompt's attribute vector.
4. Realism: the Frechet distance between the classifier's penultimate features of the 240 generated
   images and of the 240 real renders (FID's formula on this classifier's features; the floor is the
   same distance between two sets of real renders of the same vectors), and fine detail: the mean
   |Laplacian| of the generated images divided by the renders' (1.0 = as crisp as the data). Both
   also for the VAE's own reconstructions of renders: the best the decoder can do for any UNet.
5. Speed: median over 10 runs of the PyTorch eager denoising loop (default steps) for one image,
   and of the whole text -> native-size image pipeline; then the TypeScript engine on the exported
   model in <out> (bench/engine.ts, same threads, at the model's native size) and the whole `npx lumen generate` command at
   512x512 (bench/cli.ts, as a user runs it); `--no-engine-speed` skips those two.
Writes <runs>/eval.json, and <out>/samples.png.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from captions import attribute_prompt  # noqa: E402
from models import (add_sampling_args, data_sets, reconstruct, renderer, run_config, sample, to_tensor,  # noqa: E402
                    to_u8)
from export import load  # noqa: E402

CLS_SEED0, REAL_SEED0 = 10_000_000, 20_000_000
# The renderer of the run being measured (set by use_run; v1's render.py until then): its scenes,
# attributes (6 for render.py, 7 with render3d's view) and image size.
render = renderer("2d")
ATTRS = render.ATTRS


def use_run(runs):
    global render, ATTRS
    render = renderer(run_config(runs)["renderer"])
    ATTRS = render.ATTRS


class Classifier(nn.Module):
    def __init__(self, sizes=None):
        super().__init__()
        c = [3, 32, 64, 96, 128]
        layers = []
        for a, b in zip(c[:-1], c[1:]):
            layers += [nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU(), nn.MaxPool2d(2)]
        self.body = nn.Sequential(*layers)  # 64 -> 4
        self.feat = nn.Sequential(nn.Flatten(), nn.Linear(128 * 16, 128), nn.ReLU())
        self.heads = nn.ModuleList([nn.Linear(128, k) for k in (sizes or [len(v) for _, v in ATTRS])])

    def features(self, x):
        return self.feat(self.body(x))

    def forward(self, x):
        f = self.features(x)
        return [h(f) for h in self.heads]


def prep(u8, batch=500):
    """uint8 [n,S,S,3] -> float [n,3,64,64] in [-1,1] (area average, S = 128 or 256)"""
    return torch.cat([F.adaptive_avg_pool2d(to_tensor(u8[i:i + batch]), 64) for i in range(0, len(u8), batch)])


def build_classifier(runs, n=10000, minutes=5.0):
    path = os.path.join(runs, "classifier.pt")
    if os.path.exists(path):
        m = Classifier()
        m.load_state_dict(torch.load(path)["model"])
        m.eval()
        return m
    data = os.path.join(runs, "data", "classifier")
    if not os.path.exists(data + "_attrs.npy"):
        os.makedirs(os.path.dirname(data), exist_ok=True)  # a GPU host's run comes back without data/
        render.render_many(np.arange(CLS_SEED0, CLS_SEED0 + n), data, workers=os.cpu_count())
    imgs = np.load(data + "_images.npy", mmap_mode="r")
    attrs = torch.from_numpy(np.load(data + "_attrs.npy").astype(np.int64))
    x_all = prep(imgs)
    ntr = int(len(x_all) * 0.9)
    m = Classifier()
    opt = torch.optim.AdamW(m.parameters(), 2e-3, weight_decay=1e-4)
    t0, step = time.time(), 0
    rng = np.random.default_rng(0)
    while time.time() - t0 < minutes * 60:
        idx = torch.from_numpy(rng.choice(ntr, 128, replace=False))
        x = x_all[idx]
        if rng.random() < 0.5:
            x = x.flip(3)
        frac = (time.time() - t0) / (minutes * 60)
        for g in opt.param_groups:
            g["lr"] = 2e-3 * 0.5 * (1 + np.cos(np.pi * min(frac, 1)))
        out = m(x)
        loss = sum(F.cross_entropy(o, attrs[idx, k]) for k, o in enumerate(out))
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0:
            print(f"classifier step {step} loss {loss.item():.3f}", flush=True)
    m.eval()
    with torch.no_grad():
        pred = classify(m, x_all[ntr:])
    acc = (pred == attrs[ntr:].numpy()).mean(0)
    print("classifier held-out accuracy", dict(zip([k for k, _ in ATTRS], acc.round(3).tolist())))
    torch.save({"model": m.state_dict(), "heldout_acc": acc.tolist()}, path)
    return m


@torch.no_grad()
def classify(m, x, feats=False):
    preds, fs = [], []
    for i in range(0, len(x), 256):
        f = m.features(x[i:i + 256])
        preds.append(np.stack([h(f).argmax(1).numpy() for h in m.heads], 1))
        fs.append(f.numpy())
    p = np.concatenate(preds)
    return (p, np.concatenate(fs)) if feats else p


@torch.no_grad()
def generate(tok, te, unet, vae, info, prompts, seeds, steps, guidance, guidance_start, batch=32, frame=None):
    """uint8 pictures of `prompts`, square at the native size or in `frame` (width, height)."""
    out = []
    uncond_ids = torch.from_numpy(tok.batch([""]))
    uc = te(uncond_ids)
    L = info["latent_size"]
    shape = (vae.z, L, L) if frame is None else (vae.z, frame[1] // vae.down, frame[0] // vae.down)
    for i in range(0, len(prompts), batch):
        ps, ss = prompts[i:i + batch], seeds[i:i + batch]
        cond = te(torch.from_numpy(tok.batch(ps)))
        noise = torch.stack([torch.randn(shape, generator=torch.Generator().manual_seed(int(s))) for s in ss])
        lat = sample(unet, cond, uc.expand(len(ps), -1, -1), guidance, steps, noise=noise,
                     guidance_start=guidance_start)
        out.append(to_u8(vae.dec(lat / info["scaling_factor"])))
    return np.concatenate(out)


def render_vectors(vecs, offset=0):
    """Real renders of the fixed attribute vectors (offset 0: the ceiling; 500,000: a second set)."""
    return np.stack([render.render(REAL_SEED0 + offset + i, v)[0] for i, v in enumerate(vecs)])


def fixed_vectors(n=240):
    rng = np.random.default_rng(12345)
    return np.stack([render.sample_attributes(rng) for _ in range(n)])


def mean_pairwise(f):
    d = np.sqrt(((f[:, None] - f[None]) ** 2).sum(-1))
    k = len(f)
    return d.sum() / (k * (k - 1))


def frechet(f1, f2):
    """Frechet distance between Gaussians fitted to two feature sets (the formula of FID)."""
    c1, c2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    # tr sqrtm(c1 c2) = the sum of the square roots of c1 c2's eigenvalues (real and >= 0 for two
    # covariance matrices, up to rounding): NumPy alone, as Debian's python3 has no SciPy here
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvals(c1 @ c2).real, 0, None)).sum()
    return float(((f1.mean(0) - f2.mean(0)) ** 2).sum() + np.trace(c1 + c2) - 2 * tr_sqrt)


def detail(u8):
    """Mean |Laplacian| of the grey image, in 0..255 units: how much fine detail a set of images has."""
    x = u8.astype(np.float32).mean(-1)
    lap = 4 * x[:, 1:-1, 1:-1] - x[:, :-2, 1:-1] - x[:, 2:, 1:-1] - x[:, 1:-1, :-2] - x[:, 1:-1, 2:]
    return float(np.abs(lap).mean())


def engine_speed(a, pytorch_denoise_ms):
    """The TypeScript engine and the CLI on the exported model, through the project's benchmarks."""
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

    def bench(script, *args):
        out = subprocess.run(["node", "--import", "tsx", f"bench/{script}", "--runs", "10", "--json", *args],
                             cwd=root, check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().split("\n")[-1])

    model = os.path.abspath(a.out)
    engine = bench("engine.ts", "--model-dir", model, "--threads", str(a.threads))["models"][0]
    cli = bench("cli.ts", "--model", model)
    unet_loop = engine["unetPerStepMs"] * engine["steps"]
    return {
        "engine_ms": {"threads": a.threads, "unet_per_step_median": round(engine["unetPerStepMs"], 2),
                      "unet_loop": round(unet_loop, 1), "text_to_image_median": round(engine["totalMs"], 1),
                      "pytorch_over_engine": round(pytorch_denoise_ms / unet_loop, 2)},
        "cli_512px_ms": {name: {k: None if v is None else round(v) for k, v in row.items()}
                         for name, row in cli["commands"].items()},
    }


def write_samples(a, tok, te, unet, vae, info):
    """<out>/samples.png: 12 prompts x 2 seeds, two prompts per row."""
    grid_prompts = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample_prompts.json")))
    seeds = [3, 11]
    prompts = [p for p in grid_prompts for _ in seeds]
    imgs = generate(tok, te, unet, vae, info, prompts, [s for _ in grid_prompts for s in seeds],
                    a.steps, a.guidance, a.guidance_start)
    rows = []
    for r in range(len(grid_prompts) // 2):
        tiles = [imgs[(2 * r + j) * len(seeds) + k] for j in range(2) for k in range(2)]
        rows.append(np.concatenate(tiles, 1))
    grid = np.concatenate(rows, 0)
    os.makedirs(a.out, exist_ok=True)
    Image.fromarray(grid).save(os.path.join(a.out, "samples.png"), optimize=True)
    with open(os.path.join(a.runs, "samples_prompts.txt"), "w") as f:
        f.write("\n".join(grid_prompts) + "\n")
    write_frames(a, tok, te, unet, vae, info)


# the first thing a new user asks the model for (models/training/README.md, "Shipping a trained model")
FIRST_PROMPT = "golden hour over a mountain lake with reflections"


def write_frames(a, tok, te, unet, vae, info, seeds=(1, 2, 3)):
    """<out>/frames.png: FIRST_PROMPT at three seeds in each frame the run trained on (a row each),
    so that one look says whether the model draws it, and in every shape the engine asks for."""
    frames = [frame for _, frame in data_sets(a.runs)]
    rows = [generate(tok, te, unet, vae, info, [FIRST_PROMPT] * len(seeds), list(seeds), a.steps, a.guidance,
                     a.guidance_start, frame=f) for f in frames]
    pad = 4
    width = max(len(seeds) * (w + pad) for w, _ in frames)
    canvas = Image.new("RGB", (width, sum(h + pad for _, h in frames)), (255, 255, 255))
    y = 0
    for (w, h), imgs in zip(frames, rows):
        for k, im in enumerate(imgs):
            canvas.paste(Image.fromarray(im), (k * (w + pad), y))
        y += h + pad
    canvas.save(os.path.join(a.out, "frames.png"), optimize=True)


def main():
    ap = argparse.ArgumentParser()
    add_sampling_args(ap)
    ap.add_argument("--save-as", default="eval.json", help="file name under --runs (a sweep keeps each)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--classifier-only", action="store_true")
    ap.add_argument("--classifier-count", type=int, default=10000)
    ap.add_argument("--classifier-minutes", type=float, default=5.0)
    ap.add_argument("--samples-only", action="store_true")
    ap.add_argument("--no-samples", action="store_true", help="keep <out>/samples.png (for sweeps)")
    ap.add_argument("--no-engine-speed", action="store_true", help="skip the engine and CLI benchmarks")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    use_run(a.runs)
    names = [k for k, _ in ATTRS]
    if not a.samples_only:
        clf = build_classifier(a.runs, a.classifier_count, a.classifier_minutes)
        if a.classifier_only:
            return
    tok, te, unet, vae, info, step, ck = load(a.runs)

    if not a.no_samples:
        write_samples(a, tok, te, unet, vae, info)
    if a.samples_only:
        return

    # adherence
    vecs = fixed_vectors(240)
    prompts = [attribute_prompt(v) for v in vecs]
    gen = generate(tok, te, unet, vae, info, prompts, list(range(len(vecs))), a.steps, a.guidance, a.guidance_start)
    real = render_vectors(vecs)
    pg, fg = classify(clf, prep(gen), feats=True)
    pr, fr = classify(clf, prep(real), feats=True)
    real2 = render_vectors(vecs, 500000)
    _, fr2 = classify(clf, prep(real2), feats=True)
    rec = reconstruct(vae, real2)
    _, frec = classify(clf, prep(rec), feats=True)
    acc_gen = (pg == vecs).mean(0)
    acc_real = (pr == vecs).mean(0)
    # brightness check: night prompts darker than midday prompts
    night = gen[vecs[:, 0] == 7].mean() if (vecs[:, 0] == 7).any() else None
    midday = gen[vecs[:, 0] == 3].mean() if (vecs[:, 0] == 3).any() else None

    # diversity
    dv = vecs[:24]
    dp = [attribute_prompt(v) for v in dv]
    gen_d = generate(tok, te, unet, vae, info, [p for p in dp for _ in range(8)],
                     [1000 + 8 * i + k for i in range(24) for k in range(8)], a.steps, a.guidance, a.guidance_start)
    real_d = np.stack([render.render(REAL_SEED0 + 100000 + 8 * i + k, v)[0]
                       for i, v in enumerate(dv) for k in range(8)])
    _, fgd = classify(clf, prep(gen_d), feats=True)
    _, frd = classify(clf, prep(real_d), feats=True)
    dg = np.mean([mean_pairwise(fgd[8 * i:8 * i + 8]) for i in range(24)])
    dr = np.mean([mean_pairwise(frd[8 * i:8 * i + 8]) for i in range(24)])

    # speed (PyTorch eager, one image, CFG -> UNet batch 2)
    L = info["latent_size"]
    cond = te(torch.from_numpy(tok.batch(["a misty lake at sunrise with reflections of pine-covered hills"])))
    uc = te(torch.from_numpy(tok.batch([""])))
    dn, full = [], []
    with torch.no_grad():
        for r in range(11):
            t0 = time.perf_counter()
            sample(unet, cond, uc, a.guidance, a.steps, noise=torch.randn(1, vae.z, L, L),
                   guidance_start=a.guidance_start)
            dn.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            c = te(torch.from_numpy(tok.batch(["a misty lake at sunrise"])))
            u = te(torch.from_numpy(tok.batch([""])))
            lat = sample(unet, c, u, a.guidance, a.steps, noise=torch.randn(1, vae.z, L, L),
                         guidance_start=a.guidance_start)
            vae.dec(lat / info["scaling_factor"])
            full.append(time.perf_counter() - t0)
    res = {
        "checkpoint": ck, "training_steps": step, "steps": a.steps, "guidance": a.guidance,
        "guidance_start": a.guidance_start,
        "adherence": {n: {"generated": round(float(g), 3), "real_ceiling": round(float(r), 3),
                          "ratio": round(float(g / max(r, 1e-9)), 3)}
                      for n, g, r in zip(names, acc_gen, acc_real)},
        "adherence_mean": {"generated": round(float(acc_gen.mean()), 3),
                           "real_ceiling": round(float(acc_real.mean()), 3),
                           "ratio": round(float(acc_gen.mean() / acc_real.mean()), 3)},
        "diversity": {"generated": round(float(dg), 3), "real": round(float(dr), 3),
                      "ratio": round(float(dg / dr), 3)},
        "realism": {"frechet_distance": round(frechet(fg, fr), 1), "frechet_floor": round(frechet(fr2, fr), 1),
                    "detail_ratio": round(detail(gen) / detail(real), 3),
                    "vae_reconstruction": {"frechet_distance": round(frechet(frec, fr), 1),
                                           "detail_ratio": round(detail(rec) / detail(real), 3)}},
        "mean_brightness": {"night_prompts": None if night is None else round(float(night), 1),
                            "midday_prompts": None if midday is None else round(float(midday), 1)},
        "image_size": info["image_size"], "latent_size": L,
        "pytorch_eager_ms": {"threads": a.threads,
                             "denoise_median": round(1000 * float(np.median(dn[1:])), 1),
                             "text_to_image_median": round(1000 * float(np.median(full[1:])), 1)},
        "n_prompts": len(vecs), "diversity_prompts": 24, "diversity_seeds": 8,
    }
    if not a.no_engine_speed:
        res.update(engine_speed(a, float(np.median(dn[1:])) * 1000))
    with open(os.path.join(a.runs, a.save_as), "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
