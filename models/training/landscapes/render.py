"""Procedural renderer of captioned landscape scenes (NumPy, deterministic by seed).

Each scene is drawn at 256x256 and area-downsampled to 128x128. The light is derived from one
sun (or moon) for the whole scene: sun height and colour set the sky gradient, the glow, the
colour of the light on the ground, the contrast of slope shading and the length of shadows;
haze grows with distance; water mirrors the scene above it, broken by ripples.

    /usr/bin/python3 models/training/landscapes/render.py --out runs/data --count 60000
"""
import argparse
import multiprocessing
import os
import sys
import time

import numpy as np
from PIL import Image

# ----------------------------------------------------------------------------------------------
# Attributes. Index order is part of the dataset format (attribute vectors store indices).
TIMES = ["dawn", "sunrise", "morning", "midday", "golden hour", "sunset", "dusk", "night"]
SKIES = ["clear", "scattered clouds", "overcast", "storm"]
TERRAINS = ["mountains", "hills", "dunes", "plains", "coast", "forest"]
WATERS = ["lake", "sea", "river", "none"]
SEASONS = ["summer", "autumn", "winter", "desert"]
WEATHERS = ["none", "fog", "rain", "snowfall"]
ATTRS = [("time", TIMES), ("sky", SKIES), ("terrain", TERRAINS), ("water", WATERS),
         ("season", SEASONS), ("weather", WEATHERS)]

# sun elevation in degrees for each time of day (negative: below the horizon)
SUN_ELEV = {"dawn": (-6, -2), "sunrise": (0.5, 3), "morning": (18, 32), "midday": (50, 70),
            "golden hour": (5, 10), "sunset": (0.5, 3), "dusk": (-8, -3), "night": (-40, -20)}

# (zenith, horizon) sky colours, linear-ish RGB 0..1
SKY_COLORS = {
    "dawn": ((0.16, 0.20, 0.42), (0.86, 0.58, 0.55)),
    "sunrise": ((0.30, 0.42, 0.70), (1.00, 0.62, 0.32)),
    "morning": ((0.28, 0.52, 0.90), (0.75, 0.86, 0.97)),
    "midday": ((0.16, 0.40, 0.88), (0.66, 0.82, 0.98)),
    "golden hour": ((0.32, 0.50, 0.82), (1.00, 0.80, 0.48)),
    "sunset": ((0.24, 0.24, 0.52), (1.00, 0.45, 0.18)),
    "dusk": ((0.07, 0.08, 0.24), (0.55, 0.30, 0.42)),
    "night": ((0.01, 0.015, 0.05), (0.05, 0.07, 0.15)),
}

N = 256  # render size
OUT = 128


def sample_attributes(rng):
    """Draw a consistent attribute combination."""
    t = rng.integers(len(TIMES))
    sky = rng.choice(4, p=[0.35, 0.35, 0.18, 0.12])
    terrain = rng.integers(len(TERRAINS))
    tn = TERRAINS[terrain]
    if tn == "coast":
        water = 1
    else:
        water = rng.choice([0, 2, 3], p=[0.4, 0.25, 0.35])
    if tn == "dunes":
        season = 3
        if water == 0 and rng.random() < 0.7:
            water = 3
    elif tn == "forest":
        season = rng.choice(3)
    else:
        season = rng.choice(4, p=[0.3, 0.25, 0.3, 0.15])
    if SEASONS[season] == "desert" and tn in ("forest",):
        season = 0
    weather = rng.choice(4, p=[0.55, 0.2, 0.13, 0.12])
    if WEATHERS[weather] == "snowfall" and SEASONS[season] != "winter":
        weather = 0 if rng.random() < 0.5 else weather
        if weather == 3:
            season = 2
            if tn == "dunes":
                weather = 0
                season = 3
    if WEATHERS[weather] == "rain":
        if SKIES[sky] == "clear" or SKIES[sky] == "scattered clouds":
            sky = rng.choice([2, 3])
        if SEASONS[season] == "desert":
            weather = 0
    if WEATHERS[weather] == "snowfall" and SKIES[sky] in ("clear",):
        sky = 2
    return np.array([t, sky, terrain, water, season, weather], dtype=np.int8)


