"""The Stable Diffusion networks, built from the same config keys, in the same order and with the
same parameter names as diffusers (UNet2DConditionModel, AutoencoderKL's decoder, AutoencoderTiny's
decoder) and transformers (CLIPTextModel, CLIPTextModelWithProjection) build them.

Written from the architecture facts of those libraries (read, not copied; neither is installed
here): channel counts, heads, norms and their epsilons, GEGLU, the sinusoidal time embedding,
the down/mid/up block structure with its skip connections, SDXL's text_time added embedding.
Attention is the plain softmax(QKᵀ/√d)V that diffusers' AttnProcessor computes and optimum
exports with PyTorch < 2.1. Dropout is omitted (inference only; it has no parameters).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------------
# Shared pieces
# ----------------------------------------------------------------------------------------------


class Timesteps(nn.Module):
    """diffusers' get_timestep_embedding: sinusoids of a 1-d tensor, computed in float32."""

    def __init__(self, num_channels: int, flip_sin_to_cos: bool, downscale_freq_shift: float):
        super().__init__()
        self.num_channels = num_channels
        self.flip_sin_to_cos = flip_sin_to_cos
        self.downscale_freq_shift = downscale_freq_shift

    def forward(self, timesteps: torch.Tensor) -> torch.Tensor:
        half = self.num_channels // 2
        exponent = -math.log(10000) * torch.arange(half, dtype=torch.float32)
        exponent = exponent / (half - self.downscale_freq_shift)
        emb = timesteps[:, None].float() * torch.exp(exponent)[None, :]
        emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)
        if self.flip_sin_to_cos:
            emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
        return emb


class TimestepEmbedding(nn.Module):
    def __init__(self, in_channels: int, time_embed_dim: int):
        super().__init__()
        self.linear_1 = nn.Linear(in_channels, time_embed_dim)
        self.act = nn.SiLU()
        self.linear_2 = nn.Linear(time_embed_dim, time_embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear_2(self.act(self.linear_1(x)))


class ResnetBlock2D(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, temb_channels: int | None,
                 groups: int, eps: float):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_channels, eps=eps)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb_channels, out_channels) if temb_channels else None
        self.norm2 = nn.GroupNorm(groups, out_channels, eps=eps)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.conv_shortcut = (nn.Conv2d(in_channels, out_channels, 1)
                              if in_channels != out_channels else None)

    def forward(self, x: torch.Tensor, temb: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(x)
        return x + h


class Attention(nn.Module):
    """diffusers' Attention with AttnProcessor. On a 4-d input (the VAE's mid-block) it attends
    over the pixels, with its own group norm and a residual connection."""

    def __init__(self, query_dim: int, cross_attention_dim: int | None, heads: int,
                 dim_head: int, bias: bool, norm_groups: int | None = None, eps: float = 1e-6):
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.scale = dim_head ** -0.5
        self.group_norm = (nn.GroupNorm(norm_groups, query_dim, eps=eps)
                           if norm_groups else None)
        self.to_q = nn.Linear(query_dim, inner, bias=bias)
        self.to_k = nn.Linear(cross_attention_dim or query_dim, inner, bias=bias)
        self.to_v = nn.Linear(cross_attention_dim or query_dim, inner, bias=bias)
        self.to_out = nn.ModuleList([nn.Linear(inner, query_dim)])

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        spatial = x.dim() == 4
        if spatial:
            residual = x
            b, c, h, w = x.shape
            x = x.reshape(b, c, h * w).transpose(1, 2)
        if self.group_norm is not None:
            x = self.group_norm(x.transpose(1, 2)).transpose(1, 2)
        context = x if context is None else context
        b, s, _ = x.shape
        q = self.to_q(x).reshape(b, s, self.heads, -1).transpose(1, 2)
        k = self.to_k(context).reshape(b, context.shape[1], self.heads, -1).transpose(1, 2)
        v = self.to_v(context).reshape(b, context.shape[1], self.heads, -1).transpose(1, 2)
        probs = (torch.matmul(q, k.transpose(-1, -2)) * self.scale).softmax(dim=-1)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, -1)
        out = self.to_out[0](out)
        if spatial:
            out = out.transpose(1, 2).reshape(b, c, h, w) + residual
        return out


class GEGLU(nn.Module):
    def __init__(self, dim_in: int, dim_out: int):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden, gate = self.proj(x).chunk(2, dim=-1)
        return hidden * F.gelu(gate)


