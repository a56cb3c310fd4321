#!/usr/bin/python3
"""Build the engine's test fixtures: tiny random-weight Stable Diffusion models and reference runs.

    /usr/bin/python3 models/training/make_fixtures.py --diffusers-src DIR [--out tests/fixtures]
        [--clip-dir DIR]

Writes, deterministically (fixed seeds), under tests/fixtures/:

  sd15/   like an SD 1.5 ONNX export (fp32; input_ids int32, timestep int64 [1], epsilon, "leading";
          vae_encoder/ with optimum's `latent_parameters` output: mean and log-variance)
  sd21/   like an SD 2.1 / SD-Turbo export (fp32; input_ids int64, timestep float32 [batch],
          v_prediction, "trailing", prompts padded with 0; vae_encoder/ with the older
          `latent_sample` output)
  sdxl/   like an SDXL export in float16 (two text encoders with hidden_states.* outputs, UNet with
          text_embeds and time_ids, timestep a 0-d float16)
  taesd/taesd_decoder/  a tiny autoencoder decoder in TAESD's layout (AutoencoderTiny's decoder,
          float16, 8 channels instead of 64), to drop into a model folder as `taesd_decoder/`
  reference/<case>.json   complete runs of each sampler (see models/training/README.md)
  reference/img2img/<case>.json   image-to-image runs: a picture, a strength, the same fields
  schedulers/diffusers_cases.json   84 scheduler-only cases (scheduler_cases.py)
  taesd/taesd_decode.json       latents and what the tiny decoder makes of them
  clip_reference_ids.json, CLIP_LICENSE

The models have the exact input/output names, dtypes and ranks of real exports, in the diffusers
ONNX folder layout, with real CLIP tokenizer files, but hidden sizes of a few dozen and random
weights (token embeddings index `input_ids mod 1000`). The samplers of the reference runs and the
scheduler cases are diffusers' own scheduler code, read from a diffusers source tree given with
--diffusers-src (or DIFFUSERS_SRC) and run by diffusers_oracle.py; the reference runs call the
PyTorch modules that were exported.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clip_vocab  # noqa: E402
import scheduler_cases  # noqa: E402
from diffusers_oracle import DiffusersOracle  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OPSET = 14
EMBED_ROWS = 1000  # token embedding rows; ids are taken mod EMBED_ROWS
SEQ = clip_vocab.MAX_LENGTH
DIFFUSERS_VERSION = "0.27.2"

# ----------------------------------------------------------------------------------------------
# Tiny models
# ----------------------------------------------------------------------------------------------


class CLIPLayer(nn.Module):
    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads = heads
        self.scale = 1.0 / math.sqrt(d // heads)
        self.layer_norm1 = nn.LayerNorm(d)
        self.q_proj = nn.Linear(d, d)
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)
        self.layer_norm2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 2 * d)
        self.fc2 = nn.Linear(2 * d, d)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, s, d = x.shape
        h = self.layer_norm1(x)
        q = self.q_proj(h).reshape(b, s, self.heads, -1).transpose(1, 2)
        k = self.k_proj(h).reshape(b, s, self.heads, -1).transpose(1, 2)
        v = self.v_proj(h).reshape(b, s, self.heads, -1).transpose(1, 2)
        att = torch.matmul(q, k.transpose(2, 3)) * self.scale + mask
        o = torch.matmul(att.softmax(-1), v).transpose(1, 2).reshape(b, s, d)
        x = x + self.out_proj(o)
        h = self.fc1(self.layer_norm2(x))
        h = h * torch.sigmoid(1.702 * h)  # quick_gelu, as in CLIP
        return x + self.fc2(h)


class TinyCLIPText(nn.Module):
    """CLIP text transformer with causal attention; pools at the position of the largest id."""

    def __init__(self, d: int, layers: int, heads: int = 2, projection: int | None = None,
                 outputs: tuple[str, ...] = ("last_hidden_state", "pooler_output")):
        super().__init__()
        self.outputs = outputs
        self.token_embedding = nn.Embedding(EMBED_ROWS, d)
        self.position_embedding = nn.Parameter(torch.zeros(SEQ, d))
        self.layers = nn.ModuleList(CLIPLayer(d, heads) for _ in range(layers))
        self.final_layer_norm = nn.LayerNorm(d)
        self.text_projection = nn.Linear(d, projection, bias=False) if projection else None
        mask = torch.triu(torch.full((SEQ, SEQ), -1e4), diagonal=1)
        self.register_buffer("causal_mask", mask, persistent=False)

    def forward(self, input_ids: torch.Tensor):
        seq = input_ids.shape[1]
        tokens = torch.remainder(input_ids, EMBED_ROWS).long()
        x = self.token_embedding(tokens) + self.position_embedding[:seq]
        mask = self.causal_mask[:seq, :seq]
        hidden = [x]
        for layer in self.layers:
            x = layer(x, mask)
            hidden.append(x)
        last = self.final_layer_norm(x)
        eos = input_ids.to(torch.int32).argmax(dim=-1)
        pooled = last[torch.arange(last.shape[0]), eos]
        out = {"last_hidden_state": last, "pooler_output": pooled}
        if self.text_projection is not None:
            out["text_embeds"] = self.text_projection(pooled)
        for i, h in enumerate(hidden):
            out[f"hidden_states.{i}"] = h
        return tuple(out[name] for name in self.outputs)


class Sinusoidal(nn.Module):
    """Sinusoidal embedding of a 1-d tensor of (time) values -> [n, dim] (cos, sin)."""

    def __init__(self, dim: int):
        super().__init__()
        half = dim // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
        self.register_buffer("freqs", freqs, persistent=False)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        arg = t.to(torch.float32)[:, None] * self.freqs[None, :]
        return torch.cat([torch.cos(arg), torch.sin(arg)], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, temb: int | None):
        super().__init__()
        self.norm1 = nn.GroupNorm(4, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout) if temb else None
        self.norm2 = nn.GroupNorm(4, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x: torch.Tensor, temb: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.conv_shortcut is None else self.conv_shortcut(x)) + h


class CrossAttention(nn.Module):
    def __init__(self, c: int, ctx: int, heads: int = 2):
        super().__init__()
        self.heads = heads
        self.head_dim = c // heads
        self.norm = nn.GroupNorm(4, c)
        self.to_q = nn.Linear(c, c, bias=False)
        self.to_k = nn.Linear(ctx, c, bias=False)
        self.to_v = nn.Linear(ctx, c, bias=False)
        self.to_out = nn.Linear(c, c)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        hs = self.norm(x).reshape(b, c, h * w).transpose(1, 2)
        q = self.to_q(hs).reshape(b, h * w, self.heads, -1).transpose(1, 2)
        k = self.to_k(context).reshape(b, -1, self.heads, self.head_dim).transpose(1, 2)
        v = self.to_v(context).reshape(b, -1, self.heads, self.head_dim).transpose(1, 2)
        att = torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(self.head_dim))
        o = torch.matmul(att.softmax(-1), v).transpose(1, 2).reshape(b, h * w, c)
        return x + self.to_out(o).transpose(1, 2).reshape(b, c, h, w)


class TinyUNet(nn.Module):
    """Two-level UNet with time embedding and cross-attention (and SDXL's added conditioning)."""

    def __init__(self, ctx: int, c: int = 16, temb: int = 32,
                 add_text_embeds: int | None = None):
        super().__init__()
        self.time_proj = Sinusoidal(32)
        self.time_embedding = nn.Sequential(nn.Linear(32, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.sdxl = add_text_embeds is not None
        if self.sdxl:
            self.add_time_proj = Sinusoidal(8)
            self.add_embedding = nn.Sequential(nn.Linear(add_text_embeds + 6 * 8, temb), nn.SiLU(),
                                               nn.Linear(temb, temb))
        self.conv_in = nn.Conv2d(4, c, 3, padding=1)
        self.res1 = ResBlock(c, c, temb)
        self.attn1 = CrossAttention(c, ctx)
        self.down = nn.Conv2d(c, 2 * c, 3, stride=2, padding=1)
        self.res2 = ResBlock(2 * c, 2 * c, temb)
        self.attn2 = CrossAttention(2 * c, ctx)
        self.up = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
        self.res3 = ResBlock(2 * c, c, temb)
        self.norm_out = nn.GroupNorm(4, c)
        self.conv_out = nn.Conv2d(c, 4, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states, text_embeds=None, time_ids=None):
        b = sample.shape[0]
        t = self.time_proj(timestep.reshape(-1))  # [1 or b, 32]
        temb = self.time_embedding(t).expand(b, -1)
        if self.sdxl:
            tid = self.add_time_proj(time_ids.reshape(-1)).reshape(b, -1)
            temb = temb + self.add_embedding(torch.cat([text_embeds, tid], dim=-1))
        h1 = self.attn1(self.res1(self.conv_in(sample), temb), encoder_hidden_states)
        h2 = self.attn2(self.res2(self.down(h1), temb), encoder_hidden_states)
        u = self.res3(torch.cat([self.up(h2), h1], dim=1), temb)
        return self.conv_out(F.silu(self.norm_out(u)))


class TinyVAEDecoder(nn.Module):
    """latent [b,4,h,w] -> image [b,3,8h,8w] in (-1, 1)."""

    def __init__(self, c: int = 16):
        super().__init__()
        self.conv_in = nn.Conv2d(4, c, 3, padding=1)
        self.mid = ResBlock(c, c, None)
        self.up = nn.ModuleList([nn.ConvTranspose2d(c, c, 2, stride=2),
                                 nn.ConvTranspose2d(c, c // 2, 2, stride=2),
                                 nn.ConvTranspose2d(c // 2, c // 2, 2, stride=2)])
        self.res = ResBlock(c // 2, c // 2, None)
        self.norm_out = nn.GroupNorm(4, c // 2)
        self.conv_out = nn.Conv2d(c // 2, 3, 3, padding=1)

    def forward(self, latent_sample):
        h = self.mid(self.conv_in(latent_sample))
        for up in self.up:
            h = F.silu(up(h))
        h = self.res(h)
        return torch.tanh(self.conv_out(F.silu(self.norm_out(h))))


class TinyVAEEncoder(nn.Module):
    """image [b,3,8h,8w] in (-1, 1) -> the latent distribution's parameters [b,8,h,w]: mean and
    log-variance concatenated on the channel axis, as diffusers' DiagonalGaussianDistribution
    takes them (and as optimum exports them, `latent_parameters`)."""

    def __init__(self, c: int = 16):
        super().__init__()
        self.conv_in = nn.Conv2d(3, c // 2, 3, padding=1)
        self.down = nn.ModuleList([nn.Conv2d(c // 2, c // 2, 2, stride=2),
                                   nn.Conv2d(c // 2, c, 2, stride=2),
                                   nn.Conv2d(c, c, 2, stride=2)])
        self.mid = ResBlock(c, c, None)
        self.norm_out = nn.GroupNorm(4, c)
        self.conv_out = nn.Conv2d(c, 8, 3, padding=1)

    def forward(self, sample):
        h = self.conv_in(sample)
        for down in self.down:
            h = F.silu(down(h))
        return self.conv_out(F.silu(self.norm_out(self.mid(h))))


class MeanOf(nn.Module):
    """An export whose `latent_sample` is the distribution's mean (older optimum and diffusers
    exports sample inside the graph; the fixture keeps the mean so its reference is exact)."""

    def __init__(self, encoder: TinyVAEEncoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, sample):
        return self.encoder(sample)[:, :4]


def init_weights(model: nn.Module, seed: int) -> None:
    """Seeded initialisation that keeps activations O(1): weights ~ N(0, 1/fan_in)."""
    rng = np.random.default_rng(seed)

    def put(p: torch.Tensor, value: np.ndarray) -> None:
        p.data.copy_(torch.from_numpy(value.astype(np.float32)).reshape(p.shape))

    for _, mod in model.named_modules():
        if isinstance(mod, (nn.Linear, nn.Conv2d)):
            fan_in = int(np.prod(mod.weight.shape[1:]))
            put(mod.weight, rng.standard_normal(mod.weight.shape) / math.sqrt(fan_in))
        elif isinstance(mod, nn.ConvTranspose2d):
            put(mod.weight, rng.standard_normal(mod.weight.shape) * math.sqrt(2.0 / mod.in_channels))
        elif isinstance(mod, nn.Embedding):
            put(mod.weight, rng.standard_normal(mod.weight.shape))
        elif isinstance(mod, (nn.LayerNorm, nn.GroupNorm)):
            put(mod.weight, 1.0 + 0.1 * rng.standard_normal(mod.weight.shape))
            put(mod.bias, 0.1 * rng.standard_normal(mod.bias.shape))
            continue
        else:
            continue
        if getattr(mod, "bias", None) is not None:
            put(mod.bias, 0.05 * rng.standard_normal(mod.bias.shape))
    for name, p in model.named_parameters():
        if name == "position_embedding":
            put(p, 0.5 * rng.standard_normal(p.shape))


def round_weights_to_fp16(model: nn.Module) -> None:
    for p in model.parameters():
        p.data.copy_(p.data.half().float())


# ----------------------------------------------------------------------------------------------
# ONNX export and float16 conversion
# ----------------------------------------------------------------------------------------------


def export_onnx(model: nn.Module, args: tuple, path: str, input_names: list[str],
                output_names: list[str], dynamic_axes: dict, fp16: bool = False,
                fp32_scopes: tuple[str, ...] = ()) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(model, args, buf, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET,
                          do_constant_folding=True)
        outs = model(*args)
    outs = outs if isinstance(outs, tuple) else (outs,)
    m = onnx.load_from_string(buf.getvalue())
    set_output_shapes(m, {n: o.shape for n, o in zip(output_names, outs)}, dynamic_axes)
    if fp16:
        m = convert_to_float16(m, fp32_scopes)
    m.producer_name = "lumen make_fixtures"
    m.producer_version = "1"
    onnx.checker.check_model(m)
    onnx.save(m, path)


def set_output_shapes(m: onnx.ModelProto, shapes: dict, dynamic_axes: dict) -> None:
    """Declare each output's shape as a real export does: named dynamic axes, fixed sizes."""
    for o in m.graph.output:
        dims = o.type.tensor_type.shape.dim
        axes = dynamic_axes.get(o.name, {})
        del dims[:]
        for i, size in enumerate(shapes[o.name]):
            dim = dims.add()
            if i in axes:
                dim.dim_param = axes[i]
            else:
                dim.dim_value = int(size)


def convert_to_float16(model: onnx.ModelProto, fp32_scopes: tuple[str, ...]) -> onnx.ModelProto:
    """Make every float tensor float16 (inputs, outputs, weights, activations), except inside the
    module scopes in `fp32_scopes` (the timestep sinusoids, kept in float32 as real fp16 exports
    keep them), with Cast nodes at the boundaries: sdonnx.export.to_fp16's pass, on a graph with
    weights."""
    from sdonnx.export import halve_graph

    def halve(t: TensorProto) -> None:
        t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), t.name))

    halve_graph(model, fp32_scopes, halve)
    return model


T = 1000  # training timesteps of every fixture's noise schedule


# ----------------------------------------------------------------------------------------------
# Fixture models: specification, export, torch runners
# ----------------------------------------------------------------------------------------------

DYN_IDS = {0: "batch", 1: "sequence"}


class Fixture:
    """One model folder and the torch modules that were exported into it."""

    def __init__(self, name: str, seed: int):
        self.name = name
        self.seed = seed
        self.fp16 = name == "sdxl"
        if name == "sd15":
            self.scaling_factor, self.prediction, self.spacing = 0.18215, "epsilon", "leading"
            self.encoders = [dict(module=TinyCLIPText(32, 2), ids=torch.int32, pad=49407,
                                  outputs=("last_hidden_state", "pooler_output"))]
            self.unet = TinyUNet(ctx=32)
            self.timestep_kind = "int64[1]"
        elif name == "sd21":
            self.scaling_factor, self.prediction, self.spacing = 0.18215, "v_prediction", "trailing"
            self.encoders = [dict(module=TinyCLIPText(48, 2), ids=torch.int64, pad=0,
                                  outputs=("last_hidden_state", "pooler_output"))]
            self.unet = TinyUNet(ctx=48)
            self.timestep_kind = "float32[batch]"
        elif name == "sdxl":
            self.scaling_factor, self.prediction, self.spacing = 0.13025, "epsilon", "leading"
            out1 = ("last_hidden_state", "pooler_output") + tuple(f"hidden_states.{i}"
                                                                  for i in range(3))
            out2 = ("text_embeds", "last_hidden_state") + tuple(f"hidden_states.{i}"
                                                                for i in range(4))
            self.encoders = [
                dict(module=TinyCLIPText(32, 2, outputs=out1), ids=torch.int32, pad=49407,
                     outputs=out1, layers=2),
                dict(module=TinyCLIPText(64, 3, heads=4, projection=48, outputs=out2),
                     ids=torch.int64, pad=0, outputs=out2, layers=3),
            ]
            self.unet = TinyUNet(ctx=32 + 64, add_text_embeds=48)
            self.timestep_kind = "float16[]"
        else:
            raise ValueError(name)
        self.vae = TinyVAEDecoder()
        # Image-to-image: sd15 exports its encoder as optimum does now (`latent_parameters`),
        # sd21 as older exports did (`latent_sample`); sdxl has none and cannot start from a picture.
        self.encoder_output = {"sd15": "latent_parameters", "sd21": "latent_sample"}.get(name)
        self.vae_encoder = TinyVAEEncoder() if self.encoder_output else None
        for k, enc in enumerate(self.encoders):
            init_weights(enc["module"], seed + k)
        init_weights(self.unet, seed + 10)
        init_weights(self.vae, seed + 20)
        self._calibrate()
        if self.vae_encoder is not None:
            init_weights(self.vae_encoder, seed + 30)
            self._fit_encoder()
        for m in self.modules():
            m.eval()
            if self.fp16:
                round_weights_to_fp16(m)

    def modules(self) -> list[nn.Module]:
        return [e["module"] for e in self.encoders] + [self.unet, self.vae] + (
            [self.vae_encoder] if self.vae_encoder is not None else [])

    def _fit_encoder(self) -> None:
        """Fit the encoder's mean to invert the (fixed) decoder on the decoder's own pictures, so
        a picture the model made comes back close to its latents, as with a real VAE; the
        log-variance is set small (std about 0.05 of the unscaled latents), as a real VAE's is."""
        g = torch.Generator().manual_seed(self.seed + 40)
        for p in self.vae.parameters():
            p.requires_grad_(False)
        opt = torch.optim.Adam(self.vae_encoder.parameters(), lr=3e-3)
        for _ in range(400):
            z = torch.randn(16, 4, 8, 8, generator=g) * 5
            x = self.vae(z).detach()
            mean = self.vae_encoder(x)[:, :4]
            loss = F.mse_loss(mean, z) / 25 + F.mse_loss(self.vae(mean), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
        for p in self.vae.parameters():
            p.requires_grad_(True)
        with torch.no_grad():
            w = self.vae_encoder.conv_out.weight
            b = self.vae_encoder.conv_out.bias
            w[4:].mul_(0.1)
            b[4:].fill_(-6.0)
        self.encoder_fit = float(loss)

    @torch.no_grad()
    def _calibrate(self) -> None:
        """Scale the output convolutions so the UNet predicts ~unit-variance values and the VAE's
        tanh is not saturated."""
        g = torch.Generator().manual_seed(self.seed)
        if self.unet.sdxl:  # make text_embeds and time_ids weigh as much as the timestep
            self.unet.add_embedding[2].weight.mul_(3.0)
        b = 2
        ctx = torch.randn(b, SEQ, self.unet.attn1.to_k.in_features, generator=g)
        sample = torch.randn(b, 4, 8, 8, generator=g)
        extra = {}
        if self.unet.sdxl:
            extra = dict(text_embeds=torch.randn(b, 48, generator=g),
                         time_ids=torch.tensor([[64.0, 64, 0, 0, 64, 64]] * b))
        out = self.unet(sample, torch.tensor([500.0]), ctx, **extra)
        self.unet.conv_out.weight.mul_(1.0 / out.std())
        self.unet.conv_out.bias.mul_(1.0 / out.std())
        lat = torch.randn(1, 4, 8, 8, generator=g) * 5
        pre = None

        def hook(_m, _i, o):
            nonlocal pre
            pre = o

        h = self.vae.conv_out.register_forward_hook(hook)
        self.vae(lat)
        h.remove()
        self.vae.conv_out.weight.mul_(0.8 / pre.std())
        self.vae.conv_out.bias.mul_(0.8 / pre.std())

    # -- export ---------------------------------------------------------------------------------

    def export(self, folder: str) -> None:
        d = lambda *p: os.path.join(folder, *p)  # noqa: E731
        fp16 = self.fp16
        for k, enc in enumerate(self.encoders):
            sub = "text_encoder" if k == 0 else "text_encoder_2"
            ids = torch.full((1, SEQ), enc["pad"], dtype=enc["ids"])
            ids[0, :4] = torch.tensor([49406, 320, 1125, 49407])
            axes = {"input_ids": DYN_IDS}
            for o in enc["outputs"]:
                axes[o] = {0: "batch"} if o in ("pooler_output", "text_embeds") else DYN_IDS
            export_onnx(enc["module"], (ids,), d(sub, "model.onnx"), ["input_ids"],
                        list(enc["outputs"]), axes, fp16=fp16)
        unet = self.unet
        ctx_dim = unet.attn1.to_k.in_features
        sample = torch.randn(2, 4, 8, 8)
        ehs = torch.randn(2, SEQ, ctx_dim)
        img_axes = {0: "batch", 2: "height", 3: "width"}
        axes = {"sample": img_axes, "encoder_hidden_states": {0: "batch", 1: "sequence"},
                "out_sample": img_axes}
        names = ["sample", "timestep", "encoder_hidden_states"]
        if self.name == "sd15":
            args = (sample, torch.tensor([999], dtype=torch.int64), ehs)
        elif self.name == "sd21":
            args = (sample, torch.tensor([999.0, 999.0]), ehs)
            axes["timestep"] = {0: "batch"}
        else:
            args = (sample, torch.tensor(999.0), ehs, torch.randn(2, 48),
                    torch.tensor([[64.0, 64, 0, 0, 64, 64]] * 2))
            names += ["text_embeds", "time_ids"]
            axes["text_embeds"] = {0: "batch"}
            axes["time_ids"] = {0: "batch"}
        export_onnx(unet, args, d("unet", "model.onnx"), names, ["out_sample"], axes, fp16=fp16,
                    fp32_scopes=("time_proj", "add_time_proj"))
        export_onnx(self.vae, (torch.randn(1, 4, 8, 8),), d("vae_decoder", "model.onnx"),
                    ["latent_sample"], ["sample"],
                    {"latent_sample": {0: "batch", 1: "num_channels_latent", 2: "height_latent",
                                       3: "width_latent"},
                     "sample": {0: "batch", 2: "height", 3: "width"}},
                    fp16=fp16)
        if self.vae_encoder is not None:
            module = self.vae_encoder if self.encoder_output == "latent_parameters" else MeanOf(self.vae_encoder)
            export_onnx(module, (torch.randn(1, 3, 64, 64),), d("vae_encoder", "model.onnx"),
                        ["sample"], [self.encoder_output],
                        {"sample": {0: "batch", 1: "num_channels", 2: "height", 3: "width"},
                         self.encoder_output: {0: "batch", 2: "height_latent", 3: "width_latent"}})

    # -- torch runners (float32 math; for sdxl, inputs and outputs rounded to float16) ----------

    def _io(self, x: np.ndarray) -> torch.Tensor:
        arr = np.asarray(x, dtype=np.float32)
        if self.fp16:
            arr = arr.astype(np.float16).astype(np.float32)
        return torch.from_numpy(np.ascontiguousarray(arr))

    def _out(self, t: torch.Tensor) -> np.ndarray:
        arr = t.detach().numpy()
        if self.fp16:
            arr = arr.astype(np.float16)
        return arr.astype(np.float64)

    @torch.no_grad()
    def encode(self, k: int, ids: list[list[int]]) -> dict[str, np.ndarray]:
        enc = self.encoders[k]
        outs = enc["module"](torch.tensor(ids, dtype=enc["ids"]))
        return {name: self._out(o) for name, o in zip(enc["outputs"], outs)}

    @torch.no_grad()
    def run_unet(self, x: np.ndarray, t: float, ehs: np.ndarray, text_embeds=None,
                 time_ids=None) -> np.ndarray:
        b = x.shape[0]
        if self.timestep_kind == "int64[1]":
            ts = torch.tensor([int(round(t))], dtype=torch.int64)
        elif self.timestep_kind == "float32[batch]":
            ts = torch.full((b,), float(np.float32(t)))
        else:
            ts = torch.tensor(float(np.float16(t)))
        extra = {}
        if text_embeds is not None:
            extra = dict(text_embeds=self._io(text_embeds), time_ids=self._io(time_ids))
        return self._out(self.unet(self._io(x), ts, self._io(ehs), **extra))

    @torch.no_grad()
    def decode(self, latents: np.ndarray) -> np.ndarray:
        return self._out(self.vae(self._io(latents)))

    @torch.no_grad()
    def encode_image(self, image: np.ndarray) -> np.ndarray:
        return self._out(self.vae_encoder(self._io(image)))

    # -- folder files ---------------------------------------------------------------------------

    def write_configs(self, folder: str) -> None:
        if self.name == "sdxl":
            index = {
                "_class_name": "ORTStableDiffusionXLPipeline",
                "_diffusers_version": DIFFUSERS_VERSION,
                "force_zeros_for_empty_prompt": True,
                "requires_aesthetics_score": False,
                "scheduler": ["diffusers", "EulerDiscreteScheduler"],
                "text_encoder": ["transformers", "CLIPTextModel"],
                "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
                "tokenizer": ["transformers", "CLIPTokenizer"],
                "tokenizer_2": ["transformers", "CLIPTokenizer"],
                "unet": ["diffusers", "UNet2DConditionModel"],
                "vae_decoder": ["diffusers", "AutoencoderKL"],
            }
        else:
            index = {
                "_class_name": "OnnxStableDiffusionPipeline",
                "_diffusers_version": DIFFUSERS_VERSION,
                "feature_extractor": [None, None],
                "requires_safety_checker": False,
                "safety_checker": [None, None],
                "scheduler": ["diffusers", "PNDMScheduler" if self.name == "sd15"
                              else "EulerDiscreteScheduler"],
                "text_encoder": ["diffusers", "OnnxRuntimeModel"],
                "tokenizer": ["transformers", "CLIPTokenizer"],
                "unet": ["diffusers", "OnnxRuntimeModel"],
                "vae_decoder": ["diffusers", "OnnxRuntimeModel"],
            }
        write_json(os.path.join(folder, "model_index.json"), index)
        write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), self.scheduler_config())
        vae = {"_class_name": "AutoencoderKL", "_diffusers_version": DIFFUSERS_VERSION,
               "latent_channels": 4, "in_channels": 3, "out_channels": 3,
               "scaling_factor": self.scaling_factor}
        if self.name == "sdxl":
            vae["force_upcast"] = True
        write_json(os.path.join(folder, "vae_decoder", "config.json"), vae)
        if self.vae_encoder is not None:
            write_json(os.path.join(folder, "vae_encoder", "config.json"), vae)
            index["vae_encoder"] = index["vae_decoder"]
            write_json(os.path.join(folder, "model_index.json"), index)

    def scheduler_config(self) -> dict:
        sched = {
            "_class_name": "PNDMScheduler" if self.name == "sd15" else "EulerDiscreteScheduler",
            "_diffusers_version": DIFFUSERS_VERSION,
            "beta_end": 0.012,
            "beta_schedule": "scaled_linear",
            "beta_start": 0.00085,
            "clip_sample": False,
            "num_train_timesteps": T,
            "prediction_type": self.prediction,
            "set_alpha_to_one": False,
            "steps_offset": 1,
            "timestep_spacing": self.spacing,
            "trained_betas": None,
        }
        if self.name == "sd15":
            sched["skip_prk_steps"] = True
        else:
            sched.update(interpolation_type="linear", use_karras_sigmas=False)
        return sched


# ----------------------------------------------------------------------------------------------
# Reference runs
# ----------------------------------------------------------------------------------------------


def write_json(path: str, obj, compact: bool = False) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        if compact:
            json.dump(obj, f, separators=(",", ":"))
        else:
            json.dump(obj, f, indent=2)
        f.write("\n")


def flat(arr: np.ndarray, digits: int = 7) -> list[float]:
    return [float(f"{v:.{digits}g}") for v in np.asarray(arr, dtype=np.float64).ravel()]


def stored(arr: np.ndarray) -> np.ndarray:
    """The values as written to JSON (7 significant digits), so the run uses exactly those."""
    return np.array(flat(arr), dtype=np.float64).reshape(arr.shape)


def input_ids(bpe_ids: list[int], pad: int) -> list[int]:
    ids = [clip_vocab.BOS_ID] + bpe_ids[:SEQ - 2] + [clip_vocab.EOS_ID]
    return ids + [pad] * (SEQ - len(ids))


def f32(arr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))


def run_case(fx: Fixture, case: dict, prompts: dict[str, list[int]], oracle: DiffusersOracle) -> dict:
    steps, g, batch = case["steps"], case["guidance"], case.get("batch", 1)
    width = height = 64
    cfg = g > 1.0
    sched = oracle.scheduler(case["scheduler"], fx.scheduler_config())
    sched.set_timesteps(steps)
    init_noise_sigma = float(sched.init_noise_sigma)
    rng = np.random.default_rng(case["seed"])

    prompt, negative = case["prompt"], case.get("negativePrompt") if cfg else None
    ids = [[input_ids(prompts[prompt], enc["pad"])] for enc in fx.encoders]
    neg_ids = [[input_ids(prompts[negative], enc["pad"])] for enc in fx.encoders] if cfg else None

    def embed(k_ids: list[list[list[int]]]):
        """-> (encoder_hidden_states [1,77,D], text_embeds [1,P] or None) for one prompt."""
        if fx.name != "sdxl":
            return fx.encode(0, k_ids[0])["last_hidden_state"], None
        o1, o2 = fx.encode(0, k_ids[0]), fx.encode(1, k_ids[1])
        n1, n2 = fx.encoders[0]["layers"], fx.encoders[1]["layers"]
        ehs = np.concatenate([o1[f"hidden_states.{n1 - 1}"], o2[f"hidden_states.{n2 - 1}"]], -1)
        return ehs, o2["text_embeds"]

    cond, cond_pooled = embed(ids)
    rows, pooled_rows = [cond] * batch, [cond_pooled] * batch
    if cfg:
        unc, unc_pooled = embed(neg_ids)
        rows, pooled_rows = [unc] * batch + rows, [unc_pooled] * batch + pooled_rows
    ehs = np.concatenate(rows, 0)
    text_embeds = time_ids = None
    if fx.name == "sdxl":
        text_embeds = np.concatenate(pooled_rows, 0)
        time_ids = np.array([[height, width, 0, 0, height, width]] * ehs.shape[0], np.float64)

    shape = (batch, 4, height // 8, width // 8)
    timesteps = sched.timesteps
    img2img = None
    if case.get("strength") is not None:
        img2img, x, timesteps = start_from_picture(fx, case, sched, rng, shape)
    else:
        x = stored(rng.standard_normal(shape) * init_noise_sigma)
    init_latents = x.copy()
    noises = []
    for t in timesteps:
        # Euler ancestral and LCM draw one noise array a step (LCM none at the last): drawn here
        # from the case's seed, stored, and handed to diffusers' step() as its randn_tensor.
        noise = []
        if case["scheduler"] in ("euler_a", "lcm"):
            noise = [stored(rng.standard_normal(shape))]
            noises.append(noise[0])
        xin = sched.scale_model_input(f32(x), t).double().numpy()
        if cfg:
            xin = np.concatenate([xin, xin], 0)
        out = fx.run_unet(xin, float(t), ehs, text_embeds, time_ids)
        if cfg:
            unc_out, cond_out = out[:batch], out[batch:]
            out = unc_out + g * (cond_out - unc_out)
        with oracle.given_noise(*map(f32, noise)):
            x = sched.step(f32(out), t, f32(x)).prev_sample.double().numpy()
    image = fx.decode(x / fx.scaling_factor)

    ref = {
        "model": fx.name,
        "prompt": prompt,
        "negativePrompt": negative,
        "inputIds": ids[0],
        "negativeInputIds": neg_ids[0] if cfg else None,
    }
    if fx.name == "sdxl":
        ref["inputIds2"] = ids[1]
        ref["negativeInputIds2"] = neg_ids[1] if cfg else None
        ref["timeIds"] = time_ids[0].astype(int).tolist()
    ts = timesteps.tolist()
    ref.update({
        "oracle": f"diffusers {oracle.version}" + (f" ({oracle.commit[:12]})" if oracle.commit else ""),
        "scheduler": case["scheduler"],
        "timestepSpacing": fx.spacing,
        "predictionType": fx.prediction,
        "steps": steps,
        "guidance": g,
        "width": width,
        "height": height,
        "batch": batch,
        "seed": case["seed"],
        "scalingFactor": fx.scaling_factor,
        "timesteps": [int(v) if float(v).is_integer() else float(v) for v in ts],
        "sigmas": flat(sched.sigmas.numpy(), 10) if case["scheduler"] in ("euler", "euler_a") else None,
        "initNoiseSigma": float(f"{init_noise_sigma:.10g}"),
        "latentShape": list(shape),
        "initLatents": flat(init_latents),
        "stepNoise": [flat(n) for n in noises] if noises else None,
        "finalLatents": flat(x),
        "image": flat(image),
        "tolerance": case.get("tolerance", 1e-3),
    })
    if img2img:
        ref.update(img2img)
    return ref


def start_from_picture(fx: Fixture, case: dict, sched, rng: np.random.Generator, shape: tuple):
    """Image-to-image as diffusers' StableDiffusionImg2ImgPipeline starts it: the picture (8-bit
    RGB, as 2·x/255 − 1) through the VAE encoder, a sample of the latent distribution (mean +
    exp(logvar/2)·noise, logvar clamped to [−30, 20]) times the scaling factor, then the
    scheduler's add_noise at the first of the last int(steps·strength) timesteps
    (set_begin_index, as get_timesteps does). The picture is the decoder's own of seeded latents,
    as a picture made by the model is."""
    steps, strength = case["steps"], case["strength"]
    picture = fx.decode(rng.standard_normal((1, 4, 8, 8)) * 5)[0]
    rgb = np.clip(np.round((picture + 1) / 2 * 255), 0, 255).astype(np.uint8).transpose(1, 2, 0)
    image = rgb.transpose(2, 0, 1)[None].astype(np.float64) / 255 * 2 - 1
    params = fx.encode_image(image)
    mean, logvar = params[:, :4], np.clip(params[:, 4:], -30.0, 20.0)
    encoder_noise = None
    if fx.encoder_output == "latent_parameters":
        encoder_noise = stored(rng.standard_normal(shape))
        sample = mean + np.exp(0.5 * logvar) * encoder_noise
    else:
        sample = mean  # the export's latent_sample (here its mean)
    x0 = fx.scaling_factor * sample
    t_start = steps - min(int(steps * strength), steps)
    timesteps = sched.timesteps[t_start:]
    if hasattr(sched, "set_begin_index"):
        sched.set_begin_index(t_start)
    noise = stored(rng.standard_normal(shape))
    x = sched.add_noise(f32(x0), f32(noise), timesteps[:1]).double().numpy()
    return {
        "strength": strength,
        "encoderOutput": fx.encoder_output,
        "initImage": rgb.ravel().astype(int).tolist(),
        "encoderNoise": flat(encoder_noise) if encoder_noise is not None else None,
        "imageNoise": flat(noise),
        "startLatents": flat(x0),
    }, x, timesteps


CASES = [
    # sd15: SD 1.x-like, epsilon, "leading"
    dict(model="sd15", name="sd15_euler", scheduler="euler", seed=101),
    dict(model="sd15", name="sd15_euler_a", scheduler="euler_a", seed=102),
    dict(model="sd15", name="sd15_ddim", scheduler="ddim", seed=103),
    dict(model="sd15", name="sd15_lcm", scheduler="lcm", seed=104),
    dict(model="sd15", name="sd15_euler_a_batch2", scheduler="euler_a", seed=105, batch=2,
         prompt="Sunset over the ocean with palm trees"),
    # sd21: SD 2.x / Turbo-like, v_prediction, "trailing"
    dict(model="sd21", name="sd21_euler", scheduler="euler", seed=201,
         prompt="an astronaut riding a horse on mars, photorealistic"),
    dict(model="sd21", name="sd21_euler_a", scheduler="euler_a", seed=202,
         prompt="an astronaut riding a horse on mars, photorealistic"),
    dict(model="sd21", name="sd21_ddim", scheduler="ddim", seed=203,
         prompt="an astronaut riding a horse on mars, photorealistic"),
    dict(model="sd21", name="sd21_lcm", scheduler="lcm", seed=204,
         prompt="an astronaut riding a horse on mars, photorealistic"),
    dict(model="sd21", name="sd21_euler_guidance1", scheduler="euler", seed=205, guidance=1.0,
         prompt="a photo of a cat"),
    # sdxl: float16 model, two encoders, epsilon, "leading"
    dict(model="sdxl", name="sdxl_euler", scheduler="euler", seed=301, guidance=5.0),
    dict(model="sdxl", name="sdxl_euler_a", scheduler="euler_a", seed=302, guidance=5.0,
         prompt="A cozy cabin in the woods, snow falling, warm light in the windows"),
]
# Image-to-image (written to reference/img2img/): the picture, encoder noise and added noise are
# stored; strength 0.5 of 4 steps runs the last 2, 0.75 the last 3, 0.3 of 10 the last 3.
IMG2IMG_CASES = [
    dict(model="sd15", name="sd15_euler_s05", scheduler="euler", seed=111, strength=0.5),
    dict(model="sd15", name="sd15_lcm_s075", scheduler="lcm", seed=112, strength=0.75),
    dict(model="sd15", name="sd15_ddim_s03", scheduler="ddim", seed=113, strength=0.3, steps=10),
    dict(model="sd21", name="sd21_euler_a_s075", scheduler="euler_a", seed=211, strength=0.75,
         prompt="an astronaut riding a horse on mars, photorealistic"),
]
# float16 ONNX vs float32 torch: onnxruntime-node 1.30 (CPU) measured up to 2.1e-3 (latents) and
# 1.1e-2 (image), as max |error| / max |reference|; wrong hidden-state layer, time_ids or
# text_embeds gave 7e-2 .. 1.8 there.
SDXL_TOLERANCE = 3e-2


# ----------------------------------------------------------------------------------------------
# Self-checks
# ----------------------------------------------------------------------------------------------


@torch.no_grad()
def check_sensitivity(fx: Fixture) -> None:
    """Every model input must change the outputs visibly."""

    def rel(a: torch.Tensor, b: torch.Tensor) -> float:
        return float((a - b).abs().max() / b.abs().max())

    for k, enc in enumerate(fx.encoders):
        m = enc["module"]
        ids = torch.tensor([input_ids([320, 1125, 539, 320, 2368], enc["pad"])], dtype=enc["ids"])
        ids2 = ids.clone()
        ids2[0, 5] = 1929
        a, b = m(ids), m(ids2)
        for name, x, y in zip(enc["outputs"], a, b):
            assert rel(x, y) > 1e-2, (fx.name, k, name, rel(x, y))
    u = fx.unet
    ctx = u.attn1.to_k.in_features
    g = torch.Generator().manual_seed(0)
    args = dict(sample=torch.randn(1, 4, 8, 8, generator=g), timestep=torch.tensor([500.0]),
                encoder_hidden_states=torch.randn(1, SEQ, ctx, generator=g))
    if u.sdxl:
        args.update(text_embeds=torch.randn(1, 48, generator=g),
                    time_ids=torch.tensor([[64.0, 64, 0, 0, 64, 64]]))
    base = u(**args)
    assert 0.5 < float(base.std()) < 2.0, (fx.name, float(base.std()))
    for key in args:
        changed = dict(args)
        if key == "timestep":
            changed[key] = torch.tensor([600.0])
        elif key == "time_ids":
            changed[key] = torch.tensor([[64.0, 64, 0, 0, 96, 96]])
        else:
            changed[key] = args[key] + 0.3 * torch.randn(args[key].shape, generator=g)
        assert rel(u(**changed), base) > 1e-2, (fx.name, key, rel(u(**changed), base))
    img = fx.vae(torch.randn(1, 4, 8, 8, generator=g) * 5)
    assert 0.1 < float(img.std()) < 0.9 and float(img.abs().max()) < 1.0, float(img.std())


TAESD_FIXTURE = {  # AutoencoderTiny's decoder with 8 channels and one block per level
    "_class_name": "AutoencoderTiny",
    "_diffusers_version": DIFFUSERS_VERSION,
    "act_fn": "relu",
    "decoder_block_out_channels": [8, 8, 8, 8],
    "encoder_block_out_channels": [8, 8, 8, 8],
    "force_upcast": False,
    "in_channels": 3,
    "latent_channels": 4,
    "latent_magnitude": 3,
    "latent_shift": 0.5,
    "num_decoder_blocks": [1, 1, 1, 1],
    "num_encoder_blocks": [1, 1, 1, 1],
    "out_channels": 3,
    "scaling_factor": 1.0,
    "shift_factor": 0.0,
    "upsample_fn": "nearest",
    "upsampling_scaling_factor": 2,
}
TAESD_SEED = 4000


@torch.no_grad()
def build_taesd(out: str) -> None:
    """The tiny decoder, exported by realsize.py's exporter (float16, as a half-precision export),
    and a reference decode: seeded latents through the same weights in PyTorch (weights, input and
    output rounded to float16, math in float32)."""
    from sdonnx import arch, export as sdexport, weights as sdweights
    folder = os.path.join(out, "taesd", "taesd_decoder")
    with sdweights.no_init():
        module = arch.AutoencoderTinyDecoder(TAESD_FIXTURE)
    axes = {"latent_sample": {0: "batch_size", 2: "latent_height", 3: "latent_width"},
            "sample": {0: "batch_size", 2: "latent_height * 8", 3: "latent_width * 8"}}
    traced = sdexport.trace(module, (torch.randn(1, 4, 8, 8),), ["latent_sample"], ["sample"], axes)
    sdexport.save(sdexport.to_fp16(traced), folder, TAESD_SEED, "lumen make_fixtures")
    write_json(os.path.join(folder, "config.json"), TAESD_FIXTURE)
    with sdweights.no_init():
        module = arch.AutoencoderTinyDecoder(TAESD_FIXTURE)
    sdweights.fill_weights(module, TAESD_SEED)
    round_weights_to_fp16(module)
    rng = np.random.default_rng(TAESD_SEED)
    latents = stored(rng.standard_normal((1, 4, 8, 8)))
    x = torch.from_numpy(latents.astype(np.float16).astype(np.float32))
    image = module(x).numpy().astype(np.float16).astype(np.float64)
    assert 0.2 < float(image.std()) and float(np.abs(latents).max()) > 1.0
    write_json(os.path.join(out, "taesd", "taesd_decode.json"), {
        "decoder": "taesd_decoder",
        "scalingFactor": TAESD_FIXTURE["scaling_factor"],
        "latentShape": list(latents.shape),
        "latents": flat(latents),
        "imageShape": list(image.shape),
        "image": flat(image),
        "tolerance": SDXL_TOLERANCE,
    }, compact=True)


def du(path: str) -> int:
    return sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(path) for f in fs)


# ----------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures"))
    ap.add_argument("--clip-dir", default=os.path.join(ROOT, "..", "shared", "data", "clip"),
                    help="folder with bpe_simple_vocab_16e6.txt.gz, LICENSE, reference_ids.json")
    ap.add_argument("--diffusers-src", default=os.environ.get("DIFFUSERS_SRC"),
                    help="a huggingface/diffusers checkout or git repository, whose scheduler code "
                         "computes the reference runs (default: $DIFFUSERS_SRC)")
    opts = ap.parse_args()
    if not opts.diffusers_src:
        ap.error("--diffusers-src DIR (or DIFFUSERS_SRC) is needed: a clone of "
                 "https://github.com/huggingface/diffusers; see models/training/README.md")
    oracle = DiffusersOracle(opts.diffusers_src)
    start = time.time()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    out = os.path.abspath(opts.out)
    for sub in ("sd15", "sd21", "sdxl", "taesd", "reference", "schedulers"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
    os.makedirs(out, exist_ok=True)

    # CLIP tokenizer data
    merges = clip_vocab.load_merges(os.path.join(opts.clip_dir, "bpe_simple_vocab_16e6.txt.gz"))
    vocab = clip_vocab.build_vocab(merges)
    shutil.copyfile(os.path.join(opts.clip_dir, "LICENSE"), os.path.join(out, "CLIP_LICENSE"))
    ref_path = os.path.join(opts.clip_dir, "reference_ids.json")
    shutil.copyfile(ref_path, os.path.join(out, "clip_reference_ids.json"))
    with open(ref_path, encoding="utf-8") as f:
        prompts = {c["prompt"]: c["bpe_ids"] for c in json.load(f)["cases"]}
    bpe = clip_vocab.ClipBpe(vocab, merges)
    for p, ids in prompts.items():
        assert bpe.encode(p) == ids, f"vocabulary does not reproduce the reference ids for {p!r}"

    tok = lambda folder, pad, vm, tj: clip_vocab.write_tokenizer(  # noqa: E731
        folder, vocab, merges, pad_token=pad, vocab_merges=vm, tokenizer_json_file=tj)
    tok(os.path.join(out, "sd15", "tokenizer"), clip_vocab.EOS, True, False)
    tok(os.path.join(out, "sd21", "tokenizer"), "!", False, True)
    tok(os.path.join(out, "sdxl", "tokenizer"), clip_vocab.EOS, True, False)
    tok(os.path.join(out, "sdxl", "tokenizer_2"), "!", False, True)

    fixtures = {}
    for k, name in enumerate(("sd15", "sd21", "sdxl")):
        fx = Fixture(name, seed=1000 * (k + 1))
        check_sensitivity(fx)
        folder = os.path.join(out, name)
        fx.export(folder)
        fx.write_configs(folder)
        fixtures[name] = fx
        print(f"{name}: exported ({time.time() - start:.1f}s)")

    for case in CASES:
        fx = fixtures[case["model"]]
        spec = {"steps": 4, "guidance": 7.5, "prompt": "a photo of a cat",
                "negativePrompt": "a photo of a dog", **case}
        if fx.name == "sdxl":
            spec["tolerance"] = SDXL_TOLERANCE
        ref = run_case(fx, spec, prompts, oracle)
        write_json(os.path.join(out, "reference", f"{case['name']}.json"), ref, compact=True)
        print(f"reference/{case['name']}.json: final latents |max| "
              f"{max(abs(v) for v in ref['finalLatents']):.3g}")

    for case in IMG2IMG_CASES:
        fx = fixtures[case["model"]]
        spec = {"steps": 4, "guidance": 7.5, "prompt": "a photo of a cat",
                "negativePrompt": "a photo of a dog", **case}
        ref = run_case(fx, spec, prompts, oracle)
        write_json(os.path.join(out, "reference", "img2img", f"{case['name']}.json"), ref,
                   compact=True)
        print(f"reference/img2img/{case['name']}.json: {len(ref['timesteps'])} of {spec['steps']} "
              f"steps (encoder fit: {fx.encoder_fit:.3g})")

    cases = scheduler_cases.build(oracle)
    write_json(os.path.join(out, "schedulers", "diffusers_cases.json"), cases, compact=True)
    print(f"schedulers/diffusers_cases.json: {len(cases['cases'])} cases from {cases['source']}")

    build_taesd(out)
    print(f"taesd/taesd_decoder and taesd/taesd_decode.json ({time.time() - start:.1f}s)")

    size = du(out)
    print(f"{out}: {size / 1e6:.2f} MB in {time.time() - start:.1f}s")
    assert size < 20e6, "fixtures exceed the 20 MB budget"


if __name__ == "__main__":
    main()
