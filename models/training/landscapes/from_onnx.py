"""Rebuild PyTorch checkpoints from an exported lumen-landscapes model, to continue training it.

    /usr/bin/python3 models/training/landscapes/from_onnx.py [--model models/lumen-landscapes]
        [--runs models/training/runs] --unet-minutes-done M [--unet-steps-done S]

Checkpoints live in the git-ignored runs folder and are lost with the machine; the ONNX files are
what the repository keeps. This writes <runs>/vae_final.pt (encoder and decoder) and <runs>/unet.pt
(text encoder and UNet, their EMA copies set to the same weights, a fresh optimiser) so that
`train.py --all --unet-minutes N` renders the data again, skips the VAE, re-encodes the latents and
continues the UNet where the export left it (the learning rate resumes at the fraction
M / N of its schedule).

ONNX keeps most weights under their PyTorch names, but the exporter's constant folding renames some
(a Linear's weight becomes a transposed `onnx::MatMul_*`). There is no library for the reverse, so
the names are matched by value: a freshly built module with random weights is exported the same way
and each of its initialisers is found among its own parameters (as is, reshaped or transposed). The trained
weights are then copied through that map, and the rebuilt module is exported again and compared with
the shipped file, initialiser by initialiser.
"""
import argparse
import io
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from captions import Tokenizer  # noqa: E402
from models import VAE, VAE_CHANNELS, DecoderExport, LatentExport, TextEncoder, UNet  # noqa: E402
from export import to_onnx  # noqa: E402
from train import UNET_CH, save  # noqa: E402


def initialisers(model):
    """{(node index, input index): array} for every initialiser a node reads. Positions, not names:
    the exporter numbers its renamed initialisers by a counter that depends on what ran before."""
    arrays = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    return {(n, k): arrays[x] for n, node in enumerate(model.graph.node) for k, x in enumerate(node.input)
            if x in arrays}


def export(module, args, part):
    buf = io.BytesIO()
    to_onnx(module, args, part, buf)
    return initialisers(onnx.load_from_string(buf.getvalue()))


def recover(module, args, part, model_dir):
    """Load the weights of <model_dir>/<part>/model.onnx into `module`."""
    shipped_path = os.path.join(model_dir, part, "model.onnx")
    params = dict(module.named_parameters())
    with torch.no_grad():
        for p in params.values():  # distinct random values, so that every initialiser matches one parameter
            p.copy_(torch.randn(p.shape) * 0.1 + torch.rand(1))
    fresh = export(module, args, part)
    shipped = initialisers(onnx.load(shipped_path))
    values = {name: p.detach().numpy() for name, p in params.items()}
    found = {}
    for key, arr in fresh.items():
        for name, val in values.items():
            if arr.size == val.size and np.array_equal(arr.ravel(), val.ravel()):
                found[name] = (key, False)  # as is, or reshaped (a GroupNorm's scale as [C, 1, 1])
            elif arr.ndim == 2 and val.ndim == 2 and arr.shape == val.T.shape and np.array_equal(arr, val.T):
                found[name] = (key, True)
    missing = sorted(set(params) - set(found))
    if missing:
        raise SystemExit(f"{shipped_path}: no initialiser for {missing[:5]} ({len(missing)} parameters)")
    with torch.no_grad():
        for name, (key, transposed) in found.items():
            arr = shipped[key].T if transposed else shipped[key].reshape(params[name].shape)
            params[name].copy_(torch.from_numpy(np.array(arr)))  # a writable copy
    again = export(module, args, part)
    worst = max(float(np.abs(again[k] - shipped[k]).max()) for k in shipped)
    if set(again) != set(shipped) or worst > 0:
        raise SystemExit(f"{shipped_path}: the rebuilt module exports differently (max difference {worst})")
    return module


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/lumen-landscapes")
    ap.add_argument("--runs", default="models/training/runs")
    ap.add_argument("--unet-minutes-done", type=float, required=True,
                    help="the UNet minutes the shipped weights trained (the model card says)")
    ap.add_argument("--unet-steps-done", type=int, help="default: lumen.json's trainingSteps")
    a = ap.parse_args()
    torch.manual_seed(0)
    if a.unet_steps_done is None:
        a.unet_steps_done = json.load(open(os.path.join(a.model, "lumen.json")))["trainingSteps"]
    cfg = json.load(open(os.path.join(a.model, "vae_decoder", "config.json")))
    z, S, down = cfg["latent_channels"], cfg["sample_size"], cfg["downsampling"]
    L = S // down
    os.makedirs(a.runs, exist_ok=True)

    enc_ch = VAE_CHANNELS["v1" if down == 8 else down][0]  # as train.py and fit_encoder.py build it
    vae = VAE(z=z, enc_ch=enc_ch, dec_ch=tuple(cfg["decoder_channels"]))
    recover(LatentExport(vae.enc), (torch.rand(1, 3, S, S) * 2 - 1,), "vae_encoder", a.model)
    recover(DecoderExport(vae.dec), (torch.randn(1, z, L, L),), "vae_decoder", a.model)
    # The encoder's log-variance half is not in the export (the latent is the mean); the KL term
    # does not run again, since the VAE stage is done.
    save({"vae": vae.state_dict(), "step": 0, "z": z, "enc_ch": vae.enc_ch, "dec_ch": vae.dec_ch},
         os.path.join(a.runs, "vae_final.pt"))

    tok = Tokenizer()
    te, unet = TextEncoder(len(tok.vocab)), UNet(ch=UNET_CH, z=z)
    ids = torch.from_numpy(tok.batch(["a misty lake at sunrise with reflections of pine-covered hills", ""]))
    recover(te, (ids,), "text_encoder", a.model)
    with torch.no_grad():
        ctx = te(ids)
    recover(unet, (torch.randn(2, z, L, L), torch.tensor([999.0, 499.0]), ctx), "unet", a.model)
    opt = torch.optim.AdamW(list(te.parameters()) + list(unet.parameters()), lr=5e-4, weight_decay=0.01)
    save({"te": te.state_dict(), "unet": unet.state_dict(), "ema_te": te.state_dict(),
          "ema_unet": unet.state_dict(), "opt": opt.state_dict(), "step": a.unet_steps_done,
          "elapsed": a.unet_minutes_done * 60, "unet_ch": UNET_CH}, os.path.join(a.runs, "unet.pt"))
    print(f"{a.runs}/vae_final.pt and unet.pt rebuilt from {a.model}")


if __name__ == "__main__":
    main()
