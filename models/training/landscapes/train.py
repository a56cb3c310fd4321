"""Train lumen-landscapes from scratch: render data, VAE, latents, text encoder + UNet, then export
the ONNX model and measure it (export.py, evaluate.py).

One command runs every stage; rerunning it resumes from the last checkpoint, and stages that are
finished are skipped. Each training stage runs for a wall-clock budget (the learning-rate schedule
follows the elapsed fraction of that budget, so a resumed run continues the same schedule).

    /usr/bin/python3 models/training/landscapes/train.py --all
    # v2 (the default): --renderer 3d, renders at 256², 320x192 and 192x320 (the engine's frames), x16
    #   autoencoder to 16x16x8 latents (20x12, 12x20); 25,000 scenes,
    #   VAE 35 min, UNet 72 min: <= 3 h on 2 cores with export and evaluation (models/training/README.md)
    # v1: --renderer 2d (128², 16x16x8 latents, 52,000 scenes, VAE 30 min, UNet 68 min)
    # --stage data,vae,... runs the named stages only (gpu_host.sh: all but evaluate, on a GPU host)
    # options: --runs DIR (default models/training/runs) --out DIR (default models/lumen-landscapes)
    #          --count --threads 2 --unet-ch 64,96,144 --vae-down 8|16 --vae-minutes --unet-minutes
    #          --latent-channels 8 --vae-critic 0.1 --vae-crop --vae-batch --unet-batch
    #          --device auto|cpu|cuda (auto: CUDA when PyTorch sees a GPU; renders stay on --threads CPUs)
"""
import argparse
import json
import math
import os
import sys
import time

# torch runs its own intra-op threads; OpenBLAS threads on top of them oversubscribe the cores (on 2
# cores, two torch threads with OpenBLAS threading train the UNet 2x slower than one thread, and
# 1.24x faster than one thread without it).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from captions import Tokenizer, training_caption  # noqa: E402
from models import (VAE, VAE_CHANNELS, PatchCritic, TextEncoder, UNet, alphas_cumprod_zero_snr, count,  # noqa: E402
                    data_sets, load_vae, renderer, run_config, to_tensor)

UNET_CH = (64, 96, 144)
# The share of a run's scenes rendered in each of render3d.FRAMES (square, 320x192, 192x320), so
# that the UNet learns every frame the engine generates in rather than stretching squares: square
# is the default and what evaluate.py measures; 320x192 serves both 16:9 and 4:3 requests (slides);
# portrait is asked for least.
FRAME_SHARES = (0.5, 0.3, 0.2)
# A step that took longer than this (the process was stopped, the machine suspended) counts as this
# much of the wall-clock budget, so a pause does not eat a stage's schedule.
STEP_CAP_S = 30.0


def blas_warning():
    """Debian's python3-torch links the system's libblas.so.3: without an optimised BLAS installed
    that is the reference one, and the UNet's attention and feed-forward matmuls make a training
    step 6.5x slower (1.64 s against 0.25 s at batch 32 on 2 cores, docs/BENCHMARKS.md)."""
    try:
        maps = open("/proc/self/maps").read()
    except OSError:
        return None
    libs = {line.split()[-1] for line in maps.splitlines() if "blas" in line}
    if any("/blas/libblas.so" in lib for lib in libs) and not any("openblas" in lib or "mkl" in lib for lib in libs):
        return ("warning: PyTorch runs on the reference BLAS; `apt-get install libopenblas0-pthread` "
                "trains the UNet about 6x faster")
    return None


def log(runs, msg):
    line = f"{time.strftime('%H:%M:%S')} {msg}"
    print(line, flush=True)
    with open(os.path.join(runs, "train.log"), "a") as f:
        f.write(line + "\n")


def save(obj, path):
    """Atomically, with every tensor on the CPU: checkpoints trained on CUDA load anywhere."""
    torch.save(on_cpu(obj), path + ".tmp")
    os.replace(path + ".tmp", path)


def on_cpu(obj):
    if torch.is_tensor(obj):
        return obj.cpu()
    if isinstance(obj, dict):
        return {k: on_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(on_cpu(v) for v in obj)
    return obj


def lr_at(frac, base, warm_frac=0.03, floor=0.05):
    if frac < warm_frac:
        return base * frac / warm_frac
    p = (frac - warm_frac) / (1 - warm_frac)
    return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(p, 1.0))))


# ----------------------------------------------------------------------------------------------