# ----------------------------------------------------------------------------------------------
# noise helpers

def noise2d(rng, res, shape=(N, N)):
    g = rng.random((res, res)).astype(np.float32)
    return np.asarray(Image.fromarray(g, mode="F").resize((shape[1], shape[0]), Image.BICUBIC))


def fbm2d(rng, base=4, octaves=4, shape=(N, N)):
    out = np.zeros(shape, np.float32)
    amp, tot = 1.0, 0.0
    for o in range(octaves):
        out += amp * noise2d(rng, base * 2 ** o, shape)
        tot += amp
        amp *= 0.5
    return out / tot


def noise1d(rng, res, n=N):
    g = rng.random(res + 3)
    xs = np.linspace(1, res + 1, n)
    i = np.floor(xs).astype(int)
    f = xs - i
    f = f * f * (3 - 2 * f)
    return (g[i] * (1 - f) + g[i + 1] * f).astype(np.float32)


def fbm1d(rng, base, octaves, n=N, ridged=False):
    out = np.zeros(n, np.float32)
    amp, tot = 1.0, 0.0
    for o in range(octaves):
        v = noise1d(rng, base * 2 ** o, n)
        if ridged:
            v = 1 - np.abs(2 * v - 1)
        out += amp * v
        tot += amp
        amp *= 0.5
    return out / tot


def lerp(a, b, t):
    return a + (b - a) * t


# ----------------------------------------------------------------------------------------------

class Scene:
    pass


