"""3D renderer of captioned landscape scenes: a heightfield seen in perspective under one sun or moon.

Same interface as render.py (attributes, render(seed, attrs) -> (uint8 HxWx3, int8 attrs),
render_many, --grid), plus a composition attribute at index 6 (VIEWS) taken from the camera used.

How a scene is made (all NumPy, deterministic by seed):
- terrain: a periodic heightfield (octaves of band-limited noise; ridged multifractal for
  mountains) with lakes, rivers or a coastline carved in front of the camera;
- camera: height, pitch, field of view and heading vary; rendered per column ("voxel space"):
  each of the W columns samples the heightfield along its ray at geometric depth steps, and a
  running minimum of the projected heights gives every pixel its hit distance in one searchsorted;
- light: sky radiance by single scattering (Rayleigh + Mie + ozone) tabulated per scene over
  (view elevation, azimuth from the sun); sun colour from the transmittance along its path;
  shadows from a horizon march along the sun's azimuth (the world frame puts the sun on +x, so
  it is a cumulative maximum); aerial perspective by extinction and in-scattered horizon light;
- water: a plane with Fresnel reflection of the terrain (the same column search from the
  mirrored camera) and of the sky, ripple-perturbed, with sun glints and a see-through shallow edge;
- clouds: a lit 2D layer; fog as exponential height fog; rain and snow as overlays;
- exposure from the scene's illuminance (so night stays darker than day), filmic tone curve.

    /usr/bin/python3 models/training/landscapes/render3d.py --out runs/data3d/train --count 50000 [--frame 320x192]
    /usr/bin/python3 models/training/landscapes/render3d.py --sheet sheet.png
    /usr/bin/python3 models/training/landscapes/render3d.py --bench 1000 --workers 2   # scenes/s per frame
"""
import argparse
import functools
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render as render2d  # noqa: E402
from render import (ATTRS as ATTRS6, TIMES, SKIES, TERRAINS, WATERS, SEASONS, WEATHERS,  # noqa: E402
                    sample_attributes as sample_attributes6)

# composition, index 6 of the attribute vector (render.py's vectors have 6 entries)
VIEWS = ["wide view", "from a high viewpoint", "low viewpoint", "close to the shore"]
ATTRS = ATTRS6 + [("view", VIEWS)]

OUT = 256           # output size of a square render
# the frames the embedded model generates in (width, height): square, and the engine's size at the
# native area for 16:9 and 4:3 (both round to 320x192 at its size multiple of 64) and for 3:4
FRAMES = ((OUT, OUT), (320, 192), (192, 320))
G = 256             # heightfield grid (periodic; a power of two, which sample() relies on)
D = 300             # depth samples per column
F32 = np.float32

# sun (or moon) elevation in degrees per time of day
SUN_ELEV = {"dawn": (-5, -1.5), "sunrise": (0.6, 3), "morning": (14, 30), "midday": (48, 68),
            "golden hour": (4, 9), "sunset": (0.4, 2.5), "dusk": (-6, -2.5), "night": (18, 45)}
LOW_SUN = ("dawn", "sunrise", "golden hour", "sunset", "dusk")
# how often the sun (moon at night) is in frame, per time of day
SUN_IN_FRAME = {"sunrise": 0.6, "sunset": 0.6, "dawn": 0.45, "dusk": 0.45, "golden hour": 0.25,
                "night": 0.5}

# per terrain: grid cell size (m), relief (m), far distance in periods
TERRAIN_SCALE = {"mountains": (55.0, 1500.0), "hills": (22.0, 170.0), "dunes": (9.0, 85.0),
                 "plains": (18.0, 14.0), "coast": (14.0, 70.0), "forest": (18.0, 100.0)}


# ----------------------------------------------------------------------------------------------
# fixed noise bank: periodic fields shared by all scenes (scenes differ by offsets and octaves)

