"""diffusers' own scheduler code, loaded from a source tree, as the reference for Lumen's samplers.

    oracle = DiffusersOracle("/path/to/diffusers")     # a checkout, or a (bare) git repository
    sched = oracle.scheduler("euler_a", config)        # diffusers' EulerAncestralDiscreteScheduler
    with oracle.given_noise(noise_for_this_step):      # what randn_tensor returns inside step()
        x = sched.step(model_output, t, x).prev_sample

Only the four scheduler files Lumen implements are read (scheduling_euler_discrete.py,
scheduling_euler_ancestral_discrete.py, scheduling_ddim.py, scheduling_lcm.py); they run as
diffusers wrote them, on Debian's PyTorch. What they import from the rest of the package is
replaced by the small stand-ins below, each doing what the original does for these schedulers:
`register_to_config` records the constructor's arguments (with defaults) as `self.config` before
the constructor body runs; `randn_tensor` hands out noise the caller gave (so a run can be
replayed exactly); `BaseOutput` is a plain base for the output dataclasses; `SchedulerMixin`
carries no behaviour these schedulers use; `is_scipy_available` is False (scipy is only for
beta sigmas, which Lumen does not offer). Nothing of diffusers is copied into this repository.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import os
import subprocess
import sys
import types
from enum import Enum

import torch

PACKAGE = "_lumen_diffusers"  # private name, so an installed diffusers is never touched
SCHEDULER_FILES = {
    "euler": ("scheduling_euler_discrete", "EulerDiscreteScheduler"),
    "euler_a": ("scheduling_euler_ancestral_discrete", "EulerAncestralDiscreteScheduler"),
    "ddim": ("scheduling_ddim", "DDIMScheduler"),
    "lcm": ("scheduling_lcm", "LCMScheduler"),
}


class _Config(dict):
    """diffusers' FrozenDict: a dict whose keys are also attributes."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e


def _register_to_config(init):
    @functools.wraps(init)
    def inner(self, *args, **kwargs):
        bound = inspect.signature(init).bind(self, *args, **kwargs)
        bound.apply_defaults()
        self.config = _Config({k: v for k, v in bound.arguments.items() if k != "self"})
        init(self, *args, **kwargs)

    return inner


class _ConfigMixin:
    config_name = None


class _SchedulerMixin:
    pass


class _BaseOutput:
    pass


class _KarrasDiffusionSchedulers(Enum):
    DDIMScheduler = 1
    EulerDiscreteScheduler = 5
    EulerAncestralDiscreteScheduler = 7


class _NoiseQueue:
    def __init__(self):
        self.items: list[torch.Tensor] = []
        self.drawn = 0

    def randn_tensor(self, shape, generator=None, device=None, dtype=None, layout=None):
        if not self.items:
            raise RuntimeError("the scheduler drew noise that the caller did not give")
        noise = self.items.pop(0)
        if tuple(noise.shape) != tuple(shape):
            raise RuntimeError(f"noise of shape {tuple(noise.shape)} given, {tuple(shape)} drawn")
        self.drawn += 1
        return noise.to(dtype=dtype or noise.dtype)


def _module(name: str, **attrs) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    if "__path__" not in attrs:
        mod.__path__ = []  # a package, so relative imports below it resolve
    sys.modules[name] = mod
    return mod


class DiffusersOracle:
    def __init__(self, src: str):
        self.src = os.path.abspath(src)
        self.noise = _NoiseQueue()
        self._read = self._reader()
        self.version = self._version()
        self.commit = self._commit()
        self._install_standins()
        self.classes = {kind: self._load(mod, cls) for kind, (mod, cls) in SCHEDULER_FILES.items()}

    # -- reading the source tree --------------------------------------------------------------

    def _reader(self):
        """A function path-under-src/diffusers → text, for a checkout or a git repository."""
        for base in (os.path.join(self.src, "src", "diffusers"), os.path.join(self.src, "diffusers"), self.src):
            if os.path.isfile(os.path.join(base, "schedulers", "scheduling_ddim.py")):
                def read_file(rel: str, base=base) -> str:
                    with open(os.path.join(base, rel), encoding="utf-8") as f:
                        return f.read()
                return read_file
        if self._git("rev-parse", "--git-dir") is not None:
            return lambda rel: self._git("show", f"HEAD:src/diffusers/{rel}", check=True)
        raise SystemExit(
            f"--diffusers-src {self.src}: no diffusers source there (expected src/diffusers/schedulers/, "
            "or a git repository of huggingface/diffusers)")

    def _git(self, *args: str, check: bool = False) -> str | None:
        try:
            out = subprocess.run(["git", f"--git-dir={self._git_dir()}", *args], capture_output=True, text=True,
                                 check=check)
        except (OSError, subprocess.CalledProcessError) as e:
            if check:
                raise SystemExit(f"--diffusers-src {self.src}: {e}") from e
            return None
        return out.stdout if out.returncode == 0 else None

    def _git_dir(self) -> str:
        dot_git = os.path.join(self.src, ".git")
        return dot_git if os.path.exists(dot_git) else self.src

    def _version(self) -> str:
        for line in self._read("__init__.py").splitlines():
            if line.startswith("__version__"):
                return line.split("=", 1)[1].strip().strip("\"'")
        return "unknown"

    def _commit(self) -> str | None:
        out = self._git("rev-parse", "HEAD")
        return out.strip() if out else None

    # -- the package skeleton and the scheduler modules ---------------------------------------

    def _install_standins(self) -> None:
        _module(PACKAGE, __version__=self.version)
        _module(f"{PACKAGE}.configuration_utils", ConfigMixin=_ConfigMixin, register_to_config=_register_to_config)
        logging_mod = _module(f"{PACKAGE}.utils.logging", get_logger=logging.getLogger)
        _module(f"{PACKAGE}.utils", BaseOutput=_BaseOutput, logging=logging_mod,
                is_scipy_available=lambda: False)
        _module(f"{PACKAGE}.utils.torch_utils", randn_tensor=self.noise.randn_tensor)
        _module(f"{PACKAGE}.schedulers")
        _module(f"{PACKAGE}.schedulers.scheduling_utils", SchedulerMixin=_SchedulerMixin,
                KarrasDiffusionSchedulers=_KarrasDiffusionSchedulers)

    def _load(self, module: str, cls: str):
        name = f"{PACKAGE}.schedulers.{module}"
        rel = f"schedulers/{module}.py"
        mod = types.ModuleType(name)
        mod.__package__ = f"{PACKAGE}.schedulers"
        mod.__file__ = os.path.join(self.src, "src", "diffusers", rel)
        sys.modules[name] = mod
        exec(compile(self._read(rel), f"diffusers/{rel}", "exec"), mod.__dict__)
        return getattr(mod, cls)

    # -- use ----------------------------------------------------------------------------------

    def scheduler(self, kind: str, config: dict):
        """diffusers' scheduler for Lumen's sampler name, from a scheduler_config-style dict; keys
        the class does not take are dropped, as diffusers' from_config drops them."""
        cls = self.classes[kind]
        accepted = inspect.signature(cls.__init__).parameters
        return cls(**{k: v for k, v in config.items() if k in accepted and not k.startswith("_")})

    @contextlib.contextmanager
    def given_noise(self, *noise: torch.Tensor):
        """Inside, the scheduler's randn_tensor returns these tensors, in order."""
        self.noise.items = list(noise)
        self.noise.drawn = 0
        try:
            yield self.noise
        finally:
            self.noise.items = []

    def describe(self) -> dict:
        return {"version": self.version, "commit": self.commit}