def render(seed, attrs=None):
    """Render one scene. Returns (uint8 image 128x128x3, attribute vector int8[6])."""
    rng = np.random.default_rng(seed)
    if attrs is None:
        attrs = sample_attributes(rng)
    attrs = np.asarray(attrs, np.int8)
    tname, sky, terrain, water, season, weather = (
        TIMES[attrs[0]], SKIES[attrs[1]], TERRAINS[attrs[2]], WATERS[attrs[3]],
        SEASONS[attrs[4]], WEATHERS[attrs[5]])

    ys = (np.arange(N, dtype=np.float32) + 0.5) / N
    xs = ys.copy()
    Y = ys[:, None] * np.ones((1, N), np.float32)
    X = np.ones((N, 1), np.float32) * xs[None, :]

    hy = rng.uniform(0.45, 0.62)  # horizon height (fraction from top)
    if water == "sea":
        hy = rng.uniform(0.45, 0.58)

    # --- light --------------------------------------------------------------------------------
    elev = rng.uniform(*SUN_ELEV[tname])
    sun_x = rng.uniform(0.15, 0.85)
    night = tname == "night"
    twilight = tname in ("dawn", "dusk")
    # sun colour from elevation: red/orange at the horizon, warm white high up
    e = np.clip(elev / 40.0, 0, 1)
    sun_col = np.array([1.0, lerp(0.45, 0.95, e ** 0.6), lerp(0.15, 0.85, e ** 0.7)], np.float32)
    if tname == "golden hour":
        sun_col = np.array([1.0, 0.74, 0.38], np.float32)
    sun_int = np.clip(np.sin(np.radians(max(elev, 0))) * 1.6 + 0.35, 0, 1.0) if elev > 0 else 0.0
    zen, hor = (np.array(c, np.float32) for c in SKY_COLORS[tname])
    jit = rng.uniform(0.9, 1.1, 3).astype(np.float32)
    zen = zen * jit
    hor = hor * rng.uniform(0.92, 1.08, 3).astype(np.float32)
    cloudy = {"clear": 0.0, "scattered clouds": 0.0, "overcast": 0.75, "storm": 0.9}[sky]
    grey = np.float32(np.mean(hor) * 0.9 + 0.05)
    if cloudy > 0:
        dim = 0.75 if sky == "overcast" else 0.45
        zen = lerp(zen, np.full(3, grey * dim, np.float32), cloudy)
        hor = lerp(hor, np.full(3, grey * dim * 1.15, np.float32), cloudy)
        sun_int *= 0.25 if sky == "overcast" else 0.12
    # ambient light on the ground = sky colour average, brightened a little
    amb = (zen * 0.5 + hor * 0.5) * (0.75 if not night else 1.4)
    if night:
        amb = amb + np.array([0.02, 0.03, 0.06], np.float32)

    # sun position on screen: above the horizon by elevation (scaled), below for negatives
    sun_y = hy - elev / 60.0 * 0.9
    img = np.zeros((N, N, 3), np.float32)
    depth = np.zeros((N, N), np.float32)  # 0 = near, 1 = at the horizon / sky

    # --- sky ----------------------------------------------------------------------------------
    t = np.clip(Y / hy, 0, 1) ** 1.6
    sky_img = zen[None, None, :] * (1 - t[..., None]) + hor[None, None, :] * t[..., None]
    dx = (X - sun_x)
    dy = (Y - sun_y)
    dist = np.sqrt(dx * dx + dy * dy)
    if not night:
        glow_w = 0.18 if elev < 12 else 0.08
        gstr = {"clear": 0.9, "scattered clouds": 0.8, "overcast": 0.25, "storm": 0.12}[sky]
        if twilight:
            gstr *= 0.6
        glow = np.exp(-dist / glow_w) * gstr
        # a band of warm light along the horizon at low sun
        if elev < 12:
            band = np.exp(-np.abs(Y - hy) / 0.12) * np.exp(-np.abs(dx) / 0.5) * gstr * 0.6
            glow = glow + band
        sky_img = sky_img + glow[..., None] * sun_col[None, None, :]
    else:
        # stars and moon
        if sky in ("clear", "scattered clouds"):
            star = rng.random((N, N)) > 0.9965
            sb = rng.uniform(0.4, 1.0, (N, N)).astype(np.float32)
            sky_img = sky_img + (star * sb * np.clip(1.2 - Y / hy, 0, 1))[..., None] * 0.9
        moon_x, moon_y = rng.uniform(0.15, 0.85), rng.uniform(0.08, hy - 0.18)
        md = np.sqrt((X - moon_x) ** 2 + (Y - moon_y) ** 2)
        mvis = {"clear": 1.0, "scattered clouds": 0.9, "overcast": 0.15, "storm": 0.05}[sky]
        moon = (np.clip((0.035 - md) / 0.006, 0, 1) * 0.95 + np.exp(-md / 0.08) * 0.18) * mvis
        sky_img = sky_img + moon[..., None] * np.array([0.95, 0.95, 0.85], np.float32)
        sun_x, sun_y = moon_x, moon_y  # reflections/glitter follow the moon
        sun_col = np.array([0.8, 0.85, 1.0], np.float32)
    # sun disc
    if elev > -0.5 and not night and sky in ("clear", "scattered clouds"):
        r = 0.03
        disc = np.clip((r - dist) / 0.006, 0, 1)
        sky_img = sky_img * (1 - disc[..., None]) + disc[..., None] * (sun_col * 1.2 + 0.3)[None, None]

    # clouds
    if sky != "clear":
        cn = fbm2d(rng, base=3, octaves=5)
        cn = cn * np.float32(1.0) + (Y - 0.2) * np.float32(-0.15)
        cover = {"scattered clouds": 0.62, "overcast": 0.35, "storm": 0.3}[sky]
        soft = 0.08
        a = np.clip((cn - cover) / soft, 0, 1) * np.clip(1.0 - (Y / hy) ** 6 * 0.5, 0, 1)
        if sky == "overcast":
            a = np.clip(a + 0.55, 0, 1)
        if sky == "storm":
            a = np.clip(a + 0.7, 0, 1)
        # cloud colour: lit by the sun (warm at low sun), shaded underneath
        shade = np.clip((cn - cover) * 3, 0, 1)[..., None]
        if night:
            lit = np.array([0.07, 0.08, 0.12], np.float32) + 0.05
        elif twilight:
            lit = hor * 0.8 + np.array([0.05, 0.02, 0.05], np.float32)
        else:
            lit = sun_col * (0.55 + 0.45 * sun_int) + amb * 0.25
        dark = {"scattered clouds": 0.55, "overcast": 0.6, "storm": 0.28}[sky]
        ccol = lit[None, None] * (1 - shade * (1 - dark))
        if sky == "storm":
            ccol = (ccol * 0.3 + np.mean(ccol, axis=-1, keepdims=True) * 0.7) * 0.55
        if not night and elev < 12 and sky == "scattered clouds":
            ccol = ccol + (np.exp(-np.abs(dx) / 0.3) * 0.3)[..., None] * sun_col  # lit edges near sun
        sky_img = sky_img * (1 - a[..., None]) + ccol * a[..., None]
    img[:] = sky_img
    depth[:] = 1.0

    # --- ground albedo by season ----------------------------------------------------------------
    alb = {"summer": np.array([0.20, 0.42, 0.14]), "autumn": np.array([0.62, 0.33, 0.10]),
           "winter": np.array([0.88, 0.90, 0.94]), "desert": np.array([0.85, 0.66, 0.40])}[season]
    alb = (alb * rng.uniform(0.9, 1.1, 3)).astype(np.float32)
    sun_side = np.sign(sun_x - 0.5) or 1.0

    def light(albedo, shade_term, extra=1.0):
        """albedo [..,3], shade_term in [-1,1] (facing the sun) -> lit colour"""
        s = np.clip(0.55 + 0.45 * shade_term, 0, 1) * sun_int * extra
        contrast = 1.0 if elev > 15 else 1.6
        s = np.clip(s * contrast, 0, 1.3)
        return albedo * (amb[None, None] * 0.9 + sun_col[None, None] * s[..., None])

    def paint(mask, col, d):
        m = mask[..., None]
        np.copyto(img, col, where=np.broadcast_to(m, img.shape)) if col.ndim == 3 else None
        depth[mask] = d if np.isscalar(d) else d[mask]

    # --- far terrain layers --------------------------------------------------------------------
    base_px = hy
    layers = []
    if terrain == "mountains":
        for k, (amp, d) in enumerate([(0.30, 0.85), (0.22, 0.6), (0.12, 0.4)]):
            h = fbm1d(rng, 2 + k, 5, ridged=True) ** 1.5 * amp * rng.uniform(0.7, 1.2) + 0.02
            layers.append((h, d, "rock"))
    elif terrain == "hills":
        for k, (amp, d) in enumerate([(0.12, 0.8), (0.09, 0.55), (0.06, 0.35)]):
            h = fbm1d(rng, 1 + k, 3) * amp * rng.uniform(0.7, 1.3) + 0.01
            layers.append((h, d, "ground"))
    elif terrain == "dunes":
        for k, (amp, d) in enumerate([(0.08, 0.8), (0.07, 0.55), (0.06, 0.35)]):
            ph = rng.uniform(0, 6.28)
            fr = rng.uniform(2, 5) * (1 + 0.5 * k)
            v = 0.5 + 0.5 * np.sin(xs * fr * 6.28 + ph + np.sin(xs * 3 + ph) * 1.5)
            h = (v ** 2 * amp + 0.01).astype(np.float32)
            layers.append((h, d, "dune"))
    elif terrain == "forest":
        for k, (amp, d) in enumerate([(0.06, 0.8), (0.05, 0.55)]):
            h = fbm1d(rng, 1 + k, 3) * amp + 0.01
            layers.append((h, d, "ground"))
    elif terrain == "plains":
        if rng.random() < 0.5:
            layers.append((fbm1d(rng, 2, 3) * 0.035 + 0.005, 0.85, "ground"))
    elif terrain == "coast":
        if rng.random() < 0.6:
            layers.append((fbm1d(rng, 2, 4) * 0.08 + 0.01, 0.85, "ground"))

    haze_col = lerp(hor, amb, 0.3)
    for h, d, kind in layers:
        top = base_px - h  # silhouette top per column
        mask = (Y >= top[None, :]) & (Y < base_px + 0.002)
        slope = np.gradient(h) * N
        shade_term = np.clip(-slope * sun_side * 6, -1, 1)[None, :] * np.ones((N, 1), np.float32)
        if kind == "rock":
            rock = np.array([0.38, 0.36, 0.34], np.float32) * rng.uniform(0.85, 1.15)
            tex = fbm2d(rng, 8, 3)[..., None] * 0.35 + 0.8
            col = np.broadcast_to(rock, (N, N, 3)) * tex
            if season == "winter" or rng.random() < 0.25:
                snowline = (top + h * (0.55 if season == "winter" else 0.25))[None, :]
                jag = (fbm2d(rng, 16, 2) - 0.5) * 0.05
                snow = (Y < snowline + jag)[..., None]
                col = np.where(snow, np.array([0.92, 0.93, 0.96], np.float32), col)
            if season == "summer" or season == "autumn":
                low = (Y > (top + h * 0.7)[None, :])[..., None]
                col = np.where(low, col * 0.5 + alb * 0.5, col)
        elif kind == "dune":
            col = np.broadcast_to(np.array([0.86, 0.64, 0.38], np.float32), (N, N, 3))
        else:
            tex = fbm2d(rng, 10, 3)[..., None] * 0.3 + 0.85
            col = np.broadcast_to(alb, (N, N, 3)) * tex
        lit = light(col, shade_term)
        # haze with distance
        hz = 1 - np.exp(-d * 1.2)
        lit = lit * (1 - hz * 0.55) + haze_col * (hz * 0.55)
        m3 = mask[..., None]
        img[:] = np.where(m3, lit, img)
        depth[mask] = d

    # forest: rows of conifers
    trees_rows = []
    if terrain == "forest" or (terrain in ("hills", "plains", "mountains") and rng.random() < 0.3):
        nrows = 3 if terrain == "forest" else 1
        for r in range(nrows):
            d = [0.7, 0.45, 0.22][r] if terrain == "forest" else 0.6
            base = hy + [0.0, 0.01, 0.04][r] if terrain == "forest" else hy
            th = [0.05, 0.08, 0.14][r] if terrain == "forest" else 0.05
            nt = int([70, 45, 22][r] * rng.uniform(0.8, 1.2))
            tx = rng.uniform(-0.05, 1.05, nt)
            if terrain != "forest":
                tx = tx[(tx > rng.uniform(0, 0.5)) & (tx < rng.uniform(0.5, 1.0))]
            ths = th * rng.uniform(0.6, 1.2, len(tx))
            line = np.zeros(N, np.float32)
            for x0, hh in zip(tx, ths):
                line = np.maximum(line, hh - np.abs(xs - x0) * 4.0)
            mask = (Y >= (base - line)[None, :]) & (Y < base + 0.004) & (line[None, :] > 0)
            tcol = {"summer": np.array([0.06, 0.18, 0.08]), "autumn": np.array([0.40, 0.18, 0.05]),
                    "winter": np.array([0.10, 0.16, 0.12]), "desert": np.array([0.2, 0.25, 0.1])}[season]
            if season == "autumn" and rng.random() < 0.5:
                tcol = np.array([0.08, 0.2, 0.08])  # evergreen pines in autumn
            tcol = np.broadcast_to(tcol.astype(np.float32), (N, N, 3))
            if season == "winter":
                snowy = (fbm2d(rng, 20, 1) > 0.55)[..., None]
                tcol = np.where(snowy, np.array([0.8, 0.82, 0.86], np.float32), tcol)
            shade_term = np.clip((X - tx.mean()) * 0, -1, 1) + 0.2
            lit = light(tcol, shade_term)
            hz = 1 - np.exp(-d * 1.2)
            lit = lit * (1 - hz * 0.5) + haze_col * (hz * 0.5)
            img[:] = np.where(mask[..., None], lit, img)
            depth[mask] = d
            trees_rows.append((base, tx, ths))

    # --- near ground and water -----------------------------------------------------------------
    below = Y >= hy
    gdepth = np.clip(0.04 / np.maximum(Y - hy, 1e-3), 0, 1)  # perspective depth of the ground plane
    tex = fbm2d(rng, 12, 4)
    gcol = alb[None, None] * (0.8 + 0.35 * tex[..., None])
    if season == "desert" or terrain == "dunes":
        ripple = 0.5 + 0.5 * np.sin((X * 40 + np.sin(Y * 30) * 2) / np.maximum(gdepth + 0.15, 0.2))
        gcol = gcol * (0.9 + 0.12 * ripple[..., None])
    if terrain == "plains" and season in ("summer", "autumn") and rng.random() < 0.5:
        # fields: stripes converging on the horizon
        stripes = np.sin(((X - 0.5) / np.maximum(Y - hy, 0.01)) * rng.uniform(0.4, 0.9)) > 0
        gcol = np.where(stripes[..., None], gcol * 0.8 + np.array([0.2, 0.15, 0.02]) * 0.3, gcol)
    ground = light(gcol.astype(np.float32), np.full((N, N), 0.3, np.float32))

    # long shadows of trees at low sun, cast away from the sun toward the viewer
    if trees_rows and sun_int > 0 and elev < 25:
        shadow = np.zeros((N, N), bool)
        L = min(0.35, 0.02 / np.tan(np.radians(max(elev, 1.5))))
        for base, tx, ths in trees_rows[-1:]:
            for x0, hh in zip(tx, ths):
                yy = (Y - base)
                sx = x0 - (sun_x - x0) * yy * 1.5
                w = 0.003 + hh * 0.03
                shadow |= (yy > 0) & (yy < L * (hh / 0.1)) & (np.abs(X - sx) < w)
        sh = np.where(shadow, 0.45, 1.0).astype(np.float32)
        ground = ground * sh[..., None] + (1 - sh[..., None]) * ground * 0.0
    gm = below & (depth >= 0.999)
    img[:] = np.where(gm[..., None], ground, img)
    depth[gm] = gdepth[gm]

    # water
    wmask = np.zeros((N, N), bool)
    if water != "none":
        if water == "sea":
            wmask = below & (Y >= hy)
            if terrain == "coast":
                side = rng.random() < 0.5
                shore = 0.5 + (Y - hy) * rng.uniform(0.6, 1.6) + fbm1d(rng, 4, 3)[:, None] * 0.08
                land = (X > shore) if side else (X < 1 - shore)
                land &= Y > hy + 0.01
                wmask &= ~land
                sand = np.array([0.84, 0.74, 0.52], np.float32) if season != "winter" else alb
                beach = land & (np.abs(X - shore) < 0.08 if side else np.abs(X - (1 - shore)) < 0.08)
                img[:] = np.where(beach[..., None], light(np.broadcast_to(sand, (N, N, 3)) * (0.9 + 0.2 * tex[..., None]),
                                                           np.full((N, N), 0.3, np.float32)), img)
                img[:] = np.where((land & ~beach)[..., None], ground, img)
                depth[land] = gdepth[land]
        elif water == "lake":
            far = hy + 0.002
            near = rng.uniform(0.82, 0.95)
            edge = near + (fbm1d(rng, 3, 3) - 0.5) * 0.06
            wmask = (Y > far) & (Y < edge[None, :])
        elif water == "river":
            cx = rng.uniform(0.35, 0.65)
            mean = cx + (fbm1d(rng, 2, 3, n=N)[:, None] - 0.5) * 0.5 * np.clip((Y - hy) * 3, 0, 1)
            width = 0.01 + (Y - hy) * 0.6
            wmask = below & (np.abs(X - mean) < width) & (Y > hy + 0.003)
        # reflection: mirror the scene about the water line, shifted by ripples
        line_y = hy
        ripple_amp = {"lake": 0.004, "river": 0.006, "sea": 0.012}[water]
        if weather == "rain" or sky == "storm":
            ripple_amp *= 2.5
        rn = fbm2d(rng, 24, 2, shape=(N, N)) - 0.5
        rx = np.sin(Y * 900 * (0.3 + gdepth)) * ripple_amp * 3 + rn * ripple_amp * 6
        src_y = 2 * line_y - Y + rn * ripple_amp * 4 * (Y - hy) * 4
        src_x = X + rx * (1.0 + (Y - hy) * 3)
        iy = np.clip((src_y * N).astype(int), 0, N - 1)
        ix = np.clip((src_x * N).astype(int), 0, N - 1)
        refl = img[iy, ix]
        fres = 0.35 + 0.55 * np.clip(1 - (Y - hy) * 2.2, 0, 1)
        wcol = {"lake": np.array([0.05, 0.10, 0.12]), "river": np.array([0.06, 0.11, 0.12]),
                "sea": np.array([0.03, 0.09, 0.16])}[water].astype(np.float32)
        wlit = wcol * (amb * 1.2 + sun_col * sun_int * 0.3)
        wv = refl * fres[..., None] * 0.9 + wlit * (1 - fres[..., None])
        if water == "sea":
            # glitter path under the sun / moon
            gl = np.exp(-np.abs(X - sun_x) / (0.03 + np.maximum(Y - hy, 0) * 0.25)) * (rn > 0.05)
            strength = (0.9 if sky in ("clear", "scattered clouds") else 0.2) * (1.0 if elev > -1 or night else 0.3)
            wv = wv + (gl * strength)[..., None] * sun_col * 0.8
            foam = (np.abs(np.sin((Y - hy) * 140 + rn * 8)) > 0.97) & (Y > hy + 0.1)
            wv = np.where(foam[..., None], wv * 0.6 + 0.4 * (amb + sun_col * sun_int * 0.5), wv)
        if season == "winter" and water == "lake" and rng.random() < 0.0:
            pass
        img[:] = np.where(wmask[..., None], wv, img)
        depth[wmask] = gdepth[wmask]

    # --- atmosphere: haze, fog, precipitation ------------------------------------------------
    base_haze = {"clear": 0.25, "scattered clouds": 0.3, "overcast": 0.45, "storm": 0.5}[sky]
    fog_col = lerp(hor, amb, 0.5) * (1.0 if not night else 0.8)
    if weather == "fog":
        dens = rng.uniform(0.9, 1.5)
        band = np.exp(-np.abs(Y - hy) / 0.15)  # low-lying fog
        f = 1 - np.exp(-dens * (depth + band * 0.6))
        f = np.clip(f, 0, 0.85)
        img[:] = img * (1 - f[..., None]) + fog_col * f[..., None]
    else:
        f = np.clip((1 - np.exp(-base_haze * depth * 1.5)) * (depth < 0.999), 0, 1) * 0.6
        img[:] = img * (1 - f[..., None]) + haze_col * f[..., None]
    if weather == "rain":
        img *= 0.8
        streak = fbm2d(rng, 64, 1, shape=(N, N))
        # slanted streaks: shear the noise rows
        sh = np.roll(streak, 0, axis=0)
        idx = (np.arange(N)[:, None] * 0 + (np.arange(N)[None, :] + (np.arange(N)[:, None] // 6))) % N
        sh = np.take_along_axis(np.repeat(noise2d(rng, 128, (8, N)), N // 8, axis=0), idx, axis=1)
        drops = (sh > 0.78).astype(np.float32) * 0.25
        img[:] = img * (1 - drops[..., None]) + (fog_col * 1.4 + 0.1) * drops[..., None]
    if weather == "snowfall":
        flakes = rng.random((N, N)) > 0.985
        sz = rng.random((N // 2, N // 2)) > 0.993
        flakes |= np.kron(sz, np.ones((2, 2), bool))
        img[:] = np.where(flakes[..., None], np.clip(img * 0.3 + 0.75, 0, 1) * (0.6 if night else 1.0), img)
        img[:] = img * 0.85 + fog_col * 0.15

    # --- exposure, tone ------------------------------------------------------------------------
    if night:
        img *= 0.85
    img = np.clip(img, 0, None)
    img = 1 - np.exp(-img * 1.6)  # soft tone curve
    img = img / (1 - np.exp(-1.6))
    img = np.clip(img, 0, 1) ** (1 / 1.15)
    small = img.reshape(OUT, 2, OUT, 2, 3).mean(axis=(1, 3))
    return (small * 255 + 0.5).astype(np.uint8), attrs


# ----------------------------------------------------------------------------------------------

def render_many(seeds, out_prefix, log_every=2000, workers=1, render_fn=None, size=OUT,
                attributes=len(ATTRS), chunksize=64):
    """Render `seeds` on `workers` processes into <prefix>_images.npy (a memmap), _seeds.npy and
    _attrs.npy, written last so that its presence marks the set complete. `render_fn`, `size` (a
    side, or a frame's (width, height)) and `attributes` let render3d.py reuse this for its scenes."""
    render_fn = render_fn or render
    n = len(seeds)
    width, height = (size, size) if np.isscalar(size) else size
    imgs = np.lib.format.open_memmap(out_prefix + "_images.npy", mode="w+", dtype=np.uint8,
                                     shape=(n, height, width, 3))
    attrs = np.zeros((n, attributes), np.int8)
    t0 = time.time()
    with multiprocessing.Pool(workers) as pool:  # one scene per task, results in seed order
        scenes = pool.imap(render_fn, (int(s) for s in seeds), chunksize=chunksize)
        for i, (im, a) in enumerate(scenes):
            imgs[i] = im
            attrs[i] = a
            if (i + 1) % log_every == 0:
                print(f"{out_prefix}: {i + 1}/{n} {(i + 1) / (time.time() - t0):.1f} img/s", flush=True)
    imgs.flush()
    dt = time.time() - t0
    print(f"{out_prefix}: {n} scenes in {dt:.1f} s, {n / dt:.2f} img/s ({workers} processes)", flush=True)
    np.save(out_prefix + "_seeds.npy", np.asarray(seeds, np.int64))
    np.save(out_prefix + "_attrs.tmp.npy", attrs)
    os.replace(out_prefix + "_attrs.tmp.npy", out_prefix + "_attrs.npy")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/training/runs/data/train")
    ap.add_argument("--count", type=int, default=60000)
    ap.add_argument("--seed0", type=int, default=0)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--grid", help="write a PNG grid of the first 64 scenes here and exit")
    args = ap.parse_args()
    if args.grid:
        tiles = [render(args.seed0 + i)[0] for i in range(64)]
        rows = [np.concatenate(tiles[r * 8:(r + 1) * 8], axis=1) for r in range(8)]
        Image.fromarray(np.concatenate(rows, axis=0)).save(args.grid)
        for i in range(64):
            a = render(args.seed0 + i)[1]
            print(i, [ATTRS[k][1][a[k]] for k in range(6)])
        return
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    render_many(np.arange(args.seed0, args.seed0 + args.count), args.out, workers=args.workers)


if __name__ == "__main__":
    main()