class FeedForward(nn.Module):
    """net = [GEGLU, Dropout, Linear]: parameter names ff.net.0.proj.* and ff.net.2.*."""

    def __init__(self, dim: int, mult: int = 4):
        super().__init__()
        inner = dim * mult
        self.net = nn.ModuleList([GEGLU(dim, inner), nn.Identity(), nn.Linear(inner, dim)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net[2](self.net[0](x))


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim: int, heads: int, dim_head: int, cross_attention_dim: int,
                 eps: float = 1e-5):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn1 = Attention(dim, None, heads, dim_head, bias=False)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.attn2 = Attention(dim, cross_attention_dim, heads, dim_head, bias=False)
        self.norm3 = nn.LayerNorm(dim, eps=eps)
        self.ff = FeedForward(dim)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context) + x
        return self.ff(self.norm3(x)) + x


class Transformer2DModel(nn.Module):
    """GroupNorm → proj_in → transformer blocks → proj_out, plus the input. SD 1.x projects with
    1×1 convolutions before flattening; SD 2.x and SDXL (use_linear_projection) with Linear after."""

    def __init__(self, heads: int, dim_head: int, in_channels: int, num_layers: int,
                 cross_attention_dim: int, groups: int, use_linear_projection: bool):
        super().__init__()
        inner = heads * dim_head
        self.use_linear_projection = use_linear_projection
        self.norm = nn.GroupNorm(groups, in_channels, eps=1e-6)
        if use_linear_projection:
            self.proj_in = nn.Linear(in_channels, inner)
        else:
            self.proj_in = nn.Conv2d(in_channels, inner, 1)
        self.transformer_blocks = nn.ModuleList(
            BasicTransformerBlock(inner, heads, dim_head, cross_attention_dim)
            for _ in range(num_layers))
        if use_linear_projection:
            self.proj_out = nn.Linear(inner, in_channels)
        else:
            self.proj_out = nn.Conv2d(inner, in_channels, 1)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        residual = x
        x = self.norm(x)
        if self.use_linear_projection:
            x = self.proj_in(x.permute(0, 2, 3, 1).reshape(b, h * w, c))
        else:
            x = self.proj_in(x)
            x = x.permute(0, 2, 3, 1).reshape(b, h * w, -1)
        for block in self.transformer_blocks:
            x = block(x, context)
        if self.use_linear_projection:
            x = self.proj_out(x).reshape(b, h, w, -1).permute(0, 3, 1, 2)
        else:
            x = self.proj_out(x.reshape(b, h, w, -1).permute(0, 3, 1, 2))
        return x + residual