def setup_run(a):
    """Fix the run's renderer, size and autoencoder factor in <runs>/config.json on its first start;
    a resumed run keeps them whatever the command line says (the data and checkpoints are theirs)."""
    path = os.path.join(a.runs, "config.json")
    if os.path.exists(path):
        cfg = run_config(a.runs)
        asked = {"renderer": a.renderer, "vae_down": a.vae_down}
        if any(cfg[k] != v for k, v in asked.items() if v is not None):
            log(a.runs, f"config: this run was started with {cfg}; keeping it (a fresh --runs folder for others)")
    else:
        r = a.renderer or "3d"
        cfg = {"renderer": r, "size": renderer(r).OUT, "vae_down": a.vae_down or (16 if r == "3d" else 8)}
        if r == "3d":
            cfg.update(frames=[list(f) for f in renderer(r).FRAMES], frame_shares=list(FRAME_SHARES))
        with open(path, "w") as f:
            json.dump(cfg, f, indent=1)
    a.renderer, a.size, a.vae_down = cfg["renderer"], cfg["size"], cfg["vae_down"]
    a.frame_shares = cfg.get("frame_shares", [1.0])
    a.latent = a.size // a.vae_down


def stage_data(a):
    """--count scenes split over the run's frames by their shares, seeds numbered on from one set
    to the next (every scene differs); a finished set is skipped when the stage resumes."""
    sets = data_sets(a.runs)
    counts = np.floor(np.asarray(a.frame_shares) * a.count).astype(int)
    counts[0] += a.count - counts.sum()
    seed0 = 0
    for (prefix, frame), n in zip(sets, counts):
        seeds, seed0 = np.arange(seed0, seed0 + n), seed0 + n
        if os.path.exists(prefix + "_attrs.npy"):
            continue
        os.makedirs(os.path.dirname(prefix), exist_ok=True)
        log(a.runs, f"data: rendering {n} scenes with the {a.renderer} renderer at {frame[0]}x{frame[1]}")
        t0 = time.time()
        square = frame == (a.size, a.size)  # render.py (2d) draws squares only
        renderer(a.renderer).render_many(seeds, prefix, workers=a.threads, **({} if square else {"frame": frame}))
        log(a.runs, f"data: {n} scenes in {(time.time() - t0) / 60:.1f} min")


def load_images(prefix):
    return np.load(prefix + "_images.npy", mmap_mode="r"), np.load(prefix + "_attrs.npy")


def latents_file(a, frame):
    """The square set's latents are latents.npy (as in runs from before frames), the others by frame."""
    square = frame == (a.size, a.size)
    return os.path.join(a.runs, "latents.npy" if square else f"latents_{frame[0]}x{frame[1]}.npy")


