"""Seeded random weights, drawn one parameter at a time from a generator keyed by the parameter's
name, so the ONNX writer and the PyTorch benchmark get bit-identical weights without ever holding
two copies, and so a network of 2.6 billion parameters can be built without allocating it.

Scales keep activations O(1) through the real depth (no NaN or overflow in float16): weights
N(0, 1/fan_in), norms' scales 1 ± 0.1, small biases, unit-variance token embeddings.
"""

from __future__ import annotations

import contextlib
import zlib

import numpy as np
import torch
import torch.nn as nn

_INIT_CLASSES = (nn.Linear, nn.Conv2d, nn.GroupNorm, nn.LayerNorm, nn.Embedding)


@contextlib.contextmanager
def no_init():
    """Build modules without initialising (touching) their parameters: torch.empty's pages are
    not resident until written, so a 10 GB model costs no memory until its weights are set."""
    saved = {cls: cls.reset_parameters for cls in _INIT_CLASSES}
    try:
        for cls in _INIT_CLASSES:
            cls.reset_parameters = lambda self: None
        yield
    finally:
        for cls, fn in saved.items():
            cls.reset_parameters = fn


def parameter_kinds(module: nn.Module) -> dict[str, str]:
    """Parameter name → what it is: linear|conv|norm|embedding + .weight/.bias."""
    kinds = {}
    for prefix, mod in module.named_modules():
        if isinstance(mod, nn.Linear):
            kind = "linear"
        elif isinstance(mod, nn.Conv2d):
            kind = "conv"
        elif isinstance(mod, (nn.GroupNorm, nn.LayerNorm)):
            kind = "norm"
        elif isinstance(mod, nn.Embedding):
            kind = "embedding"
        else:
            continue
        for pname, _ in mod.named_parameters(recurse=False):
            kinds[f"{prefix}.{pname}" if prefix else pname] = f"{kind}.{pname}"
    missing = [n for n, _ in module.named_parameters() if n not in kinds]
    if missing:
        raise ValueError(f"parameters of unknown kind: {missing[:5]}")
    return kinds


def draw(seed: int, name: str, kind: str, shape: tuple[int, ...]) -> np.ndarray:
    """The float32 values of one parameter."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    z = rng.standard_normal(shape, dtype=np.float32)
    if kind in ("linear.weight", "conv.weight"):
        fan_in = int(np.prod(shape[1:]))
        return z * np.float32(1.0 / np.sqrt(fan_in))
    if kind == "norm.weight":
        return 1.0 + np.float32(0.1) * z
    if kind == "norm.bias":
        return np.float32(0.1) * z
    if kind.endswith(".bias"):
        return np.float32(0.02) * z
    if kind == "embedding.weight":
        return z if "token" in name else np.float32(0.5) * z
    raise ValueError(f"{name}: no rule for {kind}")


def zero_weights(module: nn.Module) -> None:
    """Replace every parameter by a zero-strided view of one number of its own: enough to trace
    the network. The numbers differ (tiny, distinct) because the exporter merges parameters of
    equal value into one."""
    for i, p in enumerate(module.parameters()):
        p.data = torch.full((1,), (i + 1) * 1e-30).expand(p.shape)


@torch.no_grad()
def fill_weights(module: nn.Module, seed: int) -> None:
    """Give the module the seeded weights (what the ONNX files hold), one parameter at a time."""
    kinds = parameter_kinds(module)
    for name, p in module.named_parameters():
        p.data = torch.from_numpy(draw(seed, name, kinds[name], tuple(p.shape)))