class Downsample2D(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


# ----------------------------------------------------------------------------------------------
# UNet2DConditionModel
# ----------------------------------------------------------------------------------------------


class DownBlock(nn.Module):
    """CrossAttnDownBlock2D (with attentions) or DownBlock2D (without)."""

    def __init__(self, cin: int, cout: int, temb: int, layers: int, attention: dict | None,
                 add_downsample: bool, groups: int, eps: float):
        super().__init__()
        self.resnets = nn.ModuleList(
            ResnetBlock2D(cin if i == 0 else cout, cout, temb, groups, eps) for i in range(layers))
        if attention:
            self.attentions = nn.ModuleList(
                Transformer2DModel(in_channels=cout, groups=groups, **attention)
                for _ in range(layers))
        else:
            self.attentions = None
        self.downsamplers = nn.ModuleList([Downsample2D(cout)]) if add_downsample else None

    def forward(self, x, temb, context):
        states = []
        for i, resnet in enumerate(self.resnets):
            x = resnet(x, temb)
            if self.attentions is not None:
                x = self.attentions[i](x, context)
            states.append(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
            states.append(x)
        return x, states


class UpBlock(nn.Module):
    """CrossAttnUpBlock2D or UpBlock2D: each resnet takes the previous output concatenated with
    one skip connection from the down path."""

    def __init__(self, cin: int, cout: int, prev: int, temb: int, layers: int,
                 attention: dict | None, add_upsample: bool, groups: int, eps: float):
        super().__init__()
        resnets = []
        for i in range(layers):
            skip = cin if i == layers - 1 else cout
            resnets.append(ResnetBlock2D((prev if i == 0 else cout) + skip, cout, temb, groups, eps))
        self.resnets = nn.ModuleList(resnets)
        if attention:
            self.attentions = nn.ModuleList(
                Transformer2DModel(in_channels=cout, groups=groups, **attention)
                for _ in range(layers))
        else:
            self.attentions = None
        self.upsamplers = nn.ModuleList([Upsample2D(cout)]) if add_upsample else None

    def forward(self, x, skips, temb, context):
        for i, resnet in enumerate(self.resnets):
            x = resnet(torch.cat([x, skips.pop()], dim=1), temb)
            if self.attentions is not None:
                x = self.attentions[i](x, context)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class MidBlock(nn.Module):
    """UNetMidBlock2DCrossAttn: resnet, then (transformer, resnet) pairs."""

    def __init__(self, channels: int, temb: int, attention: dict, groups: int, eps: float):
        super().__init__()
        self.attentions = nn.ModuleList(
            [Transformer2DModel(in_channels=channels, groups=groups, **attention)])
        self.resnets = nn.ModuleList(
            ResnetBlock2D(channels, channels, temb, groups, eps) for _ in range(2))

    def forward(self, x, temb, context):
        x = self.resnets[0](x, temb)
        return self.resnets[1](self.attentions[0](x, context), temb)


def _per_block(value, n: int) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value] * n


class UNet2DConditionModel(nn.Module):
    """From a diffusers unet/config.json (the keys SD 1.x, 2.x and SDXL use)."""

    def __init__(self, config: dict):
        super().__init__()
        self.config = config
        channels = config["block_out_channels"]
        n = len(channels)
        groups, eps = config["norm_num_groups"], config["norm_eps"]
        # diffusers reads the (misnamed) attention_head_dim as the number of heads when
        # num_attention_heads is not set: SD 1.x 8 heads everywhere, SD 2.x / SDXL 64-dim heads.
        heads = _per_block(config.get("num_attention_heads") or config["attention_head_dim"], n)
        layers = _per_block(config["layers_per_block"], n)
        tlayers = _per_block(config.get("transformer_layers_per_block", 1), n)
        ctx = config["cross_attention_dim"]
        linear = config.get("use_linear_projection", False)
        temb = channels[0] * 4

        def attention(i: int, block_type: str, out: int) -> dict | None:
            if not block_type.startswith("CrossAttn"):
                return None
            return dict(heads=heads[i], dim_head=out // heads[i], num_layers=tlayers[i],
                        cross_attention_dim=ctx, use_linear_projection=linear)

        self.conv_in = nn.Conv2d(config["in_channels"], channels[0], 3, padding=1)
        self.time_proj = Timesteps(channels[0], config["flip_sin_to_cos"], config["freq_shift"])
        self.time_embedding = TimestepEmbedding(channels[0], temb)
        self.text_time = config.get("addition_embed_type") == "text_time"
        if self.text_time:
            self.add_time_proj = Timesteps(config["addition_time_embed_dim"],
                                           config["flip_sin_to_cos"], config["freq_shift"])
            self.add_embedding = TimestepEmbedding(config["projection_class_embeddings_input_dim"],
                                                   temb)
        self.down_blocks = nn.ModuleList()
        out = channels[0]
        for i, block_type in enumerate(config["down_block_types"]):
            cin, out = out, channels[i]
            self.down_blocks.append(DownBlock(cin, out, temb, layers[i],
                                              attention(i, block_type, out), i < n - 1,
                                              groups, eps))
        mid_attention = dict(heads=heads[-1], dim_head=channels[-1] // heads[-1],
                             num_layers=tlayers[-1], cross_attention_dim=ctx,
                             use_linear_projection=linear)
        self.mid_block = MidBlock(channels[-1], temb, mid_attention, groups, eps)
        self.up_blocks = nn.ModuleList()
        rev = list(reversed(channels))
        rheads, rlayers, rtlayers = heads[::-1], layers[::-1], tlayers[::-1]
        out = rev[0]
        for i, block_type in enumerate(config["up_block_types"]):
            prev, out = out, rev[i]
            cin = rev[min(i + 1, n - 1)]
            att = None
            if block_type.startswith("CrossAttn"):
                att = dict(heads=rheads[i], dim_head=out // rheads[i], num_layers=rtlayers[i],
                           cross_attention_dim=ctx, use_linear_projection=linear)
            self.up_blocks.append(UpBlock(cin, out, prev, temb, rlayers[i] + 1, att, i < n - 1,
                                          groups, eps))
        self.conv_norm_out = nn.GroupNorm(groups, channels[0], eps=eps)
        self.conv_out = nn.Conv2d(channels[0], config["out_channels"], 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states, text_embeds=None, time_ids=None):
        b = sample.shape[0]
        t = timestep.reshape(-1).expand(b) if timestep.dim() else timestep[None].expand(b)
        emb = self.time_embedding(self.time_proj(t).to(sample.dtype))
        if self.text_time:
            time_embeds = self.add_time_proj(time_ids.flatten()).reshape(b, -1)
            add = torch.cat([text_embeds, time_embeds.to(sample.dtype)], dim=-1)
            emb = emb + self.add_embedding(add)
        x = self.conv_in(sample)
        skips = [x]
        for block in self.down_blocks:
            x, states = block(x, emb, encoder_hidden_states)
            skips.extend(states)
        x = self.mid_block(x, emb, encoder_hidden_states)
        for block in self.up_blocks:
            x = block(x, skips, emb, encoder_hidden_states)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


# ----------------------------------------------------------------------------------------------
# AutoencoderKL: post_quant_conv + decoder (what optimum exports as vae_decoder: vae.decode)
# ----------------------------------------------------------------------------------------------


class VaeMidBlock(nn.Module):
    def __init__(self, channels: int, groups: int):
        super().__init__()
        self.attentions = nn.ModuleList(
            [Attention(channels, None, 1, channels, bias=True, norm_groups=groups, eps=1e-6)])
        self.resnets = nn.ModuleList(
            ResnetBlock2D(channels, channels, None, groups, 1e-6) for _ in range(2))

    def forward(self, x):
        return self.resnets[1](self.attentions[0](self.resnets[0](x)))


class UpDecoderBlock2D(nn.Module):
    def __init__(self, cin: int, cout: int, layers: int, add_upsample: bool, groups: int):
        super().__init__()
        self.resnets = nn.ModuleList(
            ResnetBlock2D(cin if i == 0 else cout, cout, None, groups, 1e-6)
            for i in range(layers))
        self.upsamplers = nn.ModuleList([Upsample2D(cout)]) if add_upsample else None

    def forward(self, x):
        for resnet in self.resnets:
            x = resnet(x)
        return self.upsamplers[0](x) if self.upsamplers is not None else x


class Decoder(nn.Module):
    def __init__(self, config: dict):
        super().__init__()
        channels = config["block_out_channels"]
        groups = config["norm_num_groups"]
        self.conv_in = nn.Conv2d(config["latent_channels"], channels[-1], 3, padding=1)
        self.mid_block = VaeMidBlock(channels[-1], groups)
        rev = list(reversed(channels))
        self.up_blocks = nn.ModuleList()
        out = rev[0]
        for i in range(len(channels)):
            prev, out = out, rev[i]
            self.up_blocks.append(UpDecoderBlock2D(prev, out, config["layers_per_block"] + 1,
                                                   i < len(channels) - 1, groups))
        self.conv_norm_out = nn.GroupNorm(groups, channels[0], eps=1e-6)
        self.conv_out = nn.Conv2d(channels[0], config["out_channels"], 3, padding=1)

    def forward(self, z):
        x = self.mid_block(self.conv_in(z))
        for block in self.up_blocks:
            x = block(x)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


class AutoencoderKLDecoder(nn.Module):
    """latent_sample (already divided by the scaling factor) → sample in about −1..1."""

    def __init__(self, config: dict):
        super().__init__()
        self.config = config
        c = config["latent_channels"]
        self.post_quant_conv = nn.Conv2d(c, c, 1)
        self.decoder = Decoder(config)

    def forward(self, latent_sample):
        return self.decoder(self.post_quant_conv(latent_sample))


# ----------------------------------------------------------------------------------------------
# AutoencoderTiny (TAESD): the decoder, as AutoencoderTiny.decode runs it
# ----------------------------------------------------------------------------------------------


class AutoencoderTinyBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(cout, cout, 3, padding=1))
        self.skip = nn.Conv2d(cin, cout, 1, bias=False) if cin != cout else nn.Identity()
        self.fuse = nn.ReLU()

    def forward(self, x):
        return self.fuse(self.conv(x) + self.skip(x))


