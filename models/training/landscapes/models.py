"""Networks of the lumen-landscapes latent diffusion model, and its noise schedule and sampler.

- VAE: SxSx3 <-> (S/f)x(S/f)xz, f = 8 (or 16: train.py --vae-down), z = train.py --latent-channels,
  small KL. v2 (render3d, S = 256): 32x32x8 latents; v1 (render.py, S = 128): 16x16x8.
- Text encoder: a small bidirectional transformer over the word-level tokenizer, [B, 32] -> [B, 32, 128].
- UNet: fully convolutional + attention (no positional embedding), channels 64/96/144 at latent
  size / 1, 2, 4 (train.py --unet-ch), cross-attention to the text at /2, /4 and the middle; any
  latent size that is a multiple of 4 runs, so other aspects are sampled at about the same area.
- Schedule: scaled_linear betas (0.00085..0.012, 1000 steps) rescaled to zero terminal SNR,
  v-prediction; sampled with Euler and "trailing" timestep spacing exactly as diffusers'
  EulerDiscreteScheduler does (the TypeScript engine implements the same).
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------------
# schedule

NUM_TRAIN_TIMESTEPS = 1000
BETA_START, BETA_END = 0.00085, 0.012

# Sampling defaults written to lumen.json and measured by evaluate.py. Guidance runs only on the
# steps from GUIDANCE_START (a fraction of the steps) on: the unguided early steps keep each seed's
# layout, the guided late ones make the prompt's attributes clear (see the model card's sweep).
DEFAULT_STEPS, DEFAULT_GUIDANCE, DEFAULT_GUIDANCE_START = 8, 8.0, 0.75


def add_sampling_args(ap):
    """--runs, --out and the sampling options shared by export.py and evaluate.py."""
    ap.add_argument("--runs", default="models/training/runs")
    ap.add_argument("--out", default="models/lumen-landscapes")
    ap.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    ap.add_argument("--guidance", type=float, default=DEFAULT_GUIDANCE)
    ap.add_argument("--guidance-start", type=float, default=DEFAULT_GUIDANCE_START)


def alphas_cumprod_zero_snr():
    betas = np.linspace(BETA_START ** 0.5, BETA_END ** 0.5, NUM_TRAIN_TIMESTEPS, dtype=np.float64) ** 2
    # diffusers' rescale_zero_terminal_snr
    alphas = 1.0 - betas
    ac = np.cumprod(alphas)
    s = np.sqrt(ac)
    s0, sT = s[0], s[-1]
    s = (s - sT) * s0 / (s0 - sT)
    ac = s ** 2
    alphas = np.concatenate([ac[:1], ac[1:] / ac[:-1]])
    betas = 1 - alphas
    return np.cumprod(1 - betas)  # last is exactly 0


def euler_trailing(steps):
    """Timesteps and sigmas of diffusers' EulerDiscreteScheduler, trailing spacing, zero-SNR."""
    ac = alphas_cumprod_zero_snr().astype(np.float32).astype(np.float64)
    ac[-1] = 2.0 ** -24
    ts = np.round(np.arange(NUM_TRAIN_TIMESTEPS, 0, -NUM_TRAIN_TIMESTEPS / steps)).astype(np.int64) - 1
    sig_all = np.sqrt((1 - ac) / ac)
    sig = np.interp(ts, np.arange(NUM_TRAIN_TIMESTEPS), sig_all)
    sig = np.concatenate([sig, [0.0]])
    return ts, sig


@torch.no_grad()
def sample(unet, cond, uncond=None, guidance=1.0, steps=6, shape=None, generator=None, noise=None,
           guidance_start=0.0):
    """Euler (trailing) sampling with v-prediction, as the engine does. Returns scaled latents."""
    ts, sig = euler_trailing(steps)
    first_guided = math.floor(guidance_start * steps)
    b = cond.shape[0]
    x = noise if noise is not None else torch.randn((b,) + tuple(shape), generator=generator)
    x = x * float(sig[0])
    for i, t in enumerate(ts):
        s, sn = float(sig[i]), float(sig[i + 1])
        inp = x / math.sqrt(s * s + 1)
        tt = torch.full((b,), float(t))
        if uncond is not None and guidance > 1.0 and i >= first_guided:
            out = unet(torch.cat([inp, inp]), torch.cat([tt, tt]), torch.cat([uncond, cond]))
            ou, oc = out.chunk(2)
            out = ou + guidance * (oc - ou)
        else:
            out = unet(inp, tt, cond)
        x0 = out * (-s / math.sqrt(s * s + 1)) + x / (s * s + 1)
        x = x + (x - x0) / s * (sn - s)
    return x


