"""Write models/lumen-landscapes/README.md from model_card.md.in and the measured numbers.

    /usr/bin/python3 models/training/landscapes/card.py [--runs models/training/runs] [--out models/lumen-landscapes]
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from captions import Tokenizer  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", default="models/training/runs")
    ap.add_argument("--out", default="models/lumen-landscapes")
    ap.add_argument("--train-detail", default="")
    ap.add_argument("--speed-extra", default="")
    ap.add_argument("--limits", default="")
    a = ap.parse_args()
    ev = json.load(open(os.path.join(a.runs, "eval.json")))
    lat = json.load(open(os.path.join(a.runs, "latents.json")))
    from models import run_config
    cfg = run_config(a.runs)
    lj = json.load(open(os.path.join(a.out, "lumen.json")))
    import numpy as np
    from models import data_sets
    # scenes per frame from latents.json (a GPU host's renders stay behind), else from the renders
    per_frame = ([(tuple(f["frame"]), f["scenes"]) for f in lat["frames"]] if "frames" in lat else
                 [(frame, len(np.load(prefix + "_attrs.npy"))) for prefix, frame in data_sets(a.runs)])
    count = sum(n for _, n in per_frame)
    frames = "" if len(per_frame) == 1 else " (" + ", ".join(f"{n:,} at {w}×{h}" for (w, h), n in per_frame) + ")"
    from models import count as pc
    from export import load
    tok = Tokenizer()
    _, te, unet, vae, info, *_ = load(a.runs)
    S, L, f = info["image_size"], info["latent_size"], vae.down
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(a.out) for f in fs
               if f != "README.md")
    rows = ["| attribute | generated | real renders (ceiling) | generated ÷ ceiling |", "|---|---|---|---|"]
    for k, v in ev["adherence"].items():
        rows.append(f"| {k} | {v['generated']:.1%} | {v['real_ceiling']:.1%} | {v['ratio']:.2f} |")
    m = ev["adherence_mean"]
    rows.append(f"| **mean** | **{m['generated']:.1%}** | **{m['real_ceiling']:.1%}** | **{m['ratio']:.2f}** |")
    r = ev["realism"]
    realism = (f"Fréchet distance **{r['frechet_distance']:.0f}** (two sets of real renders of the same vectors: "
               f"{r['frechet_floor']:.0f}); fine detail **{r['detail_ratio']:.2f}** of the renders'.")
    v = r["vae_reconstruction"]
    vae_realism = f"Fréchet distance {v['frechet_distance']:.0f}, fine detail {v['detail_ratio']:.2f}"
    d = ev["diversity"]
    div = (f"generated {d['generated']:.3f}, real {d['real']:.3f}, **ratio {d['ratio']:.2f}**.")
    s = ev["pytorch_eager_ms"]
    b = ev["mean_brightness"]
    speed = (f"PyTorch eager on this machine ({s['threads']} thread), one image at {S}×{S}, "
             f"{ev['steps']} steps, guidance from {ev.get('guidance_start', 0):g} (UNet batch 2 on guided steps, 1 on the others): denoising loop median "
             f"**{s['denoise_median']:.0f} ms**; text → decoded image median {s.get('text_to_image_median', s.get('text_to_128px_image_median')):.0f} ms "
             f"(10 runs after a warm-up).")
    if "engine_ms" in ev:
        e, c = ev["engine_ms"], ev["cli_512px_ms"]
        npx, direct, start = c["npx lumen generate"], c["node_modules/.bin/lumen generate"], c["npx lumen --version"]
        speed += (f" The TypeScript engine (onnxruntime-node, CPU, {e['threads']} thread) on the same weights, steps "
                  f"and machine (`bench/engine.ts`): UNet **{e['unet_per_step_median']:.1f} ms** per step, "
                  f"{e['unet_loop']:.0f} ms for the loop, so PyTorch eager ÷ engine = **{e['pytorch_over_engine']:.1f}**; "
                  f"the whole generation at {S}×{S} takes {e.get('text_to_image_median', e.get('text_to_128px_image_median')):.0f} ms. One image at 512×512 "
                  f"through `npx lumen generate` (`bench/cli.ts`, 10 runs, ORT's default threads): **{npx['wall']} ms** "
                  f"median for the whole command, of which starting npx, Node and the command take {start['wall']} ms "
                  f"(`npx lumen --version`), opening the three ONNX sessions {npx['load']} ms and generating, "
                  f"upscaling and encoding {npx['genEnc']} ms; through the linked bin without npx "
                  f"(`node_modules/.bin/lumen generate`) {direct['wall']} ms.")
    speed += f" {a.speed_extra}".rstrip()
    prompts = open(os.path.join(a.runs, "samples_prompts.txt")).read().split("\n")
    prompts = [p for p in prompts if p]
    sp = "\n".join(f"{i // 2 + 1}. " + " · ".join(f"“{p}”" for p in prompts[i:i + 2])
                   for i in range(0, len(prompts), 2))
    rep = {
        "STEPS": str(lj["defaults"]["steps"]), "GUIDANCE": f"{lj['defaults']['guidance']:g}",
        "GUIDANCE_START": f"{lj['defaults'].get('guidanceStart', 0):g}",
        "SAMPLE_PROMPTS": sp, "S": str(S), "L": str(L), "F": str(f), "L2": str(L // 2), "L4": str(L // 4),
        "ENC_CH": "/".join(map(str, vae.enc_ch)), "DEC_CH": "/".join(map(str, vae.dec_ch)),
        "RENDERER": "render3d.py" if cfg["renderer"] == "3d" else "render.py",
        "N_ATTRS": "seven" if cfg["renderer"] == "3d" else "six",
        "DATA_SOURCE": ("`models/training/landscapes/render3d.py` renders each scene as a heightfield seen in "
                        "perspective under one sun or moon, with NumPy at 256×256; every scene is deterministic "
                        "by its seed, and its composition (wide view, from a high viewpoint, low viewpoint, close "
                        "to the shore) is a seventh attribute."
                        if cfg["renderer"] == "3d" else
                        "`models/training/landscapes/render.py` renders scenes with NumPy at 256×256 and "
                        "downsamples them 2× (area average) to 128×128; every scene is deterministic by its seed."),
        "LOOK": ("Its pictures look like the renderer's: lit terrain in perspective receding into haze, "
                 "reflections, a sky coloured by the sun; soft photographs at best, with the renderer's own "
                 "flaws (Limits)." if cfg["renderer"] == "3d" else
                 "Its pictures look like the renderer's: flat shapes, smooth gradients, no photographic texture."),
        "VIEW_ROW": ("| view | wide view, from a high viewpoint, low viewpoint, close to the shore |\n"
                     if cfg["renderer"] == "3d" else ""),
        "LIGHT": ("Light is physically motivated: the sky's colour comes from single scattering (Rayleigh, Mie "
                  "and ozone) for the sun's elevation, the sun's colour from the air along its path; the "
                  "terrain casts its own shadows and takes sky light; haze grows with distance (extinction "
                  "and in-scattering); water is a plane with Fresnel reflection of the rendered terrain and "
                  "sky, wind ripples and sun glints; clouds are lit by the sun, snow lies by altitude and "
                  "slope, fog fills the valleys; exposure follows the scene's light, so night stays dark."
                  if cfg["renderer"] == "3d" else
                  "Light agrees with the scene: the sun's height sets its colour (red-orange near the horizon, "
                  "warm white high up), the sky gradient and glow around the sun, the light on the ground and "
                  "the contrast of slope shading; low sun casts long tree shadows toward the viewer; haze grows "
                  "with distance (depth map), fog lies low over the ground; water mirrors the scene above the "
                  "waterline with ripples that grow toward the viewer, darkened by a Fresnel term."),
        "SHEET": ("The old 2D renderer (`render.py`, upper row of each pair) and `render3d.py` (lower row) on the "
                  "same captions, from `/usr/bin/python3 models/training/landscapes/render3d.py --sheet "
                  "docs/images/render3d-sheet.png`:\n\n![render.py above, render3d.py below](../../docs/images/render3d-sheet.png)"
                  if cfg["renderer"] == "3d" else ""),
        "Z": str(vae.z), "VAE_PSNR": f"{lat['vae_psnr_db']:.1f}", "COUNT": f"{count:,}",
        "COUNT_1": f"{count - 1:,}", "FRAMES": frames, "VOCAB": str(len(tok.vocab)),
        "P_TE": f"{pc(te):,}", "P_UNET": f"{pc(unet):,}",
        "UNET_CH": " / ".join(map(str, unet.ch)),
        "P_ENC": f"{pc(vae.enc):,}", "P_DEC": f"{pc(vae.dec):,}", "SCALE": f"{lat['scaling_factor']:.4f}",
        "R2": f"{lat['latent_rgb_r2']:.2f}", "SIZE_MB": f"{size / 1e6:.1f}",
        "TRAIN_DETAIL": a.train_detail or f"{ev['training_steps']} UNet steps at batch 64.",
        "ADHERENCE": "\n".join(rows) + (f"\n\nMean brightness (0–255) of the generated images: night prompts "
                                        f"{b['night_prompts']}, midday prompts {b['midday_prompts']}."),
        "DIVERSITY": div, "REALISM": realism, "VAE_REALISM": vae_realism, "SPEED": speed, "LIMITS": a.limits,
    }
    import glob
    sweep = ["| steps | guidance | guided from | adherence (mean) | ÷ ceiling | terrain | diversity ratio "
             "| Fréchet distance | fine detail |", "|---|---|---|---|---|---|---|---|---|"]
    found = [json.load(open(p)) for p in glob.glob(os.path.join(a.runs, "eval_s*_g*.json"))]
    for e in sorted(found, key=lambda e: (e["steps"], e.get("guidance_start", 0), e["guidance"])):
        sweep.append(f"| {e['steps']} | {e['guidance']:g} | {e.get('guidance_start', 0):g} | "
                     f"{e['adherence_mean']['generated']:.1%} | {e['adherence_mean']['ratio']:.2f} | "
                     f"{e['adherence']['terrain']['generated']:.1%} | {e['diversity']['ratio']:.2f} | "
                     f"{e['realism']['frechet_distance']:.0f} | {e['realism']['detail_ratio']:.2f} |")
    rep["SWEEP"] = "\n".join(sweep) if found else "(no sweep measured)"
    t = open(os.path.join(here, "model_card.md.in")).read()
    for k, v in rep.items():
        t = t.replace(f"@@{k}@@", v)
    assert "@@" not in t, [l for l in t.split("\n") if "@@" in l]
    with open(os.path.join(a.out, "README.md"), "w") as f:
        f.write(t)
    print("wrote", os.path.join(a.out, "README.md"))


if __name__ == "__main__":
    main()