class DecoderTiny(nn.Module):
    def __init__(self, config: dict):
        super().__init__()
        channels = config["decoder_block_out_channels"]
        blocks = config["num_decoder_blocks"]
        layers: list[nn.Module] = [nn.Conv2d(config["latent_channels"], channels[0], 3, padding=1),
                                   nn.ReLU()]
        for i, count in enumerate(blocks):
            final = i == len(blocks) - 1
            layers += [AutoencoderTinyBlock(channels[i], channels[i]) for _ in range(count)]
            if not final:
                layers.append(nn.Upsample(scale_factor=config["upsampling_scaling_factor"],
                                          mode=config["upsample_fn"]))
            layers.append(nn.Conv2d(channels[i], config["out_channels"] if final else channels[i],
                                    3, padding=1, bias=final))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        x = torch.tanh(x / 3) * 3  # soft clamp of the latents
        return self.layers(x).mul(2).sub(1)  # 0..1 → diffusers' −1..1


class AutoencoderTinyDecoder(nn.Module):
    """The TAESD decoder: takes the UNet's latents as they are (its scaling factor is 1.0)."""

    def __init__(self, config: dict):
        super().__init__()
        self.config = config
        self.decoder = DecoderTiny(config)

    def forward(self, latent_sample):
        return self.decoder(latent_sample)


