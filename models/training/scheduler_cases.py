"""Scheduler-only reference cases from diffusers' own scheduler code (see diffusers_oracle.py).

84 cases: Euler, Euler ancestral, DDIM and LCM × epsilon / v_prediction × leading / trailing /
linspace spacing × 1, 4 and 8 steps (72), plus each sampler with a zero-terminal-SNR schedule
(v_prediction, trailing, as Lin et al. 2023 prescribe it) at 1, 4 and 8 steps (12). Each case gives
the model outputs and the noise; diffusers' scheduler steps through them, and every intermediate
value is recorded, so a sampler can be checked step by step from the same inputs.
"""

from __future__ import annotations

import numpy as np
import torch

SAMPLERS = ("euler", "euler_a", "ddim", "lcm")
SHAPE = (1, 4, 2, 2)  # small latents: the math is elementwise, sixteen values exercise it
DIGITS = 9

# Stable Diffusion's training schedule, as its scheduler_config.json files give it.
BASE_CONFIG = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "steps_offset": 1,
    "set_alpha_to_one": False,
    "clip_sample": False,
    "original_inference_steps": 50,
}


def combinations() -> list[tuple[str, str, str, int, bool]]:
    plain = [(s, p, sp, n, False) for s in SAMPLERS for p in ("epsilon", "v_prediction")
             for sp in ("leading", "trailing", "linspace") for n in (1, 4, 8)]
    zero_snr = [(s, "v_prediction", "trailing", n, True) for s in SAMPLERS for n in (1, 4, 8)]
    return plain + zero_snr


def _flat(t: torch.Tensor) -> list[float]:
    return [float(f"{v:.{DIGITS}g}") for v in t.detach().double().reshape(-1).tolist()]


def _tensor(values: list[float]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32).reshape(SHAPE)


def _timestep(t: torch.Tensor):
    v = float(t)
    return int(v) if v.is_integer() else float(f"{v:.{DIGITS}g}")


def build(oracle, seed: int = 15) -> dict:
    rng = np.random.default_rng(seed)
    draw = lambda: _flat(torch.from_numpy(rng.standard_normal(SHAPE)).float())  # noqa: E731
    cases = []
    for sampler, prediction, spacing, steps, zero_snr in combinations():
        config = {**BASE_CONFIG, "prediction_type": prediction, "timestep_spacing": spacing,
                  "rescale_betas_zero_snr": zero_snr}
        sched = oracle.scheduler(sampler, config)
        sched.set_timesteps(steps)
        sigma0 = float(sched.init_noise_sigma)
        x = _tensor(_flat(_tensor(draw()) * sigma0))
        init = _flat(x)
        records = []
        for t in sched.timesteps:
            out = _tensor(draw())
            noise = _tensor(draw())
            scaled = sched.scale_model_input(x, t)
            with oracle.given_noise(noise) as given:
                prev = sched.step(out, t, x).prev_sample
            records.append({
                "modelOutput": _flat(out),
                "noise": _flat(noise) if given.drawn else None,
                "scaledInput": _flat(scaled),
                "prevSample": _flat(prev),
            })
            x = _tensor(_flat(prev))  # the next step starts from the values as stored
        cases.append({
            "name": f"{sampler} {prediction} {spacing} {steps} step{'s' if steps > 1 else ''}"
                    f"{' zero-SNR' if zero_snr else ''}",
            "sampler": sampler,
            "config": config,
            "steps": steps,
            "timesteps": [_timestep(t) for t in sched.timesteps],
            "initNoiseSigma": float(f"{sigma0:.{DIGITS}g}"),
            "shape": list(SHAPE),
            "initSample": init,
            "records": records,
        })
    return {
        "source": "diffusers " + oracle.describe()["version"],
        "diffusers": oracle.describe(),
        "tolerance": 1e-3,
        "cases": cases,
    }