@functools.lru_cache(maxsize=1)
def bank():
    rng = np.random.default_rng(20240616)
    k = np.fft.fftfreq(G) * G
    kr = np.sqrt(k[:, None] ** 2 + k[None, :] ** 2)

    def band(k0, n):
        out = []
        for _ in range((n + 1) // 2):
            spec = (rng.standard_normal((G, G)) + 1j * rng.standard_normal((G, G))) * np.exp(-(kr / k0) ** 2)
            spec[0, 0] = 0
            f = np.fft.ifft2(spec)
            for part in (f.real, f.imag):
                out.append(((part - part.mean()) / part.std()).astype(F32))
        return out[:n]

    low = band(3.0, 4)           # terrain octave seeds: ~3 cycles per period
    mid = band(12.0, 2)          # clouds, forest patches
    hi = band(60.0, 2)           # grain of ground texture
    canopy = crowns(rng, cell=4, rmin=2.0, rmax=3.1, dome=True)    # broadleaf: touching domes
    cone = crowns(rng, cell=4, rmin=2.2, rmax=3.0, dome=False)      # conifers: dense narrow cones
    # rain streaks: sparse dots smeared along a slant
    dots = (rng.random((G, G)) > 0.997).astype(F32)
    streak = np.zeros((G, G), F32)
    for i in range(14):
        streak += np.roll(np.roll(dots, i, 0), i // 4, 1)
    grain = rng.standard_normal((G, G)).astype(F32)
    return dict(low=low, mid=mid, hi=hi, canopy=canopy, cone=cone, streak=np.clip(streak, 0, 1), grain=grain)


def crowns(rng, cell, rmin, rmax, dome):
    """Tree crowns on a jittered grid (one tree per cell), the highest crown wins where they
    overlap: rounded domes (broadleaf) or cones (conifers), heights varied per tree."""
    n = G // cell
    cy, cx = np.mgrid[0:G, 0:G].astype(F32)
    jx = rng.uniform(0.5, cell - 0.5, (n, n)).astype(F32)
    jy = rng.uniform(0.5, cell - 0.5, (n, n)).astype(F32)
    rad = rng.uniform(rmin, rmax, (n, n)).astype(F32)
    hgt = rng.uniform(0.55, 1.0, (n, n)).astype(F32)
    out = np.zeros((G, G), F32)

    def up(a):
        return np.repeat(np.repeat(a, cell, 0), cell, 1)
    for oy in (-1, 0, 1):
        for ox in (-1, 0, 1):
            tx = np.roll(up((np.arange(n)[None, :] + ox) * cell + jx), ox * cell, 1)
            ty = np.roll(up((np.arange(n)[:, None] + oy) * cell + jy), oy * cell, 0)
            r = np.roll(np.roll(up(rad), oy * cell, 0), ox * cell, 1)
            hh = np.roll(np.roll(up(hgt), oy * cell, 0), ox * cell, 1)
            # distance across the periodic seam
            dx = (cx - tx + G / 2) % G - G / 2
            dy = (cy - ty + G / 2) % G - G / 2
            q = np.clip(1 - (dx * dx + dy * dy) / (r * r), 0, 1)
            prof = np.sqrt(q) if dome else np.clip(1 - np.sqrt(1 - q), 0, 1) ** 0.9
            out = np.maximum(out, hh * prof)
    return out


def octave(field, k, rng):
    """The band field sampled 2**k times faster, with a random shift, flip and transpose."""
    a = 2 ** k
    ox, oy = rng.integers(G, size=2)
    sx, sy = rng.choice([-1, 1], size=2)
    ix = (np.arange(G) * a * sx + ox) % G
    iy = (np.arange(G) * a * sy + oy) % G
    f = field[iy][:, ix]
    return f.T if rng.random() < 0.5 else f


def sample(stack, gx, gz):
    """Bilinear lookup of a periodic (G, G, C) grid at fractional grid coordinates."""
    x0 = np.floor(gx)
    z0 = np.floor(gz)
    fx = (gx - x0)[..., None]
    fz = (gz - z0)[..., None]
    # the renderer's hottest lookup: wrap with a mask (G is a power of two), 2x faster than %
    ix = x0.astype(np.int32) & (G - 1)
    iz = (z0.astype(np.int32) & (G - 1)) * G
    ix1 = (ix + 1) & (G - 1)
    iz1 = (iz + G) & (G * G - 1)
    return blend(stack.reshape(G * G, -1), iz + ix, iz + ix1, iz1 + ix, iz1 + ix1, fx, fz)


def blend(flat, i00, i01, i10, i11, fx, fz):
    """Bilinear mix of four rows of a flattened table (gathered with take: faster than fancy
    indexing, same values); i01 is one step along x from i00, i10 one along z."""
    a, b, c, d = (flat.take(i, 0) for i in (i00, i01, i10, i11))
    return (a + (b - a) * fx) * (1 - fz) + (c + (d - c) * fx) * fz


def nearest(field, gx, gz):
    return field[gz.astype(np.int32) % G, gx.astype(np.int32) % G]


def smoothstep(a, b, x):
    t = np.clip((x - a) / (b - a), 0, 1)
    return t * t * (3 - 2 * t)


# ----------------------------------------------------------------------------------------------
# attributes

def sample_attributes(rng):
    """render.py's attribute draw plus a composition; the view is revised to the camera used."""
    a = sample_attributes6(rng)
    water = WATERS[a[3]]
    p = [0.3, 0.25, 0.25, 0.2] if water != "none" else [0.38, 0.31, 0.31, 0.0]
    return np.append(a, np.int8(rng.choice(len(VIEWS), p=p))).astype(np.int8)


# ----------------------------------------------------------------------------------------------
# atmosphere: single scattering table per light elevation

R_EARTH, R_TOP = 6360e3, 6420e3
BETA_R = np.array([5.8e-6, 13.5e-6, 33.1e-6])
BETA_M = 21e-6
BETA_O = np.array([0.65e-6, 1.88e-6, 0.085e-6])  # ozone absorption
H_R, H_M = 8000.0, 1200.0
G_MIE = 0.76
N_EL, N_AZ = 24, 24


def densities(h):
    ozone = np.clip(1 - np.abs(h - 25e3) / 15e3, 0, None)
    return np.exp(-h / H_R), np.exp(-h / H_M), ozone


def optical_depth_to_space(pos, d, n=8):
    """Optical depth (rgb) from points pos along unit dirs d to the top of the atmosphere; inf if
    the ray hits the ground (earth shadow)."""
    b = np.sum(pos * d, -1)
    c = np.sum(pos * pos, -1) - R_TOP ** 2
    t_top = -b + np.sqrt(np.maximum(b * b - c, 0))
    cg = np.sum(pos * pos, -1) - R_EARTH ** 2
    disc = b * b - cg
    hits_ground = (disc > 0) & (-b - np.sqrt(np.maximum(disc, 0)) > 0)
    s = (np.arange(n) + 0.5) / n
    ts = t_top[..., None] * s
    p = pos[..., None, :] + ts[..., None] * d[..., None, :]
    h = np.linalg.norm(p, axis=-1) - R_EARTH
    dr, dm, do = densities(h)
    dt = (t_top / n)[..., None]
    tau = (BETA_R * np.sum(dr * dt, -1)[..., None] + 1.1 * BETA_M * np.sum(dm * dt, -1)[..., None]
           + BETA_O * np.sum(do * dt, -1)[..., None])
    tau[hits_ground] = 1e9
    return tau


@functools.lru_cache(maxsize=512)
def sky_table(elev_q):
    """Sky radiance for a unit-irradiance light at elevation elev_q/4 degrees.
    Returns (rayleigh[N_EL,N_AZ,3] with phase, mie[N_EL,N_AZ,3] without phase, sun transmittance)."""
    el_s = np.radians(elev_q / 4.0)
    sun = np.array([np.cos(el_s), np.sin(el_s), 0.0])
    te = (np.arange(N_EL) / (N_EL - 1))
    els = te ** 2 * (np.pi / 2) - 0.02
    azs = np.linspace(0, np.pi, N_AZ)
    E, A = np.meshgrid(els, azs, indexing="ij")
    d = np.stack([np.cos(E) * np.cos(A), np.sin(E), np.cos(E) * np.sin(A)], -1)
    o = np.array([0.0, R_EARTH + 2.0, 0.0])
    b = d @ o
    t_top = -b + np.sqrt(b * b - (o @ o - R_TOP ** 2))
    t_len = np.minimum(t_top, 200e3)
    n = 16
    s = ((np.arange(n) + 0.5) / n) ** 2  # denser samples near the ground
    ts = t_len[..., None] * s
    dts = t_len[..., None] * np.diff(np.concatenate([[0.0], s, [1.0]]))[:-1]
    p = o + ts[..., None] * d[..., None, :]
    h = np.linalg.norm(p, axis=-1) - R_EARTH
    dr, dm, do = densities(h)
    tau_view = (BETA_R * np.cumsum(dr * dts, -1)[..., None] + 1.1 * BETA_M * np.cumsum(dm * dts, -1)[..., None]
                + BETA_O * np.cumsum(do * dts, -1)[..., None])
    tau_sun = optical_depth_to_space(p, np.broadcast_to(sun, p.shape), n=6)
    att = np.exp(-(tau_view + tau_sun))
    ray = np.sum(att * (dr * dts)[..., None], -2) * BETA_R
    mie = np.sum(att * (dm * dts)[..., None], -2) * BETA_M
    mu = d @ sun
    ray = ray * (3 / (16 * np.pi) * (1 + mu * mu))[..., None]
    # a crude multiple-scattering lift: skylight scattered again, stronger at twilight
    ray = ray * 1.25 + ray.mean(axis=(0, 1)) * 0.25
    t_sun = np.exp(-optical_depth_to_space(o[None], sun[None], n=24)[0])
    return ray.astype(F32), mie.astype(F32), t_sun.astype(F32)


def mie_phase(mu, g=G_MIE):
    return (3 / (8 * np.pi)) * ((1 - g * g) * (1 + mu * mu)) / ((2 + g * g) * (1 + g * g - 2 * g * mu) ** 1.5)


class Sky:
    """Sky radiance lookups for directions given as (elevation, azimuth from the light)."""

    def __init__(self, elev_deg, intensity):
        self.el = np.radians(elev_deg)
        q = int(round(elev_deg * 4))
        self.ray, self.mie, t_sun = sky_table(q)
        self.k = F32(intensity)
        self.t_sun = t_sun
        # sky irradiance on a horizontal surface (for ambient light)
        te = np.arange(N_EL) / (N_EL - 1)
        els = np.clip(te ** 2 * (np.pi / 2) - 0.02, 0, None)
        w = (np.sin(els) * np.cos(els) * np.gradient(els))[:, None, None]
        self.irr = (np.sum((self.ray + self.mie * 0.1) * w, axis=(0, 1)) * 2 * np.pi / N_AZ * 2
                    * intensity).astype(F32)
        self.horizon_ray = None

    def __call__(self, el, az, mie_scale=1.0):
        te = np.sqrt(np.clip((el + 0.02) / (np.pi / 2), 0, 1)) * (N_EL - 1)
        ta = np.clip(np.abs(az) / np.pi, 0, 1) * (N_AZ - 1)
        i0 = np.minimum(te.astype(np.int32), N_EL - 2)
        j0 = np.minimum(ta.astype(np.int32), N_AZ - 2)
        fe = (te - i0)[..., None]
        fa = (ta - j0)[..., None]

        k = i0 * N_AZ + j0

        def lut(t):
            return blend(t.reshape(N_EL * N_AZ, -1), k, k + 1, k + N_AZ, k + N_AZ + 1, fa, fe)

        mu = np.cos(el) * np.cos(self.el) * np.cos(az) + np.sin(el) * np.sin(self.el)
        ph = mie_phase(np.clip(mu, -1, 1)).astype(F32)[..., None]
        return (lut(self.ray) + lut(self.mie) * ph * mie_scale) * self.k, mu


# ----------------------------------------------------------------------------------------------
# terrain

def fbm(rng, octaves, gain=0.5, k0=0):
    b = bank()["low"]
    out = np.zeros((G, G), F32)
    amp, tot = 1.0, 0.0
    for k in range(octaves):
        out += F32(amp) * octave(b[rng.integers(4)], k0 + k, rng)
        tot += amp
        amp *= gain
    return out / F32(tot)


def ridged(rng, octaves):
    """Ridged multifractal: sharp crests; each octave weighted by the one before, so valleys stay
    smooth and detail gathers on the ridges (reads like erosion)."""
    b = bank()["low"]
    out = np.zeros((G, G), F32)
    weight = np.ones((G, G), F32)
    amp = 1.0
    for k in range(octaves):
        n = octave(b[rng.integers(4)], k, rng)
        sig = (1 - np.abs(n) * 0.7) ** 2
        sig = sig * weight
        weight = np.clip(sig * 1.6, 0, 1)
        out += F32(amp) * sig
        amp *= 0.48
    return out


def dune_field(rng):
    """Transverse dunes: crests across a wind from about -x (so the sun, on +x, lights the long
    windward slopes and leaves the steep slip faces in shade, or the reverse), crests bent and
    broken by low noise, a second smaller set across them; periodic (integer wave numbers)."""
    y, x = np.mgrid[0:G, 0:G].astype(F32) / G

    def crests(kx, ky, warp, lee):
        ph = -(x * kx + y * ky + warp)
        saw = ph - np.floor(ph)
        # long gentle windward slope rising to the crest, short steep slip face after it
        up = np.clip(saw / (1 - lee), 0, 1)
        down = np.clip((1 - saw) / lee, 0, 1)
        prof = np.where(saw < 1 - lee, up * up * (3 - 2 * up), down ** 1.3)
        return prof

    k = int(rng.integers(9, 15))
    warp = fbm(rng, 3) * rng.uniform(0.35, 0.6)
    main = crests(k, int(rng.integers(-3, 4)), warp, rng.uniform(0.2, 0.3))
    size = 0.55 + 0.45 * normalize01(fbm(rng, 2))       # dunes grow and shrink across the sea
    k2 = int(rng.integers(20, 30))
    cross = crests(int(rng.integers(-4, 5)), k2, fbm(rng, 2) * 0.4, 0.3)
    base = normalize01(fbm(rng, 2)) * 0.35
    return main * size + cross * 0.12 + base


def normalize01(h):
    lo, hi = np.percentile(h, [1, 99.5])
    return np.clip((h - lo) / (hi - lo), -0.2, 1.2)


def make_terrain(rng, terrain):
    """Heightfield in metres (before water carving) and a forest density map."""
    cs, relief = TERRAIN_SCALE[terrain]
    relief *= rng.uniform(0.7, 1.3)
    if terrain == "mountains":
        base = normalize01(ridged(rng, 5))
        big = normalize01(fbm(rng, 2))
        h = np.clip(base * 0.75 + big * 0.35, 0, None) ** 1.5
        # gullies on steep ground: small ridged detail scaled by the slope (erosion-like)
        gy, gx = np.gradient(h)
        slope = np.clip(np.sqrt(gx * gx + gy * gy) * 40, 0, 1)
        h = h + (1 - np.abs(octave(bank()["low"][1], 4, rng))) * 0.03 * slope
    elif terrain == "dunes":
        h = dune_field(rng)
    elif terrain == "plains":
        h = normalize01(fbm(rng, 3)) * 0.8 + normalize01(fbm(rng, 4, k0=1)) * 0.2
    else:  # hills, coast, forest
        h = normalize01(fbm(rng, 5, gain=0.45))
        h = np.clip(h, 0, None) ** rng.uniform(1.1, 1.6)
    h = (h * relief).astype(F32)
    patches = octave(bank()["mid"][0], 0, rng)
    if terrain == "forest":
        forest = smoothstep(-1.2, -0.4, patches)
    elif terrain in ("hills", "mountains", "plains"):
        forest = smoothstep(0.5, 1.0, patches) * rng.uniform(0.0, 1.0)
    else:
        forest = np.zeros((G, G), F32)
    return h, forest.astype(F32), cs


def wrap(d, L):
    return (d + L / 2) % L - L / 2


def carve_water(rng, h, cs, water, terrain, view, cam_u0, g0):
    """Carve a lake, a river or a coastline in front of the camera at the grid origin looking
    along +u (u, v: ground axes of the camera). Returns (h, water level, camera ground height)."""
    L = G * cs
    relief = float(h.max() - h.min()) + 1.0
    zz, xx = np.mgrid[0:G, 0:G].astype(F32) * F32(cs)
    u, v = cam_u0(xx, zz)
    u, v = wrap(u, L), wrap(v, L)
    noise = octave(bank()["mid"][1], 0, rng)
    near = {"close to the shore": rng.uniform(6, 25), "low viewpoint": rng.uniform(40, 300)}.get(
        view, rng.uniform(80, 600))
    if water == "lake":
        a = rng.uniform(0.15, 0.3) * L
        b = a * rng.uniform(0.5, 0.9)
        uc = near + a
        r = np.sqrt(((u - uc) / a) ** 2 + (v / b) ** 2) + noise * 0.12
        m = smoothstep(1.0, 0.55, r)
        level = min(float(np.percentile(h[r < 1], 35)), g0 - 0.6)
        h = h * (1 - m) + (level - 0.2 * relief * 0.1 - 3.0) * m
        h = np.where(r < 0.95, np.minimum(h, level + (r - 0.95) * relief * 0.2), h)
    elif water == "river":
        amp = rng.uniform(0.02, 0.08) * L
        lam = rng.uniform(0.1, 0.25) * L
        side = rng.uniform(-1, 1) * (near + 10)
        vc = side + amp * (np.sin(u / lam * 2 * np.pi + rng.uniform(0, 6)) - np.sin(rng.uniform(0, 0)))
        width = rng.uniform(8, 30) * (1 + (terrain in ("plains", "hills")) * 0.5)
        dv = np.abs(v - vc - noise * width * 0.3)
        valley = np.exp(-(dv / (width * rng.uniform(6, 15))) ** 2)
        level = min(float(np.percentile(h[dv < width * 6], 20)), g0 - 1.0)
        floor = level + max(1.5, relief * 0.04)  # the flood plain stands above the water
        h = h * (1 - valley * 0.85) + floor * valley * 0.85
        chan = smoothstep(width, width * 0.5, dv)
        h = h * (1 - chan) + (level - 2.5) * chan
        h = np.where(dv < width * 3, np.minimum(h, level + (dv - width) * 0.12), h)
        level += 0.5
    else:  # sea: a shoreline at distance `near`, the sea ahead and to one side, land behind
        bang = rng.uniform(0.3, 1.2) * rng.choice([-1, 1])
        # a wavy shoreline; more noise than this leaves flat sandbars scattered out at sea
        sd = near - (u * np.cos(bang) + v * np.sin(bang)) + noise * 0.01 * L  # metres inland
        beach_w = rng.uniform(15, 60)
        ramp = rng.uniform(0.05, 0.2) * L
        h = h - np.percentile(h, 5)
        rise = smoothstep(beach_w, beach_w + ramp, sd)
        if rng.random() < 0.35:  # cliffs
            rise = smoothstep(beach_w, beach_w + ramp * 0.08, sd)
            h = h + relief * 0.4
        land = np.clip(sd, 0, beach_w) * 0.06 + rise * np.maximum(h, 0)
        sea = np.maximum(sd * 0.04, -15.0)
        h = np.where(sd > 0, land + 0.3, sea)
        level = 0.0
        S_sea = (near, float(np.cos(bang)), float(np.sin(bang)))
        return h.astype(F32), float(level), S_sea
    return h.astype(F32), float(level), None


# ----------------------------------------------------------------------------------------------
# the scene

class Scene:
    pass


def setup(seed, attrs):
    rng = np.random.default_rng(seed)
    if attrs is None:
        attrs = sample_attributes(rng)
    attrs = np.asarray(attrs, np.int8)
    if len(attrs) == 6:  # an old-style vector: choose the composition here
        water = WATERS[attrs[3]]
        attrs = np.append(attrs, np.int8(rng.choice(4, p=[0.3, 0.25, 0.25, 0.2] if water != "none"
                                                     else [0.38, 0.31, 0.31, 0.0])))
    S = Scene()
    S.rng = rng
    S.time, S.sky, S.terrain, S.water, S.season, S.weather = (
        TIMES[attrs[0]], SKIES[attrs[1]], TERRAINS[attrs[2]], WATERS[attrs[3]],
        SEASONS[attrs[4]], WEATHERS[attrs[5]])
    S.view = VIEWS[attrs[6]]
    if S.view == "close to the shore" and S.water == "none":
        S.view = "low viewpoint"
    S.attrs = attrs
    return S


def place_camera(S):
    rng = S.rng
    S.elev = rng.uniform(*SUN_ELEV[S.time])
    S.night = S.time == "night"
    fov = {"wide view": rng.uniform(68, 84), "from a high viewpoint": rng.uniform(45, 70),
           "low viewpoint": rng.uniform(40, 62), "close to the shore": rng.uniform(45, 72)}[S.view]
    # the field of view spans the side of a square of the frame's area: a wide frame of the same
    # lens shows more to the sides and less above and below, as a crop of a larger sensor would
    S.f = (S.side / 2) / np.tan(np.radians(fov) / 2)
    # heading relative to the light's azimuth (the light is on +x): the sun is the subject at
    # sunrise and sunset; at golden hour the subject is what it lights, so it is mostly behind
    # or beside the camera (backlit golden-hour scenes are a wash of glare and haze)
    if S.time in SUN_IN_FRAME and rng.random() < SUN_IN_FRAME[S.time]:
        head = rng.uniform(-1, 1) * np.radians(fov) * 0.4
    else:
        head = rng.uniform(-np.pi, np.pi)
    if S.terrain == "dunes":
        # look across the crests (they run along z), so the ridges recede in rows to the horizon
        head = rng.uniform(-0.45, 0.45) + np.pi * (rng.random() < 0.5)
    S.head = head
    S.fwd = np.array([np.cos(head), np.sin(head)], F32)     # (x, z)
    S.right = np.array([-np.sin(head), np.cos(head)], F32)
    pitch = {"wide view": rng.uniform(-6, 4), "from a high viewpoint": rng.uniform(-16, -5),
             "low viewpoint": rng.uniform(-4, 6), "close to the shore": rng.uniform(-6, 3)}[S.view]
    if S.time in LOW_SUN and rng.random() < 0.5:
        pitch += 3  # more sky when the sky is the subject
    S.pitch = np.radians(pitch)
    S.hrow = S.height / 2 + S.f * np.tan(S.pitch)


def build_world(S):
    rng = S.rng
    h, forest, cs = make_terrain(rng, S.terrain)
    S.cs = cs
    L = G * cs
    S.L = L
    S.cam, g0 = choose_position(S, h, cs)

    def frame(xx, zz):
        dx, dz = xx - S.cam[0], zz - S.cam[1]
        return dx * S.fwd[0] + dz * S.fwd[1], dx * S.right[0] + dz * S.right[1]

    if S.water != "none":
        h, S.wlevel, S.sea_line = carve_water(rng, h, cs, S.water, S.terrain, S.view, frame, g0)
    else:
        S.wlevel = -1e9
        S.sea_line = None
    S.h = h
    # trees down to a metre above the water, thinning in noisy edges (natural clearings)
    S.forest = (forest * smoothstep(S.wlevel + 0.8, S.wlevel + 2.0, h)).astype(F32)
    S.conifer = S.season == "winter" or S.terrain == "mountains" or rng.random() < 0.35
    S.crown = bank()["cone" if S.conifer else "canopy"]
    S.tcell = TCELL[S.conifer]
    # grid maps: height, gradients, sun shadow, cavity, forest
    gz, gx = np.gradient(h, cs)
    S.light_el = np.radians(max(S.elev, 0.3))
    shadow = horizon_shadow(h, cs, np.tan(S.light_el))
    blur = box_blur(h, 6)
    cav = np.clip(0.5 + (h - blur) / (0.04 * (h.max() - h.min() + 1)), 0, 1)
    S.grid = np.stack([h, gx, gz, shadow, cav, S.forest], -1).astype(F32)
    S.relief = (float(np.percentile(h, 2)), float(np.percentile(h, 98)))


def choose_position(S, h, cs):
    """Camera position: of a few random spots, the one whose view ahead is most open (low
    views, shores) or the highest with an open view (high viewpoints)."""
    rng = S.rng
    n = 24
    cand = rng.uniform(0, G * cs, (n, 2)).astype(F32)
    hm = h[..., None]
    g0 = sample(hm, cand[:, 0] / cs, cand[:, 1] / cs)[:, 0]
    ds = np.array([8, 30, 80, 200, 500, 1200, 3000], F32) * (cs / 20.0)
    px = cand[:, 0:1] + S.fwd[0] * ds[None, :]
    pz = cand[:, 1:2] + S.fwd[1] * ds[None, :]
    ahead = sample(hm, px / cs, pz / cs)[..., 0]
    block = np.max((ahead - g0[:, None]) / ds[None, :], axis=1)  # tan of the highest angle ahead
    lo, hi = np.percentile(h, [2, 98])
    alt = (g0 - lo) / (hi - lo + 1e-3)
    if S.view == "from a high viewpoint":
        score = block * 3 - alt
    elif S.view == "wide view":
        score = block * 3 + np.abs(alt - 0.3)
    else:
        score = block * 3 + alt * 1.5
    score = score + rng.uniform(0, 0.05, n)
    k = int(np.argmin(score))
    return cand[k], float(g0[k])


def horizon_shadow(h, cs, tan_e):
    """1 where lit, 0 in shadow: the terrain's horizon toward the sun (+x) against the sun's
    elevation, as a reverse cumulative max of h - x tan(e) over two periods; soft edge."""
    x = np.arange(2 * G, dtype=F32) * F32(cs * tan_e)
    g = np.concatenate([h, h], 1) - x[None, :]
    m = np.maximum.accumulate(g[:, ::-1], axis=1)[:, ::-1]
    occl = np.concatenate([m[:, 1:], np.full((G, 1), -1e9, F32)], 1)[:, :G]
    soft = F32(cs * 0.6 * max(tan_e, 0.02) + 2.0)
    return np.clip(1 + (g[:, :G] - occl) / soft, 0, 1).astype(F32)


def box_blur(a, r):
    c = np.cumsum(np.concatenate([a[-r - 1:], a, a[:r]], 0), 0)
    a = (c[2 * r + 1:] - c[:-2 * r - 1]) / (2 * r + 1)
    c = np.cumsum(np.concatenate([a[:, -r - 1:], a, a[:, :r]], 1), 1)
    return (c[:, 2 * r + 1:] - c[:, :-2 * r - 1]) / (2 * r + 1)


def camera_height(S):
    rng = S.rng
    g = float(sample(S.grid[..., :1], S.cam[0:1] / S.cs, S.cam[1:2] / S.cs)[0, 0])
    ground = max(g, S.wlevel)
    lo, hi = S.relief
    rel = hi - lo
    if S.view == "from a high viewpoint":
        eye = max(rng.uniform(0.25, 0.6) * rel, 40.0) + max(0.0, lo + rel * 0.5 - ground) * 0.5
    elif S.view == "wide view":
        eye = rng.uniform(6, 40) + rel * rng.uniform(0.0, 0.1)
    elif S.view == "close to the shore":
        eye = rng.uniform(1.5, 4)
    else:
        eye = rng.uniform(1.6, 6) + 6.0 * (S.terrain == "mountains")
    # never inside the canopy: the camera stands above the trees where it stands
    f_here = float(sample(S.grid[..., 5:6], S.cam[0:1] / S.cs, S.cam[1:2] / S.cs)[0, 0])
    eye = max(eye, f_here * 14.0 + 3.0 * (f_here > 0.02))
    if S.terrain == "forest" or S.forest.mean() > 0.3:
        eye = max(eye, 22.0 if S.view != "from a high viewpoint" else eye)  # above the canopy
    S.H = ground + eye
    S.eye = eye
    S.ground = g


# ----------------------------------------------------------------------------------------------
# per-column raycast

def depths(S):
    z0 = 0.8
    zmax = max(S.L * 1.7, 9000.0)
    return (z0 * (zmax / z0) ** (np.arange(D, dtype=F32) / (D - 1))).astype(F32)


TCELL = {False: 1.6, True: 1.2}  # metres per crown texel (4 per tree): broadleaf 6 m apart, conifers 5 m


def canopy_height(S, px, pz, z):
    """Canopy top above the ground: a closed cover (the trunks' height) plus the crowns of the
    scene's tree kind; far away the crowns fade to their mean (a pixel cannot resolve them)."""
    c = sample(S.crown[..., None], px / S.tcell, pz / S.tcell)[..., 0]
    # beyond ~40 m the depth samples are further apart than a tree: crowns there would alias into
    # spikes, so the geometry keeps a smooth canopy and the shading draws the crowns
    c = 0.6 + (c - 0.6) * 0.2
    base, amp = (7.0, 11.0) if S.conifer else (10.0, 6.0)
    return base + amp * c


BUMP = {"mountains": 1.2, "hills": 0.4, "dunes": 0.1, "plains": 0.15, "coast": 0.4, "forest": 0.4}


def open_sea(S, z, xc):
    """Points (distance z along columns at xc) far out past the shoreline: the heightfield is
    periodic, so without this the coast's land would come back as islands on the sea horizon."""
    if S.sea_line is None:
        return np.zeros(np.broadcast(z, xc).shape, bool)
    near, c, s = S.sea_line
    # the carved shoreline is wavy by ~0.01-0.03 L; past that margin it is sea for good
    return near - z * (c + xc * s) < -0.05 * S.L


def raycast(S):
    S.bump = BUMP[S.terrain]
    W, H = S.width, S.height
    z = depths(S)
    S.z = z
    xc = ((np.arange(W, dtype=F32) + 0.5) - W / 2) / F32(S.f)
    S.xc = xc
    dirx = S.fwd[0] + xc * S.right[0]
    dirz = S.fwd[1] + xc * S.right[1]
    px = S.cam[0] + dirx[:, None] * z[None, :]
    pz = S.cam[1] + dirz[:, None] * z[None, :]
    s = sample(S.grid[..., [0, 5]], px / S.cs, pz / S.cs)
    curv = (z * z / (2 * R_EARTH))[None, :]
    # rocks and bumps of a few metres near the camera (finer than the grid)
    bump = sample(bank()["hi"][0][..., None], px / 3.0, pz / 3.0)[..., 0] * np.clip(1 - z / 400.0, 0, 1)[None, :]
    hraw = (s[..., 0] + s[..., 1] * canopy_height(S, px, pz, z[None, :]) - curv
            + bump * F32(S.bump))
    hraw = np.where(open_sea(S, z[None, :], xc[:, None]), S.wlevel - 5.0 - curv, hraw)
    hh = np.maximum(hraw, S.wlevel - curv)
    y = S.hrow + S.f * (S.H - hh) / z[None, :]
    y = np.clip(y, -20, H + 20)
    ym = np.minimum.accumulate(y, axis=1)
    BIG = 1000.0
    keys = (-ym + BIG * np.arange(W)[:, None]).ravel()
    rows = np.arange(H, dtype=F32) + 0.5
    q = (-rows[:, None] + BIG * np.arange(W)[None, :])  # (H, W)
    pos = np.searchsorted(keys, q.ravel(), side="left").reshape(H, W)
    idx = pos - D * np.arange(W)[None, :]
    S.sky_mask = idx >= D
    i = np.clip(idx, 1, D - 1)
    cols = np.broadcast_to(np.arange(W)[None, :], (H, W))
    za, zb = z[i - 1], z[i]
    ha, hb = hh[cols, i - 1], hh[cols, i]
    slope = (rows[:, None] - S.hrow) / F32(S.f)
    t = (S.H - slope * za - ha) / ((hb - ha) + slope * (zb - za) + 1e-6)
    t = np.clip(t, 0, 1)
    zhit = za + t * (zb - za)
    zhit = np.where(idx == 0, z[0], zhit)
    S.zhit = np.where(S.sky_mask, z[-1] * 3, zhit).astype(F32)
    S.slope = np.broadcast_to(slope, (H, W)).astype(F32)
    S.hraw_cols = hraw
    S.hh_cols = hh
    S.dirx, S.dirz = dirx, dirz


# ----------------------------------------------------------------------------------------------
# lighting

def light_setup(S):
    rng = S.rng
    if S.night:
        S.light_int = 2.2e-5   # moonlight relative to sunlight, brightened for a photographic night
    else:
        S.light_int = 1.0
    S.atm = Sky(S.elev, 20.0 * S.light_int)
    t_sun = S.atm.t_sun
    S.sun_col = (t_sun * 20.0 * S.light_int).astype(F32) if S.elev > -0.3 else np.zeros(3, F32)
    if S.night:
        S.sun_col = S.sun_col * np.array([0.85, 0.92, 1.05], F32)
    cover = {"clear": 0.0, "scattered clouds": rng.uniform(0.25, 0.5), "overcast": 1.0, "storm": 1.0}[S.sky]
    S.cover = cover
    S.ambient = S.atm.irr.copy()
    if S.sky in ("overcast", "storm"):
        # the cloud deck turns direct light into a grey diffuse light
        grey = float(np.mean(S.sun_col) * max(np.sin(S.light_el), 0.02) * 0.5 + np.mean(S.ambient))
        k = 0.55 if S.sky == "overcast" else 0.22
        S.ambient = (np.full(3, grey * k, F32) * np.array([0.97, 1.0, 1.05], F32)).astype(F32)
        S.sun_col = S.sun_col * (0.04 if S.sky == "overcast" else 0.01)
    S.Ldir = np.array([np.cos(S.light_el), np.sin(S.light_el), 0.0], F32)
    # faces turned to a low sun get nearly full sunlight, so expose for that, not the horizontal
    E = float(np.mean(S.ambient) + np.mean(S.sun_col) * max(np.sin(S.light_el), 0.45) * (S.elev > -0.5))
    # partial auto exposure: brighter scenes stay brighter (night dark, midday bright)
    S.exposure = 1.25 / (max(E, 1e-7) ** 0.82) * (0.8 if S.night else 1.0)
    S.moon_r = rng.uniform(0.55, 0.8)
    S.foam_phase = rng.uniform(0, 2 * np.pi)
    # haze: aerosol extinction; the far plane must be nearly fully hazed
    vis = {"clear": rng.uniform(40e3, 90e3), "scattered clouds": rng.uniform(30e3, 70e3),
           "overcast": rng.uniform(15e3, 35e3), "storm": rng.uniform(6e3, 15e3)}[S.sky]
    if S.weather == "rain":
        vis *= 0.35
    if S.weather == "snowfall":
        vis *= 0.2
    if S.weather == "fog":
        vis *= 0.5
    if S.season == "desert" or S.terrain == "dunes":
        vis *= 0.6
    zfar = S.z[-1]
    S.beta = np.maximum(3.9 / vis, 3.0 / zfar) + BETA_R * 0.6
    S.beta = S.beta.astype(F32)
    # cloud layer
    S.cloud_h = {"clear": 2500, "scattered clouds": rng.uniform(1500, 3500), "overcast": rng.uniform(1200, 2500),
                 "storm": rng.uniform(700, 1500)}[S.sky] + S.H
    S.cloud_scale = rng.uniform(1500, 4000)
    S.cloud_off = rng.uniform(0, G, 2)


def haze_color(S, az):
    """In-scattered light toward the horizon in a direction, for aerial perspective."""
    # in fog the forward (Mie) glow is spread out by the droplets rather than piled up toward the sun
    col, mu = S.atm(np.full_like(az, 0.04), az, mie_scale=0.25 if S.weather == "fog" else 0.6)
    if S.sky in ("overcast", "storm"):
        col = np.broadcast_to(S.ambient * 0.9, col.shape)
    elif S.weather == "fog":
        # droplets scatter all colours alike: a paler, greyer haze than in clear air
        col = col * 0.5 + np.mean(col, -1, keepdims=True) * 0.5
    return col


def cloud_density(S, cx, cz):
    b = bank()["mid"]
    gx = cx / S.cloud_scale * 4 + S.cloud_off[0]
    gz = cz / S.cloud_scale * 4 + S.cloud_off[1]
    n = sample(np.stack([b[0], b[1]], -1), gx, gz)
    d = n[..., 0] * 0.7 + n[..., 1] * 0.3
    if not getattr(S, "soft_clouds", False):
        d2 = sample(bank()["hi"][0][..., None], gx * 0.5, gz * 0.5)[..., 0]
        d = d + d2 * 0.25
    return d


def clouds(S, el, az, base):
    """Composite the cloud layer over sky radiance for directions (el, az) above the horizon."""
    if S.sky == "clear":
        return base
    up = np.sin(el)
    t = (S.cloud_h - S.H) / np.maximum(up, 0.05 if getattr(S, "soft_clouds", False) else 0.02)
    t = np.minimum(t, 60e3)
    dx = np.cos(el) * np.cos(az) * t
    dz = np.cos(el) * np.sin(az) * t
    cx, cz = S.cam[0] + dx, S.cam[1] + dz
    dens = cloud_density(S, cx, cz)
    thr = {"scattered clouds": 1.3 - S.cover * 1.2, "overcast": -1.5, "storm": -1.8}[S.sky]
    a = smoothstep(thr, thr + 0.9, dens)
    if S.sky == "overcast":
        a = 0.85 + 0.15 * a
    elif S.sky == "storm":
        a = 0.9 + 0.1 * a
    # self-shadow: density a little toward the light
    step = 400.0
    dl = cloud_density(S, cx + step, cz)
    lit = np.exp(-np.clip(dl - dens + 0.3, 0, 3) * 1.2)
    mu = np.cos(el) * np.cos(S.light_el) * np.cos(az) + np.sin(el) * np.sin(S.light_el)
    phase = 0.6 + 1.4 * mie_phase(np.clip(mu, -1, 1), 0.5) * 4
    sun_c = S.atm.t_sun * 20.0 * S.light_int if S.elev > -1 else np.zeros(3)
    if S.elev <= 0 and not S.night:
        # below the horizon: clouds still catch red light from under the horizon
        sun_c = np.array([1.0, 0.35, 0.15]) * np.exp(S.elev / 2.5) * 2.0
    sun_c = sun_c.astype(F32)
    amb = S.atm.irr / np.pi * 1.0
    if S.sky == "scattered clouds":
        col = (sun_c * 0.12 * (lit * phase)[..., None] + amb * (0.8 + 0.3 * (1 - a))[..., None])
        col = col * (1 - 0.35 * smoothstep(0.5, 2.0, dens))[..., None]
    else:
        dark = 0.7 if S.sky == "overcast" else 0.28
        shade = (0.75 + 0.35 * (1 - smoothstep(-1.0, 1.5, dens)))[..., None]
        col = (amb * 0.9 + sun_c * 0.02 * phase[..., None]) * 0 + S.ambient[None] / np.pi * 1.1
        col = col * shade * (dark / 0.7)
    # clouds far away fade into the horizon haze
    fade = np.exp(-t / 25e3)[..., None]
    a = a * fade[..., 0] + a * (1 - fade[..., 0]) * 0.6
    col = col * fade + base * (1 - fade)
    return base * (1 - a[..., None]) + col * a[..., None]


def sky_radiance(S, el, az, with_disk=True):
    col, mu = S.atm(np.maximum(el, -0.02), az)
    if S.sky in ("overcast", "storm"):
        col = col * 0.3
    if with_disk:
        cosr = np.cos(np.radians(0.9))
        if S.elev > -0.6 and not S.night:
            disk = smoothstep(cosr - 0.00012, cosr + 0.00004, mu)
            col = col + (disk[..., None] * S.atm.t_sun * 20.0 * S.light_int * 900).astype(F32)
            col = col + (np.exp((mu - 1) * 700) * 8 * S.light_int)[..., None] * S.atm.t_sun
        if S.night:
            col = col + night_sky(S, el, az, mu)
    col = clouds(S, el, az, col)
    return col


def night_sky(S, el, az, mu):
    """Stars and the moon: a small disk with a soft halo, in units of the scene's exposure so it
    reads as a bright disk, not a blown-out glow."""
    out = np.zeros(el.shape + (3,), F32)
    u = 1.0 / S.exposure
    cosr = np.cos(np.radians(S.moon_r))
    moon = smoothstep(cosr - 0.00004, cosr + 0.00002, mu)
    # maria: darker patches on the disk
    tex = 0.85 + 0.15 * sample(bank()["mid"][0][..., None], az * 900 + 5, el * 900 + 9)[..., 0]
    out += (moon * tex * 2.6 * u)[..., None] * np.array([1.0, 0.97, 0.9], F32)
    halo = np.exp((mu - 1) * 2500) * 0.5 + np.exp((mu - 1) * 250) * 0.08
    if S.sky != "clear":
        halo = halo * 1.6  # thin cloud spreads the halo
    out += (halo * u)[..., None] * np.array([0.85, 0.9, 1.0], F32)
    if S.sky in ("clear", "scattered clouds"):
        g = nearest(bank()["grain"], az * 600 + 17, el * 600 + 3)
        star = np.clip(g - 3.0, 0, None) * 0.9 * u * np.clip(el * 8, 0, 1)
        out += star[..., None] * np.array([0.9, 0.95, 1.0], F32)
    return out


# ----------------------------------------------------------------------------------------------
# surface shading

ALBEDO = {
    "summer": ([0.07, 0.13, 0.035], [0.11, 0.16, 0.05]),
    "autumn": ([0.22, 0.14, 0.05], [0.30, 0.10, 0.03]),
    "winter": ([0.80, 0.83, 0.88], [0.75, 0.79, 0.86]),
    "desert": ([0.42, 0.28, 0.15], [0.52, 0.36, 0.2]),
}
FOREST_COL = {"summer": [0.025, 0.06, 0.025], "autumn": [0.25, 0.09, 0.02],
              "winter": [0.035, 0.055, 0.04], "desert": [0.06, 0.08, 0.03]}


def shade(S, px, pz, dist, foot):
    """Radiance of terrain points (before haze). px, pz world metres; dist to the eye; foot:
    metres per pixel there (fades detail that the pixel cannot resolve)."""
    b = bank()
    s = sample(S.grid, px / S.cs, pz / S.cs)
    h, gx, gz, shadow, cav, forest = (s[..., k] for k in range(6))
    # ground detail: grain at ~1 m and ~6 m, faded with the pixel footprint
    d1 = sample(b["hi"][1][..., None], px / 1.1, pz / 1.1)[..., 0]
    d2 = sample(b["hi"][0][..., None], px / 5.0, pz / 5.0)[..., 0]
    f1 = np.clip(1.5 - foot / 0.6, 0, 1)
    f2 = np.clip(1.5 - foot / 4.0, 0, 1)
    k_tex = 0.35 if S.terrain == "dunes" else 1.0   # sand is even-coloured; its relief shows
    tex = 1 + (0.22 * d1 * f1 + 0.2 * d2 * f2) * k_tex
    # detail normals (bumps) on top of the grid's gradient
    dgx = (sample(b["hi"][1][..., None], px / 3.0 + 0.5, pz / 3.0)[..., 0] - d2) * 0.25 * f2
    gxx = gx + dgx
    gzz = gz + (d1 - d2) * 0.1 * f1
    # fine detail that only near pixels resolve: clumps and stones (~1 m), and blades (a few cm
    # across, long along the view so that they stand up in the picture)
    u = (px - S.cam[0]) * S.fwd[0] + (pz - S.cam[1]) * S.fwd[1]
    v = (px - S.cam[0]) * S.right[0] + (pz - S.cam[1]) * S.right[1]
    fb = np.clip(1.5 - foot / 0.06, 0, 1)
    fc = np.clip(1.5 - foot / 0.25, 0, 1)
    blade = sample(b["grain"][..., None], v / 0.025, u / 0.12)[..., 0] * fb
    clump = sample(b["hi"][1][..., None], px / 0.25, pz / 0.25)[..., 0] * fc
    clump2 = sample(b["hi"][1][..., None], px / 0.25 + 0.3, pz / 0.25)[..., 0] * fc
    # a step between the clumps and the 5 m grain (patches of a couple of metres)
    fm = np.clip(1.5 - foot / 0.6, 0, 1)
    clump = clump + sample(b["hi"][0][..., None], px / 0.55 + 3.0, pz / 0.55)[..., 0] * fm * 0.3
    # tree crowns: normals from the crown field, dark gaps between crowns
    cn = S.crown[..., None]
    c0 = sample(cn, px / S.tcell, pz / S.tcell)[..., 0]
    c1 = sample(cn, px / S.tcell + 0.35, pz / S.tcell)[..., 0]
    c2 = sample(cn, px / S.tcell, pz / S.tcell + 0.35)[..., 0]
    fclose = np.clip(1.5 - foot / 1.5, 0, 1)
    tree = np.clip(forest * 1.5, 0, 1)
    amp = 11.0 if S.conifer else 6.0
    k = amp / (0.35 * S.tcell) * fclose * tree
    gxx = gxx * (1 - tree) + (c1 - c0) * k
    gzz = gzz * (1 - tree) + (c2 - c0) * k
    # leaf clumps: fine noise inside the crowns
    leaf = sample(b["hi"][1][..., None], px / 0.25, pz / 0.25)[..., 0] * np.clip(1.5 - foot / 0.15, 0, 1)
    slope_ny = 1 / np.sqrt(1 + gx * gx + gz * gz)
    lo, hi = S.relief
    alt = (h - lo) / (hi - lo + 1e-3)

    # albedo: grass/soil by season, rock on steep ground, snow by altitude and slope, forest
    a0, a1 = (np.array(x, F32) for x in ALBEDO[S.season])
    mix = smoothstep(-1, 1, d2 + sample(b["mid"][1][..., None], px / 60, pz / 60)[..., 0] * 1.5)
    alb = a0 + (a1 - a0) * mix[..., None]
    if S.terrain == "dunes" or S.season == "desert":
        sand = np.array([0.46, 0.29, 0.15], F32) if S.terrain == "dunes" else np.array([0.44, 0.31, 0.19], F32)
        alb = sand * (1 + 0.08 * (mix[..., None] - 0.5))
    if S.terrain == "plains" and S.season in ("summer", "autumn"):
        alb = fields(S, px, pz, alb, foot)
    rockcol = np.array([0.2, 0.18, 0.16], F32) if S.season != "desert" else np.array([0.36, 0.2, 0.12], F32)
    rock = smoothstep(0.82, 0.7, slope_ny + 0.05 * d2) * (S.terrain != "dunes")
    if S.terrain == "mountains":
        rock = np.maximum(rock, smoothstep(0.45, 0.7, alt + 0.1 * d2) * (S.season != "winter"))
    alb = alb + (rockcol - alb) * rock[..., None]
    snow = np.zeros_like(h)
    if S.season == "winter":
        snow = smoothstep(0.55, 0.75, slope_ny + 0.1 * d1 * f1)
    elif S.terrain == "mountains" and S.season != "desert":
        line = {"summer": 0.72, "autumn": 0.62}[S.season] + S.snowline_jit
        snow = smoothstep(line, line + 0.06, alt + 0.05 * d2 + 0.3 * (slope_ny - 0.8)) * smoothstep(0.5, 0.65, slope_ny)
    snow = snow * (h > S.wlevel + 0.3)
    fcol = np.array(FOREST_COL[S.season], F32)
    if S.season == "autumn" and not S.conifer:
        # mixed woods: patches of orange, red, yellow and evergreen
        p = sample(b["mid"][0][..., None], px / 40, pz / 40)[..., 0] + d2 * 0.5
        fcol = np.where((p > 0.3)[..., None], np.array([0.3, 0.16, 0.02], F32),
                        np.where((p < -0.6)[..., None], np.array([0.03, 0.06, 0.025], F32), fcol))
    # tree to tree colour variation; crowns' gaps in their own shadow
    var = sample(b["hi"][0][..., None], px / (S.tcell * 1.3), pz / (S.tcell * 1.3))[..., 0]
    fcol = fcol * (1 + 0.25 * var * fclose)[..., None] * (1 + 0.3 * leaf)[..., None]
    gap = 0.35 + 0.65 * smoothstep(0.0, 0.6, c0)
    fcol = fcol * (gap * fclose + 0.7 * (1 - fclose))[..., None]
    if S.season == "winter":
        # snow caught on the upper branches, in flecks
        fleck = smoothstep(0.3, 1.2, leaf + c0 * 0.8 - 0.4) * 0.35
        fcol = fcol + (np.array([0.75, 0.78, 0.84], F32) - fcol) * fleck[..., None]
    alb = alb + (np.array([0.93, 0.94, 0.97], F32) - alb) * snow[..., None]
    snow = snow * (1 - tree)
    alb = alb + (fcol - alb) * tree[..., None]
    if S.water != "none":
        # wet dark band and sand at the shore
        # a narrow beach (sea) or a strip of wet mud and stones (lake, river), its edge broken
        # by noise, darker right at the waterline
        dw = h - S.wlevel + (d1 * 0.35 + d2 * 0.25) * (1.0 if S.water == "sea" else 0.5)
        width = 1.6 if S.water == "sea" else 0.7
        shore = smoothstep(width, 0.15, dw) * (1 - tree)
        sandc = np.array([0.42, 0.36, 0.26], F32) if S.water == "sea" else np.array([0.13, 0.11, 0.08], F32)
        sandc = sandc * (1 - 0.45 * smoothstep(0.5, 0.05, dw))[..., None]
        alb = alb + (sandc - alb) * (shore * (1 - snow * 0.5))[..., None]
    # how much fine texture each material shows: grass most, then rock, sand, snow least
    bare = S.terrain == "dunes" or S.season == "desert"
    m_fine = (0.15 if bare else 0.55) * (1 - snow * 0.8) * (1 - tree) + rock * 0.3
    tex = tex + (0.6 * blade * (not bare) * (1 - rock) + 0.35 * clump) * m_fine
    if bare:
        # wind ripples on sand, bent by the larger grain
        rip = np.sin((u * 0.8 + v * 0.6) / 0.09 + d1 * 4 + d2 * 3) * np.clip(1.5 - foot / 0.04, 0, 1)
        tex = tex + 0.08 * rip * (1 - rock)
        gxx = gxx + 0.12 * rip * S.fwd[0]
        gzz = gzz + 0.12 * rip * S.fwd[1]
    gxx = gxx + (clump2 - clump) * 1.2 * m_fine
    if S.weather == "rain":
        alb = alb * 0.62  # wet ground
    alb = alb * np.clip(tex, 0.2, None)[..., None]
    inv = 1 / np.sqrt(1 + gxx * gxx + gzz * gzz)
    nx, ny, nz = -gxx * inv, inv, -gzz * inv

    # light: sun with terrain and cloud shadows, sky dome scaled by the cavity, warm bounce
    ndl = np.clip(nx * S.Ldir[0] + ny * S.Ldir[1] + nz * S.Ldir[2], 0, None)
    csh = cloud_shadow(S, px, pz) if S.sky == "scattered clouds" else 1.0
    direct = (ndl * shadow * csh)[..., None] * S.sun_col
    skyl = ((0.55 + 0.45 * ny) * (0.55 + 0.45 * cav))[..., None] * S.ambient
    bounce = ((1 - ny) * 0.15)[..., None] * S.sun_col * max(np.sin(S.light_el), 0) * 0.3
    return alb * (direct + skyl + bounce), h


def fields(S, px, pz, alb, foot):
    """Patchwork farmland: rotated rectangular fields with their own crop colour and furrows."""
    ca, sa = np.cos(S.field_ang), np.sin(S.field_ang)
    u = px * ca + pz * sa
    v = -px * sa + pz * ca
    fu, fv = np.floor(u / S.field_w), np.floor(v / S.field_h)
    hsh = np.sin(fu * 12.9898 + fv * 78.233) * 43758.5453
    hsh = hsh - np.floor(hsh)
    crops = np.array([[0.09, 0.15, 0.04], [0.28, 0.22, 0.08], [0.14, 0.18, 0.05], [0.2, 0.13, 0.07],
                      [0.32, 0.27, 0.1]], F32)
    if S.season == "autumn":
        crops = np.array([[0.3, 0.2, 0.08], [0.24, 0.14, 0.07], [0.13, 0.14, 0.05], [0.34, 0.26, 0.1],
                          [0.16, 0.1, 0.05]], F32)
    col = crops[(hsh * len(crops)).astype(np.int32) % len(crops)]
    furrow = 1 + 0.15 * np.sin(u * 2.0) * np.clip(1.5 - foot / 0.4, 0, 1)[..., None][..., 0]
    col = col * furrow[..., None]
    keep = (hsh > 0.85)[..., None]  # some meadows keep the grass
    return np.where(keep, alb, col)


def cloud_shadow(S, px, pz):
    # the cloud at the point's light ray through the cloud layer
    t = (S.cloud_h - 0) / max(np.tan(S.light_el), 0.1)
    d = cloud_density(S, px + t, pz)
    thr = 1.3 - S.cover * 1.2
    return 1 - 0.75 * smoothstep(thr, thr + 0.9, d)


def aerial(S, col, dist, az, el_pt, h_pt):
    """Extinction and in-scattering along the path; denser near the ground."""
    k = np.exp(-np.clip(h_pt - S.wlevel * (S.wlevel > -1e8), 0, None) / 2500.0) * 0.5 + 0.5
    k = np.where(np.abs(np.sin(el_pt)) > 1e-3, k, 1.0)
    T = np.exp(-(S.beta[None] * (dist * k)[..., None]))
    return col * T + S.haze(az) * (1 - T)


# ----------------------------------------------------------------------------------------------

def render_scene(S):
    rng = S.rng
    S.snowline_jit = rng.uniform(-0.08, 0.08)
    S.field_ang = rng.uniform(0, np.pi)
    S.field_w, S.field_h = rng.uniform(60, 200), rng.uniform(30, 120)
    raycast(S)
    light_setup(S)
    W, H = S.width, S.height
    cols = np.arange(W)
    az_col = np.arctan2(S.dirz, S.dirx).astype(F32)            # azimuth from the light (+x)
    az = np.broadcast_to(az_col[None, :], (H, W))
    slope = S.slope
    el = np.arctan(-slope / np.sqrt(1 + S.xc[None, :] ** 2)).astype(F32)
    haze_tab = haze_color(S, np.linspace(-np.pi, np.pi, 64).astype(F32))

    def haze(a):
        t = (a + np.pi) / (2 * np.pi) * 63
        i = np.clip(t.astype(np.int32), 0, 62)
        f = (t - i)[..., None]
        return haze_tab[i] * (1 - f) + haze_tab[i + 1] * f
    S.haze = haze

    img = np.zeros((H, W, 3), F32)
    sky = S.sky_mask
    img[sky] = sky_radiance(S, el[sky], az[sky])

    ground = ~sky
    z = S.zhit[ground]
    sl = slope[ground]
    cc = np.broadcast_to(cols[None, :], (H, W))[ground]
    px = S.cam[0] + S.dirx[cc] * z
    pz = S.cam[1] + S.dirz[cc] * z
    dist = z * np.sqrt(1 + S.xc[cc] ** 2 + sl * sl)
    foot = dist / S.f
    hpt = S.H - sl * z
    water = np.zeros(z.shape, bool)
    if S.water != "none":
        th = sample(S.grid[..., :1], px / S.cs, pz / S.cs)[..., 0]
        water = ((th < S.wlevel + 0.05) | open_sea(S, z, S.xc[cc])) & (sl > 0)
    col = np.zeros(z.shape + (3,), F32)
    land = ~water
    c, hl = shade(S, px[land], pz[land], dist[land], foot[land])
    col[land] = c
    if water.any():
        col[water] = shade_water(S, px[water], pz[water], z[water], sl[water], cc[water], dist[water])
    col = aerial(S, col, dist, az[ground], el[ground], hpt)
    img[ground] = col
    img = weather(S, img, el, az)
    return finish(S, img)


def shade_water(S, px, pz, z, sl, cc, dist):
    """Water: Fresnel mix of the reflected scene and the water body, with ripples and glints."""
    b = bank()
    rng = S.rng
    w = S.wlevel
    z = (S.H - w) / np.maximum(sl, 1e-4)  # exact plane hit
    px = S.cam[0] + S.dirx[cc] * z
    pz = S.cam[1] + S.dirz[cc] * z
    foot = z / S.f
    wind = {"lake": 0.5, "river": 0.8, "sea": 1.6}[S.water] * rng.uniform(0.5, 1.5)
    if S.sky == "storm" or S.weather == "rain":
        wind *= 2.0
    # ripple slopes: elongated across the view, finer near the camera
    # in the camera's ground frame, so the long axis of the ripples faces the viewer
    u = (px - S.cam[0]) * S.fwd[0] + (pz - S.cam[1]) * S.fwd[1]
    v = (px - S.cam[0]) * S.right[0] + (pz - S.cam[1]) * S.right[1]
    # two scales (swell and wind ripples), each faded out where a pixel would alias it
    hb = np.stack([b["hi"][0], b["hi"][1]], -1)
    sw = sample(hb, v / 9.0, u / 3.0)
    rp = sample(hb, v / 1.6 + 7.0, u / 0.5 + 3.0)
    f_sw = np.clip(1.6 - foot / 2.0, 0.15, 1)[..., None]
    f_rp = np.clip(1.6 - foot / 0.3, 0.0, 1)[..., None]
    rip = sw * f_sw * 0.8 + rp * f_rp * 0.6
    rx, rz = rip[..., 0], rip[..., 1]
    nxr, nzr = rx * 0.03 * wind, rz * 0.03 * wind
    # reflected ray: the camera's ray slope with the surface tilt; mirrored camera search
    # the tilt scales the reflected ray's slope rather than adding to it: near the horizon an
    # added tilt flips rays between the far shore and the sky in blocks; scaled, the reflection
    # is distorted smoothly
    s_ref = sl * np.exp(np.clip(nzr * 2.0 / np.maximum(sl, 0.02), -0.8, 0.8))
    ccr = np.clip(cc + np.round(nxr * S.f * 0.1).astype(np.int64), 0, S.width - 1)
    refl = reflection(S, s_ref, ccr, z)
    # Fresnel (Schlick, n = 1.33) on the angle to the rippled normal
    cos_t = np.clip(sl / np.sqrt(1 + sl * sl) + np.abs(nzr) * 0.5, 0, 1)
    F = 0.02 + 0.98 * (1 - cos_t) ** 5
    # body: dark blue-green water, or the bottom showing through where it is shallow
    th = sample(S.grid[..., :1], px / S.cs, pz / S.cs)[..., 0]
    depth = np.where(open_sea(S, z, S.xc[cc]), 15.0, np.clip(w - th, 0, None))
    body = np.array([0.004, 0.012, 0.016], F32) if S.water != "sea" else np.array([0.003, 0.016, 0.03], F32)
    body = body * (S.ambient + S.sun_col * max(np.sin(S.light_el), 0) * 0.3) * 4
    path = depth * (1 + 1 / np.maximum(sl, 0.05))
    see = np.exp(-path / 1.5)[..., None]
    bottom = np.array([0.16, 0.14, 0.1], F32) * (S.ambient + S.sun_col * max(np.sin(S.light_el), 0)) * 0.6
    body = body * (1 - see) + bottom * see
    col = refl * F[..., None] + body * (1 - F[..., None])
    if S.water == "sea":
        # foam where waves break on the shore
        # lines of foam along the shore where waves break, broken up by noise
        nz_ = sample(b["hi"][1][..., None], px / 2.0, pz / 2.0)[..., 0]
        wave = np.sin(depth * 7.0 + nz_ * 1.5 + S.foam_phase)
        foam = smoothstep(0.75, 0.98, wave) * smoothstep(1.2, 0.2, depth) * smoothstep(-0.6, 0.4, nz_)
        foam = np.maximum(foam, smoothstep(0.12, 0.0, depth) * 0.6)
        col = col + (foam[..., None] * (S.ambient + S.sun_col * max(np.sin(S.light_el), 0.1)) * 0.35)
    return col


def reflection(S, s_ref, cc, zw):
    """Reflected radiance for water pixels: search each column again from the camera mirrored
    in the water plane (rising rays), from the first water sample on; sky where nothing is hit."""
    W = S.width
    w = S.wlevel
    Hm = 2 * w - S.H
    z = S.z
    hr = S.hraw_cols
    valid = hr > w
    # the reflected ray starts at the water point: find, per pixel, the first sample beyond it
    # whose angle from the mirrored camera reaches the ray's slope, with a sparse table of
    # range maxima (descending powers of two skip blocks that stay below the slope)
    a = np.where(valid, (hr - Hm) / z[None, :], -1.0).astype(F32)
    K = int(np.ceil(np.log2(D)))
    Dp = D + 2 ** K
    levels = [np.concatenate([a, np.full((W, Dp - D), -1.0, F32)], 1)]
    for k in range(1, K + 1):
        prev = levels[-1]
        step = 2 ** (k - 1)
        levels.append(np.maximum(prev, np.concatenate([prev[:, step:], np.full((W, step), -1.0, F32)], 1)))
    idx = np.searchsorted(z, zw).astype(np.int64)
    for k in range(K, -1, -1):
        m = levels[k][cc, np.minimum(idx, Dp - 1)]
        idx = np.where((m < s_ref) & (idx < D), idx + 2 ** k, idx)
    hit = idx < D
    out = np.zeros(s_ref.shape + (3,), F32)
    # sky in the mirrored direction
    xc = S.xc[cc]
    el = np.arctan(s_ref / np.sqrt(1 + xc * xc))
    az = np.arctan2(S.dirz[cc], S.dirx[cc])
    miss = ~hit
    if miss.any():
        # reflected clouds without their finest grain: near the horizon a small change of the
        # rippled ray moves far across the cloud layer, and the grain would alias into blocks
        S.soft_clouds = True
        out[miss] = sky_radiance(S, el[miss], az[miss]) * 0.97
        S.soft_clouds = False
    if hit.any():
        i = np.clip(idx[hit], 1, D - 1)
        c = cc[hit]
        s = s_ref[hit]
        za, zb = z[i - 1], z[i]
        ha, hb = hr[c, i - 1], hr[c, i]
        t = np.clip((Hm + s * za - ha) / ((hb - ha) - s * (zb - za) - 1e-6), 0, 1)
        zr = za + t * (zb - za)
        px = S.cam[0] + S.dirx[c] * zr
        pz = S.cam[1] + S.dirz[c] * zr
        dist = zr * np.sqrt(1 + S.xc[c] ** 2 + s * s)
        col, hpt = shade(S, px, pz, dist, dist / S.f * 2)
        out[hit] = aerial(S, col, dist, az[hit], el[hit], Hm + s * zr)
    return out


def weather(S, img, el, az):
    rng = S.rng
    b = bank()
    H, W = S.height, S.width
    if S.weather == "fog" or (S.time in ("dawn", "sunrise", "morning") and rng.random() < 0.25):
        # valley mist: exponential height fog, integrated along each ray
        dens = 0.45 if S.weather == "fog" else 0.2
        base = S.relief[0] + (S.relief[1] - S.relief[0]) * rng.uniform(0.05, 0.25)
        base = max(base, S.wlevel if S.wlevel > -1e8 else base)
        Hf = max((S.relief[1] - S.relief[0]) * 0.08, 8.0)
        dist = np.where(S.sky_mask, 30e3, S.zhit * np.sqrt(1 + S.slope ** 2))
        dy = np.where(S.sky_mask, np.maximum(np.sin(el), 0.01), -S.slope / np.sqrt(1 + S.slope ** 2))
        k = 1 / Hf
        y0 = S.H - base
        x = np.clip(k * dy * dist, -40, 40)
        d0 = np.exp(np.clip(-k * y0, -40, 40))                 # density at the eye
        d1 = np.exp(np.clip(-k * y0 - x, -40, 40))             # density at the end of the ray
        small = np.abs(x) < 1e-3
        integ = np.where(small, dist * d0, dist * (d0 - d1) / np.where(small, 1, x))
        tau = np.clip(dens * 1.2e-3 * integ, 0, 12)
        # mist is white-grey lit by the sky; only toward a low sun does it take the sun's tint
        hz = S.haze(az)
        lum = np.mean(hz, -1, keepdims=True)
        toward = (np.clip(np.cos(az), 0, 1) ** 4 * 0.5)[..., None]
        fcol = (lum * (1 - toward) + hz * toward) * 1.0 + np.mean(S.ambient) * 0.05
        T = np.exp(-tau)[..., None]
        img = img * T + fcol * (1 - T)
    if S.weather == "rain":
        st = b["streak"]
        o = rng.integers(G, size=2)
        streaks = window(st, o, H, W)
        streaks2 = window(st, o[::-1], G, G)[::2, ::2]
        streaks2 = window(np.repeat(np.repeat(streaks2, 2, 0), 2, 1), (0, 0), H, W)
        # faint streaks, mostly seen against darker ground and sky
        amt = (streaks * 0.035 + streaks2 * 0.025)[..., None]
        img = img * (1 - amt) + (S.ambient * 0.6 + 0.02 * S.light_int)[None, None] * amt
    if S.weather == "snowfall":
        flakes = np.zeros((H, W), F32)
        for size, dens in ((1, 0.994), (2, 0.997), (3, 0.9985)):
            g = rng.random((H // size + 1, W // size + 1)) > dens
            flakes = np.maximum(flakes, np.repeat(np.repeat(g, size, 0), size, 1)[:H, :W] * (0.5 + 0.2 * size))
        flakes = np.clip(flakes, 0, 1)[..., None]
        img = img * (1 - flakes * 0.8) + (S.ambient * 0.45 + S.sun_col * 0.05) * flakes * 0.8
    return img


def finish(S, img):
    """Exposure from the scene's illuminance, bloom, filmic curve, grain, 8-bit."""
    rng = S.rng
    exposure = S.exposure
    x = img * F32(exposure)
    # bloom: the glow of very bright parts (the sun, its glints)
    bright = np.clip(x - 2.5, 0, 8)
    if bright.max() > 0:
        # a round glow: two box blurs at quarter size approximate a Gaussian
        small = bright.reshape(S.height // 4, 4, S.width // 4, 4, 3).mean(axis=(1, 3))
        small = box_blur_img(box_blur_img(small, 3), 3).astype(F32)
        x = x + np.stack([np.asarray(Image.fromarray(small[..., c], mode="F").resize((S.width, S.height), Image.BILINEAR))
                          for c in range(3)], -1) * 0.5
    x = np.minimum(x, 60)
    # filmic curve (ACES fit) then sRGB
    y = (x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14)
    y = np.clip(y, 0, 1)
    y = np.where(y <= 0.0031308, 12.92 * y, 1.055 * np.power(y, 1 / 2.4) - 0.055)
    # soft vignette and film grain
    ry = np.linspace(-1, 1, S.height, dtype=F32) * F32(S.height / S.side)
    rx = np.linspace(-1, 1, S.width, dtype=F32) * F32(S.width / S.side)
    vig = 1 - 0.12 * (ry[:, None] ** 2 + rx[None, :] ** 2)
    o = rng.integers(G, size=2)
    grain = window(bank()["grain"], o, S.height, S.width)
    y = y * vig[..., None] + grain[..., None] * 0.008
    return (np.clip(y, 0, 1) * 255 + 0.5).astype(np.uint8)


def window(a, o, h, w):
    """An h x w window of the periodic field `a` rolled by o: np.roll(a, o)[:h, :w], for frames
    larger than the field too."""
    return a[(np.arange(h) - o[0]) % a.shape[0]][:, (np.arange(w) - o[1]) % a.shape[1]]


def box_blur_img(a, r):
    # edge-padded (a wrap-around would carry a bright foreground into the sky)
    a = np.pad(a, ((r, r), (r, r), (0, 0)), mode="edge")
    c = np.cumsum(np.pad(a, ((1, 0), (0, 0), (0, 0))), 0)
    a = (c[2 * r + 1:] - c[:-2 * r - 1]) / (2 * r + 1)
    c = np.cumsum(np.pad(a, ((0, 0), (1, 0), (0, 0))), 1)
    return (c[:, 2 * r + 1:] - c[:, :-2 * r - 1]) / (2 * r + 1)


def classify_view(S):
    """The composition the camera actually gives."""
    if S.view == "close to the shore" and S.water == "none":
        return "low viewpoint"
    if S.eye > 80 and S.pitch < np.radians(-3):
        return "from a high viewpoint"
    if S.view == "close to the shore":
        return S.view
    if np.degrees(2 * np.arctan(S.side / 2 / S.f)) >= 66:
        return "wide view"
    return "low viewpoint" if S.eye < 30 else S.view


def render(seed, attrs=None, frame=(OUT, OUT)):
    """Render one scene in a frame of (width, height) pixels, each a multiple of 4. Returns
    (uint8 image height x width x 3, attribute vector int8[7])."""
    S = setup(seed, attrs)
    S.width, S.height = frame
    S.side = float(np.sqrt(S.width * S.height))
    place_camera(S)
    build_world(S)
    camera_height(S)
    img = render_scene(S)
    a = S.attrs.copy()
    a[6] = VIEWS.index(classify_view(S))
    return img, a


# ----------------------------------------------------------------------------------------------

def render_many(seeds, out_prefix, log_every=2000, workers=1, frame=(OUT, OUT)):
    render2d.render_many(seeds, out_prefix, log_every, workers, render_fn=functools.partial(render, frame=frame),
                         size=frame, attributes=len(ATTRS), chunksize=16)


def names(a):
    return [ATTRS[k][1][a[k]] for k in range(len(a))]


def grid(path, seed0, n=64):
    tiles, rows = [], []
    for i in range(n):
        im, a = render(seed0 + i)
        tiles.append(im)
        print(i, names(a), flush=True)
    per = 8
    for r in range(0, n, per):
        rows.append(np.concatenate(tiles[r:r + per], axis=1))
    Image.fromarray(np.concatenate(rows, axis=0)).save(path)


SHEET = [  # (time, sky, terrain, water, season, weather, view)
    ("golden hour", "clear", "mountains", "lake", "summer", "none", "low viewpoint"),
    ("sunset", "scattered clouds", "coast", "sea", "summer", "none", "close to the shore"),
    ("midday", "clear", "dunes", "none", "desert", "none", "wide view"),
    ("dawn", "clear", "forest", "lake", "autumn", "fog", "from a high viewpoint"),
    ("morning", "scattered clouds", "hills", "river", "summer", "none", "from a high viewpoint"),
    ("night", "clear", "mountains", "lake", "winter", "none", "low viewpoint"),
    ("midday", "overcast", "plains", "none", "autumn", "none", "wide view"),
    ("dusk", "clear", "coast", "sea", "winter", "none", "wide view"),
    ("sunrise", "scattered clouds", "mountains", "none", "autumn", "fog", "from a high viewpoint"),
    ("morning", "storm", "hills", "lake", "summer", "rain", "low viewpoint"),
    ("midday", "overcast", "forest", "river", "winter", "snowfall", "low viewpoint"),
    ("golden hour", "scattered clouds", "plains", "river", "summer", "none", "wide view"),
]


def sheet(path, seed0=7):
    """Old renderer (top of each pair) and new one (below) on the same attributes and captions."""
    import render as old
    from captions import attribute_prompt
    from PIL import ImageDraw
    cols = 6
    tile = OUT
    cap_h = 30
    groups = (len(SHEET) + cols - 1) // cols
    canvas = Image.new("RGB", (cols * tile, groups * (2 * tile + cap_h)), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for k, names7 in enumerate(SHEET):
        a7 = np.array([ATTRS[j][1].index(v) for j, v in enumerate(names7)], np.int8)
        im_old, _ = old.render(seed0 + k, a7[:6])
        im_new, a = render(seed0 + k, a7)
        text = attribute_prompt(a)
        print(k, text, flush=True)
        gx, gy = (k % cols) * tile, (k // cols) * (2 * tile + cap_h)
        canvas.paste(Image.fromarray(im_old).resize((tile, tile), Image.BICUBIC), (gx, gy))
        canvas.paste(Image.fromarray(im_new), (gx, gy + tile))
        words = text.split(" ")
        lines, cur = [], ""
        for wd in words:
            if len(cur) + len(wd) > 40:
                lines.append(cur)
                cur = wd
            else:
                cur = (cur + " " + wd).strip()
        lines.append(cur)
        for li, line in enumerate(lines[:3]):
            draw.text((gx + 3, gy + 2 * tile + 1 + li * 9), line, fill=(0, 0, 0))
    canvas.save(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/training/runs/data3d/train")
    ap.add_argument("--count", type=int, default=50000)
    ap.add_argument("--seed0", type=int, default=0)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--grid", help="write a PNG grid of the first 64 scenes here and exit")
    ap.add_argument("--sheet", help="write a contact sheet (old renderer above, new below) and exit")
    ap.add_argument("--frame", default=f"{OUT}x{OUT}", help="WIDTHxHEIGHT of the renders (multiples of 4)")
    ap.add_argument("--bench", type=int, metavar="N",
                    help="render N scenes in each of FRAMES on --workers processes, print scenes/s, exit")
    args = ap.parse_args()
    frame = tuple(int(v) for v in args.frame.split("x"))
    if args.bench:
        bench(args.bench, args.seed0, args.workers)
        return
    if args.grid:
        grid(args.grid, args.seed0)
        return
    if args.sheet:
        sheet(args.sheet)
        return
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    render_many(np.arange(args.seed0, args.seed0 + args.count), args.out, workers=args.workers, frame=frame)


def bench(n, seed0, workers):
    import tempfile
    import time
    print(f"| frame | scenes | processes | s | scenes/s |\n|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for w, h in FRAMES:
            t0 = time.time()
            render_many(np.arange(seed0, seed0 + n), os.path.join(tmp, f"{w}x{h}"), log_every=n + 1,
                        workers=workers, frame=(w, h))
            dt = time.time() - t0
            print(f"| {w}×{h} | {n} | {workers} | {dt:.1f} | {n / dt:.1f} |", flush=True)


if __name__ == "__main__":
    main()