# ----------------------------------------------------------------------------------------------
# CLIP text encoders (transformers' CLIPTextModel / CLIPTextModelWithProjection)
# ----------------------------------------------------------------------------------------------


def _activation(name: str):
    if name == "quick_gelu":
        return lambda x: x * torch.sigmoid(1.702 * x)
    if name == "gelu":
        return F.gelu
    raise ValueError(f"unsupported hidden_act {name}")


class CLIPAttention(nn.Module):
    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads = heads
        self.scale = (d // heads) ** -0.5
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.q_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def forward(self, x, mask):
        b, s, d = x.shape
        q = (self.q_proj(x) * self.scale).reshape(b, s, self.heads, -1).transpose(1, 2)
        k = self.k_proj(x).reshape(b, s, self.heads, -1).transpose(1, 2)
        v = self.v_proj(x).reshape(b, s, self.heads, -1).transpose(1, 2)
        probs = (torch.matmul(q, k.transpose(-1, -2)) + mask).softmax(dim=-1)
        return self.out_proj(torch.matmul(probs, v).transpose(1, 2).reshape(b, s, d))


class CLIPMLP(nn.Module):
    def __init__(self, d: int, inner: int, act: str):
        super().__init__()
        self.act = _activation(act)
        self.fc1 = nn.Linear(d, inner)
        self.fc2 = nn.Linear(inner, d)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class CLIPEncoderLayer(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        d = cfg["hidden_size"]
        self.self_attn = CLIPAttention(d, cfg["num_attention_heads"])
        self.layer_norm1 = nn.LayerNorm(d, eps=cfg["layer_norm_eps"])
        self.mlp = CLIPMLP(d, cfg["intermediate_size"], cfg["hidden_act"])
        self.layer_norm2 = nn.LayerNorm(d, eps=cfg["layer_norm_eps"])

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class CLIPTextEmbeddings(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.token_embedding = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.position_embedding = nn.Embedding(cfg["max_position_embeddings"], cfg["hidden_size"])

    def forward(self, input_ids):
        positions = torch.arange(input_ids.shape[1])[None, :]
        return self.token_embedding(input_ids) + self.position_embedding(positions)


class CLIPEncoder(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.layers = nn.ModuleList(CLIPEncoderLayer(cfg) for _ in range(cfg["num_hidden_layers"]))


class CLIPTextTransformer(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.embeddings = CLIPTextEmbeddings(cfg)
        self.encoder = CLIPEncoder(cfg)
        self.final_layer_norm = nn.LayerNorm(cfg["hidden_size"], eps=cfg["layer_norm_eps"])


class CLIPTextModel(nn.Module):
    """Outputs as optimum exports them: last_hidden_state, pooler_output (or, with a projection,
    text_embeds first), then hidden_states.0..N when `output_hidden_states` (SDXL)."""

    def __init__(self, cfg: dict, with_projection: bool = False, output_hidden_states: bool = False):
        super().__init__()
        self.config = cfg
        self.with_projection = with_projection
        self.output_hidden_states = output_hidden_states
        self.text_model = CLIPTextTransformer(cfg)
        if with_projection:
            self.text_projection = nn.Linear(cfg["hidden_size"], cfg["projection_dim"], bias=False)

    def output_names(self) -> list[str]:
        names = (["text_embeds", "last_hidden_state"] if self.with_projection
                 else ["last_hidden_state", "pooler_output"])
        if self.output_hidden_states:
            names += [f"hidden_states.{i}" for i in range(self.config["num_hidden_layers"] + 1)]
        return names

    def forward(self, input_ids):
        tm = self.text_model
        x = tm.embeddings(input_ids)
        s = input_ids.shape[1]
        # transformers' causal mask: the dtype's lowest value above the diagonal
        mask = torch.full((s, s), torch.finfo(x.dtype).min).triu(1)[None, None]
        hidden = [x]
        for layer in tm.encoder.layers:
            x = layer(x, mask)
            hidden.append(x)
        last = tm.final_layer_norm(x)
        # Pooled at the end-of-text token, the largest id (transformers' rule for these configs).
        pooled = last[torch.arange(last.shape[0]), input_ids.to(torch.int32).argmax(dim=-1)]
        outs = ([self.text_projection(pooled), last] if self.with_projection else [last, pooled])
        if self.output_hidden_states:
            outs += hidden
        return tuple(outs)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