def stage_vae(a):
    """L1 + L2 + a small KL. With --vae-critic W, the second half of the budget adds a patch critic
    (hinge loss, weight W x the gradient-balanced weight) and feature matching: L1 + L2 alone trade
    texture for PSNR, so foliage, ripples and snow come out smooth; the critic makes the encoder put
    that texture into the latents, where the UNet can learn it."""
    final = os.path.join(a.runs, "vae_final.pt")
    if os.path.exists(final):
        return
    ck = os.path.join(a.runs, "vae.pt")
    imgs, _ = load_images(data_sets(a.runs)[0][0])  # crops of the square scenes: the VAE is convolutional
    n = len(imgs)
    if a.renderer == "2d" and a.vae_down == 8:
        enc_ch, dec_ch = VAE_CHANNELS["v1"]
    else:
        enc_ch, dec_ch = VAE_CHANNELS[a.vae_down]
    vae = VAE(z=a.latent_channels, enc_ch=enc_ch, dec_ch=dec_ch).to(a.device)
    critic = PatchCritic().to(a.device) if a.vae_critic else None
    betas = (0.5, 0.9) if critic else (0.9, 0.999)  # GAN-style momentum once a critic plays
    opt = torch.optim.Adam(vae.parameters(), lr=1e-3, betas=betas)
    opt_c = torch.optim.Adam(critic.parameters(), lr=2e-4, betas=(0.5, 0.9)) if critic else None
    step, elapsed = 0, 0.0
    if os.path.exists(ck):
        st = torch.load(ck, map_location=a.device)
        vae.load_state_dict(st["vae"]), opt.load_state_dict(st["opt"])
        if critic:
            critic.load_state_dict(st["critic"]), opt_c.load_state_dict(st["opt_c"])
        step, elapsed = st["step"], st["elapsed"]
        log(a.runs, f"vae: resumed at step {step}, {elapsed / 60:.1f} min")
    else:
        log(a.runs, f"vae: {count(vae.enc)} + {count(vae.dec)} parameters, x{vae.down} to {vae.z} latent "
                    f"channels, {a.vae_crop}² crops, batch {a.vae_batch}, critic weight {a.vae_critic}")
    budget = a.vae_minutes * 60
    rng = np.random.default_rng(1000 + step)
    t_last, t_ck, acc = time.time(), time.time(), []
    crop, bs, size, f = min(a.vae_crop, a.size), a.vae_batch, a.size, vae.down
    last = vae.dec.out[-1].weight
    while elapsed < budget:
        frac = elapsed / budget
        idx = np.sort(rng.choice(n, bs, replace=False))
        batch = imgs[idx]
        ox, oy = rng.integers(0, size - crop + 1, 2) // f * f
        x = to_tensor(batch[:, oy:oy + crop, ox:ox + crop]).to(a.device)
        if rng.random() < 0.5:
            x = x.flip(3)
        for g in opt.param_groups:
            g["lr"] = lr_at(frac, 1e-3)
        rec, mean, logvar = vae(x)
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).mean()
        l1 = (rec - x).abs().mean()
        l2 = (rec - x).pow(2).mean()
        loss, w = l1 + l2 + 1e-4 * kl, 0.0
        if critic and frac >= 0.5:
            score, fake = critic(rec)
            with torch.no_grad():
                _, real = critic(x)
            loss = loss + sum((f - r).abs().mean() for f, r in zip(fake, real)) / len(fake)
            # balance the critic's gradient against the reconstruction's at the decoder's last layer
            g_rec = torch.autograd.grad(loss, last, retain_graph=True)[0]
            g_adv = torch.autograd.grad(-score.mean(), last, retain_graph=True)[0]
            w = a.vae_critic * float((g_rec.norm() / (g_adv.norm() + 1e-4)).clamp(0, 1e4))
            loss = loss - w * score.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if critic and frac >= 0.45:  # the critic starts a little before it is used
            lc = F.relu(1 - critic(x)[0]).mean() + F.relu(1 + critic(rec.detach())[0]).mean()
            opt_c.zero_grad(set_to_none=True)
            lc.backward()
            opt_c.step()
        step += 1
        now = time.time()
        elapsed += min(now - t_last, STEP_CAP_S)
        t_last = now
        acc.append([l1.item(), l2.item(), kl.item(), w])
        if step % 100 == 0:
            m = np.mean(acc, 0)
            psnr = 10 * math.log10(4 / max(m[1], 1e-10))
            log(a.runs, f"vae step {step} {elapsed / 60:.1f}/{a.vae_minutes} min l1 {m[0]:.4f} "
                        f"psnr {psnr:.2f} kl {m[2]:.3f} critic weight {m[3]:.3f}")
            acc = []
        if now - t_ck > 180:
            st = {"vae": vae.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed, "z": vae.z,
                  "enc_ch": vae.enc_ch, "dec_ch": vae.dec_ch}
            if critic:
                st.update(critic=critic.state_dict(), opt_c=opt_c.state_dict())
            save(st, ck)
            t_ck = now
    save({"vae": vae.state_dict(), "step": step, "z": vae.z, "enc_ch": vae.enc_ch, "dec_ch": vae.dec_ch}, final)
    log(a.runs, f"vae: done at step {step} ({step / max(elapsed, 1e-9):.2f} steps/s)")