# ----------------------------------------------------------------------------------------------
# blocks

def gn(c):
    return nn.GroupNorm(min(8, c // 4) if c >= 8 else 1, c)


class Res(nn.Module):
    def __init__(self, cin, cout, temb=None):
        super().__init__()
        self.n1, self.c1 = gn(cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.n2, self.c2 = gn(cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.t = nn.Linear(temb, cout) if temb else None
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, te=None):
        h = self.c1(F.silu(self.n1(x)))
        if self.t is not None:
            h = h + self.t(te)[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return self.skip(x) + h


# ----------------------------------------------------------------------------------------------
# VAE

class Encoder(nn.Module):
    def __init__(self, ch=(16, 32, 64, 128), z=4):
        super().__init__()
        self.inp = nn.Conv2d(3, ch[0], 3, padding=1)
        layers = []
        for a, b in zip(ch[:-1], ch[1:]):
            layers += [nn.Conv2d(a, b, 3, stride=2, padding=1), Res(b, b)]
        self.down = nn.Sequential(*layers)
        self.out = nn.Sequential(gn(ch[-1]), nn.SiLU(), nn.Conv2d(ch[-1], 2 * z, 3, padding=1))

    def forward(self, x):
        return self.out(self.down(F.silu(self.inp(x))))


class Decoder(nn.Module):
    def __init__(self, ch=(128, 96, 48, 24), z=4):
        super().__init__()
        self.inp = nn.Conv2d(z, ch[0], 3, padding=1)
        self.mid = Res(ch[0], ch[0])
        layers = []
        for a, b in zip(ch[:-1], ch[1:]):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(a, b, 3, padding=1), Res(b, b)]
        self.up = nn.Sequential(*layers)
        self.out = nn.Sequential(gn(ch[-1]), nn.SiLU(), nn.Conv2d(ch[-1], 3, 3, padding=1))

    def forward(self, z):
        return self.out(self.up(self.mid(self.inp(z))))


# Channels of the autoencoder per downsampling factor: the encoder from full size down, the decoder
# from the latent up. v1's (f = 8 at 128²) are the defaults; at 256² the decoder's last, full-size
# levels dominate the engine's time, so v2's are narrower there.
VAE_CHANNELS = {
    "v1": ((16, 32, 64, 128), (128, 96, 48, 24)),
    8: ((16, 32, 64, 128), (128, 96, 48, 24)),
    16: ((16, 32, 64, 128, 128), (128, 128, 64, 32, 16)),
}


class VAE(nn.Module):
    def __init__(self, z=4, enc_ch=None, dec_ch=None):
        super().__init__()
        self.z = z
        self.enc_ch = tuple(enc_ch or VAE_CHANNELS["v1"][0])
        self.dec_ch = tuple(dec_ch or VAE_CHANNELS["v1"][1])
        self.down = 2 ** (len(self.enc_ch) - 1)
        self.enc, self.dec = Encoder(ch=self.enc_ch, z=z), Decoder(ch=self.dec_ch, z=z)

    def encode(self, x):
        mean, logvar = self.enc(x).chunk(2, dim=1)
        return mean, logvar.clamp(-20, 10)

    def forward(self, x):
        mean, logvar = self.encode(x)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
        return self.dec(z), mean, logvar


class PatchCritic(nn.Module):
    """Judges 8x8-pixel patches as rendered or reconstructed, for the VAE's adversarial loss. Spectral
    norm keeps it smooth; the generator also matches its features (more stable than the score alone)."""

    def __init__(self, ch=(32, 64, 128)):
        super().__init__()
        sn = nn.utils.spectral_norm
        self.blocks = nn.ModuleList(nn.Sequential(sn(nn.Conv2d(a, b, 4, 2, 1)), nn.LeakyReLU(0.2))
                                    for a, b in zip((3,) + ch[:-1], ch))
        self.head = sn(nn.Conv2d(ch[-1], 1, 3, padding=1))

    def forward(self, x):
        feats = []
        for b in self.blocks:
            x = b(x)
            feats.append(x)
        return self.head(x), feats


def load_vae(path):
    """A trained VAE checkpoint (vae_final.pt) with its own latent width, in eval mode."""
    st = torch.load(path)
    vae = VAE(z=st.get("z", 4), enc_ch=st.get("enc_ch"), dec_ch=st.get("dec_ch"))
    vae.load_state_dict(st["vae"])
    return vae.eval()


def run_config(runs):
    """<runs>/config.json, written by train.py's first stage: the renderer, image size and
    autoencoder factor every later stage (and export, evaluate, card) follows. Runs from before
    it existed were v1's: render.py at 128², 8x downsampling."""
    import json
    import os
    cfg = {"renderer": "2d", "size": 128, "vae_down": 8}
    path = os.path.join(runs, "config.json")
    if os.path.exists(path):
        cfg.update(json.load(open(path)))
    return cfg


def data_sets(runs):
    """The run's training sets, one per frame it renders: [(path prefix, (width, height))]. The
    square set is data/train, the others data/train_<w>x<h>; runs from before frames were in the
    config have the square set only."""
    import os
    cfg = run_config(runs)
    side = cfg["size"]
    frames = [tuple(f) for f in cfg.get("frames", [[side, side]])]
    return [(os.path.join(runs, "data", "train" if f == (side, side) else f"train_{f[0]}x{f[1]}"), f)
            for f in frames]


def renderer(name):
    """The scene renderer module: "3d" = render3d.py (256², 7 attributes), "2d" = render.py (128², 6)."""
    if name == "3d":
        import render3d as r
    elif name == "2d":
        import render as r
    else:
        raise ValueError(f"unknown renderer {name!r}")
    return r


def to_tensor(u8):
    """uint8 images [n, h, w, 3] -> float [n, 3, h, w] in [-1, 1]"""
    return torch.from_numpy(np.ascontiguousarray(u8)).permute(0, 3, 1, 2).float() / 127.5 - 1


def to_u8(img):
    """Decoder output [n, 3, h, w] (about [-1, 1]) -> uint8 images [n, h, w, 3]"""
    return ((img.clamp(-1, 1) + 1) * 127.5 + 0.5).clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()


@torch.no_grad()
def reconstruct(vae, u8, batch=64):
    """uint8 images -> the VAE's reconstructions of them (encoder mean, then decoder), as uint8"""
    return np.concatenate([to_u8(vae.dec(vae.encode(to_tensor(u8[i:i + batch]))[0]))
                           for i in range(0, len(u8), batch)])


class LatentExport(nn.Module):
    """sample (image in [-1, 1]) -> latent_sample: the encoder's mean, unscaled."""

    def __init__(self, enc):
        super().__init__()
        self.enc = enc

    def forward(self, sample):
        return self.enc(sample).chunk(2, dim=1)[0]


class DecoderExport(nn.Module):
    """latent_sample (already divided by scaling_factor) -> image in [-1, 1]"""

    def __init__(self, dec):
        super().__init__()
        self.dec = dec

    def forward(self, latent_sample):
        return self.dec(latent_sample).clamp(-1, 1)


# ----------------------------------------------------------------------------------------------
# text encoder

class Attention(nn.Module):
    def __init__(self, dim, ctx_dim=None, heads=4):
        super().__init__()
        ctx_dim = ctx_dim or dim
        self.h = heads
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(ctx_dim, dim, bias=False)
        self.v = nn.Linear(ctx_dim, dim, bias=False)
        self.o = nn.Linear(dim, dim)

    def forward(self, x, ctx=None):
        ctx = x if ctx is None else ctx
        b, n, d = x.shape
        h = self.h
        q = self.q(x).reshape(b, n, h, d // h).transpose(1, 2)
        k = self.k(ctx).reshape(b, ctx.shape[1], h, d // h).transpose(1, 2)
        v = self.v(ctx).reshape(b, ctx.shape[1], h, d // h).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) * (1.0 / math.sqrt(d // h)), dim=-1)
        return self.o((a @ v).transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    def __init__(self, dim, heads=4, ff=2):
        super().__init__()
        self.n1, self.att = nn.LayerNorm(dim), Attention(dim, heads=heads)
        self.n2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, dim * ff), nn.GELU(), nn.Linear(dim * ff, dim))

    def forward(self, x):
        x = x + self.att(self.n1(x))
        return x + self.ff(self.n2(x))


class TextEncoder(nn.Module):
    def __init__(self, vocab, dim=128, layers=3, max_len=32):
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(1, max_len, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)

    def forward(self, input_ids):
        x = self.tok(input_ids) + self.pos[:, : input_ids.shape[1]]
        for b in self.blocks:
            x = b(x)
        return self.norm(x)


# ----------------------------------------------------------------------------------------------
# UNet

def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    a = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(a), torch.sin(a)], dim=1)


class CrossAttn(nn.Module):
    def __init__(self, c, ctx_dim, heads=4):
        super().__init__()
        self.n1, self.self_att = nn.LayerNorm(c), Attention(c, heads=heads)
        self.n2, self.cross = nn.LayerNorm(c), Attention(c, ctx_dim, heads=heads)
        self.n3 = nn.LayerNorm(c)
        self.ff = nn.Sequential(nn.Linear(c, c * 2), nn.GELU(), nn.Linear(c * 2, c))

    def forward(self, x, ctx):
        b, c, h, w = x.shape
        s = x.flatten(2).transpose(1, 2)
        s = s + self.self_att(self.n1(s))
        s = s + self.cross(self.n2(s), ctx)
        s = s + self.ff(self.n3(s))
        return x + s.transpose(1, 2).reshape(b, c, h, w)


class UNet(nn.Module):
    def __init__(self, ch=(64, 128, 192), ctx_dim=128, z=4, temb=256):
        super().__init__()
        self.ch, self.ch0 = tuple(ch), ch[0]
        self.temb = nn.Sequential(nn.Linear(ch[0], temb), nn.SiLU(), nn.Linear(temb, temb))
        self.inp = nn.Conv2d(z, ch[0], 3, padding=1)
        # down: 16 (64) -> 8 (128) -> 4 (192)
        self.d0 = Res(ch[0], ch[0], temb)
        self.ds0 = nn.Conv2d(ch[0], ch[0], 3, stride=2, padding=1)
        self.d1 = Res(ch[0], ch[1], temb)
        self.a1 = CrossAttn(ch[1], ctx_dim)
        self.ds1 = nn.Conv2d(ch[1], ch[1], 3, stride=2, padding=1)
        self.d2 = Res(ch[1], ch[2], temb)
        self.a2 = CrossAttn(ch[2], ctx_dim)
        self.m1 = Res(ch[2], ch[2], temb)
        self.ma = CrossAttn(ch[2], ctx_dim)
        self.m2 = Res(ch[2], ch[2], temb)
        # up
        self.u2 = Res(ch[2] + ch[2], ch[2], temb)
        self.ua2 = CrossAttn(ch[2], ctx_dim)
        self.us2 = nn.Conv2d(ch[2], ch[1], 3, padding=1)
        self.u1 = Res(ch[1] + ch[1], ch[1], temb)
        self.ua1 = CrossAttn(ch[1], ctx_dim)
        self.us1 = nn.Conv2d(ch[1], ch[0], 3, padding=1)
        self.u0 = Res(ch[0] + ch[0], ch[0], temb)
        self.out = nn.Sequential(gn(ch[0]), nn.SiLU(), nn.Conv2d(ch[0], z, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, sample, timestep, encoder_hidden_states):
        ctx = encoder_hidden_states
        te = self.temb(timestep_embedding(timestep, self.ch0))
        x = self.inp(sample)
        h0 = self.d0(x, te)
        x = self.ds0(h0)
        h1 = self.a1(self.d1(x, te), ctx)
        x = self.ds1(h1)
        h2 = self.a2(self.d2(x, te), ctx)
        x = self.m2(self.ma(self.m1(h2, te), ctx), te)
        x = self.ua2(self.u2(torch.cat([x, h2], 1), te), ctx)
        x = self.us2(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        x = self.ua1(self.u1(torch.cat([x, h1], 1), te), ctx)
        x = self.us1(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        x = self.u0(torch.cat([x, h0], 1), te)
        return self.out(x)


def count(m):
    return sum(p.numel() for p in m.parameters())