@torch.no_grad()
def stage_encode(a):
    """Every scene of every frame to its latent mean; one scaling factor for all of them; the
    autoencoder's PSNR and the latent -> RGB map on the first square scenes."""
    meta = os.path.join(a.runs, "latents.json")
    if os.path.exists(meta):
        return
    vae = load_vae(os.path.join(a.runs, "vae_final.pt")).to(a.device)
    z, f, B = vae.z, vae.down, 50
    t0 = time.time()
    encoded = []
    se, n_checked, rgb_x, rgb_y = 0.0, 0, [], []
    for k, (prefix, frame) in enumerate(data_sets(a.runs)):
        imgs, _ = load_images(prefix)
        # the first (square) scenes are also decoded, for PSNR and the latent-to-RGB map
        checked = min(len(imgs), 3000 if a.size <= 128 else 500) if k == 0 else 0
        lat = np.zeros((len(imgs), z, frame[1] // f, frame[0] // f), np.float16)
        for i in range(0, len(imgs), B):
            x = to_tensor(imgs[i:i + B]).to(a.device)
            mean, _ = vae.encode(x)
            lat[i:i + B] = mean.cpu().numpy().astype(np.float16)
            if i < checked:
                se += (vae.dec(mean).clamp(-1, 1) - x).pow(2).mean().item() * len(x)
                n_checked += len(x)
                patch = F.avg_pool2d((x + 1) / 2, f)  # [b,3,L,L]
                rgb_x.append(mean.permute(0, 2, 3, 1).reshape(-1, z).cpu().numpy())
                rgb_y.append(patch.permute(0, 2, 3, 1).reshape(-1, 3).cpu().numpy())
        encoded.append((frame, lat))
    std = float(np.concatenate([lat.astype(np.float32).ravel() for _, lat in encoded]).std())
    scale = 1.0 / std
    psnr = 10 * math.log10(4 / (se / n_checked))
    # least squares: mean RGB (0..1) of each fxf patch from the *scaled* latent pixel
    X = np.concatenate(rgb_x) * scale
    Y = np.concatenate(rgb_y)
    Xb = np.concatenate([X, np.ones((len(X), 1), np.float32)], 1)
    coef, *_ = np.linalg.lstsq(Xb, Y, rcond=None)
    for frame, lat in encoded:
        np.save(latents_file(a, frame), lat)
    info = {"latent_channels": z, "latent_size": a.size // f, "downsampling": f, "scaling_factor": scale,
            "latent_std": std, "vae_psnr_db": psnr,
            "latent_rgb": coef[:z].tolist(), "latent_rgb_bias": coef[z].tolist(),
            "latent_rgb_r2": float(1 - ((Xb @ coef - Y) ** 2).sum() / ((Y - Y.mean(0)) ** 2).sum()),
            "frames": [{"frame": list(frame), "scenes": len(lat)} for frame, lat in encoded]}
    with open(meta, "w") as fh:
        json.dump(info, fh, indent=1)
    log(a.runs, f"encode: {sum(len(lat) for _, lat in encoded)} latents in {time.time() - t0:.0f}s; {json.dumps(info)}")


def stage_unet(a):
    final = os.path.join(a.runs, "unet_final.pt")
    if os.path.exists(final):
        return
    ck = os.path.join(a.runs, "unet.pt")
    info = json.load(open(os.path.join(a.runs, "latents.json")))
    # one (latents, attributes) set per frame; a step's batch comes from one set, drawn in
    # proportion to its scenes, so every batch is one shape
    sets = []
    for prefix, frame in data_sets(a.runs):
        lat = np.load(latents_file(a, frame)).astype(np.float32)
        sets.append(((torch.from_numpy(lat) * info["scaling_factor"]).to(a.device), load_images(prefix)[1]))
    share = np.array([len(lat) for lat, _ in sets]) / sum(len(lat) for lat, _ in sets)
    tok = Tokenizer()
    st = torch.load(ck, map_location=a.device) if os.path.exists(ck) else None  # a resumed run keeps its own channels
    ch = tuple(st["unet_ch"]) if st else tuple(int(c) for c in a.unet_ch.split(","))
    z = info.get("latent_channels", 4)
    te, unet = TextEncoder(len(tok.vocab)).to(a.device), UNet(ch=ch, z=z).to(a.device)
    ema_te, ema_unet = TextEncoder(len(tok.vocab)).to(a.device), UNet(ch=ch, z=z).to(a.device)
    ema_te.load_state_dict(te.state_dict()), ema_unet.load_state_dict(unet.state_dict())
    params = list(te.parameters()) + list(unet.parameters())
    opt = torch.optim.AdamW(params, lr=5e-4, weight_decay=0.01)
    step, elapsed = 0, 0.0
    if st:
        te.load_state_dict(st["te"]), unet.load_state_dict(st["unet"])
        ema_te.load_state_dict(st["ema_te"]), ema_unet.load_state_dict(st["ema_unet"])
        opt.load_state_dict(st["opt"])
        step, elapsed = st["step"], st["elapsed"]
        log(a.runs, f"unet: resumed at step {step}, {elapsed / 60:.1f} min")
    else:
        log(a.runs, f"unet: {count(unet)} parameters, text encoder {count(te)}")
    ac = torch.from_numpy(alphas_cumprod_zero_snr()).float().to(a.device)
    budget = a.unet_minutes * 60
    rng = np.random.default_rng(2000 + step)
    g = torch.Generator().manual_seed(3000 + step)
    ema_p = list(ema_te.parameters()) + list(ema_unet.parameters())
    live = [p.detach() for p in params]  # views of the trained weights, made once for the EMA
    t_last, t_ck, acc = time.time(), time.time(), []
    bs = a.unet_batch
    log(a.runs, f"unet: latents {', '.join(f'{len(lat)} of {tuple(lat.shape[1:])}' for lat, _ in sets)}, "
                f"batch {bs}, {a.unet_minutes} min")
    while elapsed < budget:
        lat, attrs = sets[rng.choice(len(sets), p=share) if len(sets) > 1 else 0]
        idx = rng.choice(len(lat), bs, replace=len(lat) < bs)  # a set smaller than a batch: rehearsals
        x0 = lat[torch.from_numpy(idx).to(a.device)]
        texts = [training_caption(attrs[i], rng) if rng.random() >= 0.1 else "" for i in idx]
        ids = torch.from_numpy(tok.batch(texts)).to(a.device)
        t = torch.from_numpy(rng.integers(0, 1000, bs)).to(a.device)
        a_t = ac[t].sqrt()[:, None, None, None]
        s_t = (1 - ac[t]).sqrt()[:, None, None, None]
        eps = torch.randn(x0.shape, generator=g).to(a.device)  # drawn on the CPU: the same noise on any device
        xt = a_t * x0 + s_t * eps
        v = a_t * eps - s_t * x0
        for gr in opt.param_groups:
            gr["lr"] = lr_at(elapsed / budget, 5e-4)
        pred = unet(xt, t.float(), te(ids))
        loss = F.mse_loss(pred, v)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        d = min(0.999, (1 + step) / (10 + step))
        with torch.no_grad():  # one kernel per list rather than two per parameter (it adds up on a GPU)
            torch._foreach_mul_(ema_p, d)
            torch._foreach_add_(ema_p, live, alpha=1 - d)
        now = time.time()
        elapsed += min(now - t_last, STEP_CAP_S)
        t_last = now
        acc.append(loss.detach())  # .item() here would wait for the GPU every step
        if step % 50 == 0:
            log(a.runs, f"unet step {step} {elapsed / 60:.1f}/{a.unet_minutes} min loss {torch.stack(acc).mean().item():.4f} "
                        f"lr {opt.param_groups[0]['lr']:.2e}")
            acc = []
        if now - t_ck > 180:
            save({"te": te.state_dict(), "unet": unet.state_dict(), "ema_te": ema_te.state_dict(),
                  "ema_unet": ema_unet.state_dict(), "opt": opt.state_dict(), "step": step,
                  "elapsed": elapsed, "unet_ch": ch}, ck)
            t_ck = now
    save({"te": te.state_dict(), "unet": unet.state_dict(), "ema_te": ema_te.state_dict(),
          "ema_unet": ema_unet.state_dict(), "opt": opt.state_dict(), "step": step,
          "elapsed": elapsed, "unet_ch": ch}, ck)
    save({"ema_te": ema_te.state_dict(), "ema_unet": ema_unet.state_dict(), "step": step, "unet_ch": ch}, final)
    log(a.runs, f"unet: done at step {step} ({step / max(elapsed, 1e-9):.2f} steps/s at batch {bs})")


def stage_export(a):
    here = os.path.dirname(os.path.abspath(__file__))
    import subprocess
    subprocess.run([sys.executable, os.path.join(here, "export.py"), "--runs", a.runs, "--out", a.out],
                   check=True)


def stage_evaluate(a):
    here = os.path.dirname(os.path.abspath(__file__))
    import subprocess
    subprocess.run([sys.executable, os.path.join(here, "evaluate.py"), "--runs", a.runs, "--out", a.out,
                    "--threads", "1", "--classifier-count", str(a.classifier_count),
                    "--classifier-minutes", str(a.classifier_minutes)]
                   + (["--no-engine-speed"] if a.no_engine_speed else []),
                   check=True)  # speeds are compared on one thread


# Defaults per renderer, set from measurements on the 2-core machine (models/training/README.md):
# v2 (3d, 256²) fits data + VAE + latents + UNet + export + evaluate in <= 3 h; v1 (2d, 128²) is
# the recipe of the shipped 128² model.
DEFAULTS = {
    "3d": {"count": 25000, "vae_minutes": 35.0, "unet_minutes": 72.0, "vae_crop": 128, "vae_batch": 8,
           "unet_batch": 32, "classifier_count": 4000},
    "2d": {"count": 52000, "vae_minutes": 30.0, "unet_minutes": 68.0, "vae_crop": 64, "vae_batch": 32,
           "unet_batch": 64, "classifier_count": 10000},
}


STAGES = {"data": stage_data, "vae": stage_vae, "encode": stage_encode, "unet": stage_unet,
          "export": stage_export, "evaluate": stage_evaluate}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--all", action="store_true", help="run every stage (resumes)")
    ap.add_argument("--stage", help="stages to run, comma-separated, of: " + ", ".join(STAGES))
    ap.add_argument("--runs", default="models/training/runs")
    ap.add_argument("--out", default="models/lumen-landscapes", help="where export writes the model")
    ap.add_argument("--renderer", choices=["3d", "2d"], default=None,
                    help="3d: render3d.py at 256² (v2, the default); 2d: render.py at 128² (v1). A resumed "
                         "run keeps the renderer it started with (<runs>/config.json)")
    ap.add_argument("--vae-down", type=int, choices=[8, 16], default=None,
                    help="autoencoder downsampling: 16 (the default for 3d: 16x16 latents at 256²) or 8 "
                         "(32x32 at 256², 3.5x slower UNet steps; the only choice for 2d)")
    ap.add_argument("--threads", type=int, default=2, help="render processes and PyTorch CPU threads")
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                    help="where the VAE and UNet train: auto = cuda when PyTorch sees a GPU, else cpu")
    ap.add_argument("--unet-ch", default=",".join(map(str, UNET_CH)),
                    help="UNet channels at latent size /1, /2, /4")
    ap.add_argument("--count", type=int, help="scenes rendered (3d: 25000, 2d: 52000)")
    ap.add_argument("--latent-channels", type=int, default=8, help="VAE latent channels")
    ap.add_argument("--vae-critic", type=float, default=0.1,
                    help="weight of the VAE's patch critic in the second half of its stage (0 = L1 + L2 only)")
    ap.add_argument("--vae-minutes", type=float, help="VAE wall-clock budget (3d: 35, 2d: 30)")
    ap.add_argument("--vae-crop", type=int, help="VAE training crop side (3d: 128, 2d: 64)")
    ap.add_argument("--vae-batch", type=int, help="VAE batch (3d: 8, 2d: 32)")
    ap.add_argument("--unet-minutes", type=float, help="UNet wall-clock budget (3d: 72, 2d: 68)")
    ap.add_argument("--unet-batch", type=int, help="UNet batch (3d: 32, 2d: 64)")
    ap.add_argument("--classifier-count", type=int, help="renders for evaluate.py's classifier (3d: 4000, 2d: 10000)")
    ap.add_argument("--classifier-minutes", type=float, default=5.0, help="evaluate.py's classifier training")
    ap.add_argument("--no-engine-speed", action="store_true", help="evaluate without the engine/CLI benchmarks")
    a = ap.parse_args()
    if not (a.all or a.stage):
        ap.error("give --all or --stage")
    todo = list(STAGES) if a.all else a.stage.split(",")
    if unknown := [s for s in todo if s not in STAGES]:
        ap.error(f"unknown stage {', '.join(unknown)}; the stages: {', '.join(STAGES)}")
    torch.set_num_threads(a.threads)
    if a.device == "auto":
        a.device = "cuda" if torch.cuda.is_available() else "cpu"
    if a.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(0)
    os.makedirs(a.runs, exist_ok=True)
    setup_run(a)
    for k, v in DEFAULTS[a.renderer].items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    log(a.runs, f"start: {', '.join(todo)}; {a.renderer} renderer, {a.size}² images "
                f"(frames {', '.join(f'{w}x{h}' for _, (w, h) in data_sets(a.runs))}), x{a.vae_down} "
                f"-> {a.latent}² latents, {a.count} scenes, VAE {a.vae_minutes} min, UNet {a.unet_minutes} min, "
                f"on {a.device}")
    if a.device == "cpu" and (warning := blas_warning()):
        log(a.runs, warning)
    t_all = time.time()
    for s in todo:
        t0 = time.time()
        STAGES[s](a)
        log(a.runs, f"stage {s}: {(time.time() - t0) / 60:.1f} min")
    log(a.runs, f"done: {', '.join(todo)} in {(time.time() - t_all) / 60:.1f} min")


if __name__ == "__main__":
    main()
