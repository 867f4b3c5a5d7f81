"""Beat morphologies: which waves make up P, QRS and T, and where their dipoles point.

A complex (P, QRS or T) is a list of :class:`Part`: a time window given as fractions of the
complex's duration, the position of its peak inside that window, and a 3-D vector (mV) in the
base orientation (x = left, y = inferior, z = anterior; see :mod:`.waves`). Parts overlap, so
the dipole never returns to zero inside a complex, and the first part starts at 0 and the last
ends at 1, so the complex's duration is exactly the one drawn.

The base vectors follow the textbook activation sequence: septal forces rightward-anterior
(q in I/V6, r in V1), apical/anterior then lateral left-ventricular forces (R growing from V2 to
V5), terminal basal forces posterior-superior (s in V6); RBBB adds a slow right-anterior
terminal force (R' in V1, broad S in I/V6); LBBB removes the septal force and spreads the
left-ventricular forces in two humps (notched broad R in I/aVL/V6, QS in V1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from ecginstruct.synthetic.waves import (
    LEAD_VECTORS,
    add_wave,
    axis_angle_rotation,
    profile,
    rotation,
)

LEAD_I, LEAD_AVF = LEAD_VECTORS[0], LEAD_VECTORS[5]


@dataclass(frozen=True)
class Part:
    start: float  # fraction of the complex's duration
    end: float
    peak: float  # fraction of the part's own length
    vector: tuple[float, float, float]  # mV, base orientation
    tilt: float = 1.0  # how much of the heart's tilt this force follows (see tilted)


def _v(x: float, y: float, z: float, amp: float) -> tuple[float, float, float]:
    n = float(np.sqrt(x * x + y * y + z * z))
    return (amp * x / n, amp * y / n, amp * z / n)


# ---- atria: right atrium first (inferior, anterior), then left atrium (left, posterior) ----
P_PARTS = (
    Part(0.0, 0.62, 0.5, _v(0.15, 0.85, 0.45, 0.13)),
    Part(0.30, 1.0, 0.5, _v(0.75, 0.55, -0.35, 0.12)),
)

# ---- ventricles, normal conduction ----
NORMAL_QRS = (
    Part(0.0, 0.32, 0.5, _v(-0.45, 0.10, 0.75, 0.17), 0.1),  # septum, left to right
    Part(0.16, 0.62, 0.5, _v(0.45, 0.75, 0.30, 0.80), 0.25),  # apex and anterior wall
    Part(0.34, 0.84, 0.5, _v(0.75, 0.25, -0.70, 1.15)),  # lateral left-ventricular wall
    Part(0.66, 1.0, 0.45, _v(-0.35, -0.55, -0.65, 0.35), 0.6),  # basal, posterior-superior
)

# RBBB: the left-sided activation runs normally in the first ~60 %; the right ventricle is
# then activated slowly through muscle, giving a broad terminal right-anterior force.
RBBB_QRS = (
    Part(0.0, 0.22, 0.5, _v(-0.45, 0.10, 0.75, 0.17), 0.1),
    Part(0.10, 0.42, 0.5, _v(0.45, 0.75, 0.30, 0.75), 0.25),
    Part(0.22, 0.58, 0.5, _v(0.75, 0.25, -0.70, 1.10)),
    Part(0.40, 1.0, 0.6, _v(-0.55, 0.0, 0.85, 0.55), 0.3),  # slow right-ventricular activation
)

# LBBB: septum activated right to left (no septal q in I/V6), then a slow, two-humped sweep of
# the left ventricle leftward and posterior.
LBBB_QRS = (
    Part(0.0, 0.20, 0.5, _v(0.30, 0.10, 0.55, 0.15), 0.3),  # small, leftward-anterior
    Part(0.08, 0.68, 0.45, _v(0.80, 0.20, -0.25, 0.95)),
    Part(0.36, 1.0, 0.50, _v(0.80, 0.15, -0.50, 1.25)),
)

# T waves (single part; peak late in the window = slow rise, faster fall).
NORMAL_T = _v(0.60, 0.45, 0.30, 0.34)
# Secondary T changes: opposite to the delayed terminal force of the bundle branch block.
RBBB_T = _v(0.70, 0.35, -0.60, 0.30)
LBBB_T = _v(-0.55, -0.10, 0.80, 0.40)


@dataclass(frozen=True)
class Anatomy:
    """What stays the same for one patient: heart orientation and voltage gains."""

    horizontal_deg: float  # rotation towards anterior (transition shift)
    qrs_gain: float
    t_gain: float
    p_gain: float
    axis_target_deg: float  # frontal QRS axis with normal conduction


def draw_anatomy(rng: np.random.Generator) -> Anatomy:
    return Anatomy(
        horizontal_deg=float(rng.normal(-6.0, 7.0)),
        qrs_gain=float(np.clip(rng.lognormal(-0.08, 0.2), 0.55, 1.5)),
        t_gain=float(np.clip(rng.lognormal(0.0, 0.2), 0.6, 1.6)),
        p_gain=float(np.clip(rng.lognormal(0.0, 0.15), 0.75, 1.5)),
        axis_target_deg=float(np.clip(rng.normal(45.0, 22.0), -20.0, 75.0)),
    )


def jitter(rng: np.random.Generator, parts, gain: float, spread_deg: float = 6.0):
    """Per-record variation: each part's vector scaled by ``gain`` times ~10 % and turned by a
    few degrees."""
    out = []
    for p in parts:
        r = rotation(rng.normal(0.0, spread_deg), rng.normal(0.0, spread_deg))
        v = r @ np.asarray(p.vector) * gain * rng.uniform(0.88, 1.12)
        out.append(Part(p.start, p.end, p.peak, tuple(float(c) for c in v), p.tilt))
    return tuple(out)


def oriented(parts, rot: np.ndarray):
    return tuple(
        Part(p.start, p.end, p.peak, tuple(float(c) for c in rot @ np.asarray(p.vector)), p.tilt)
        for p in parts
    )


def part_bounds(parts, duration: int) -> list[tuple[int, int]]:
    """Whole-sample (start, length) of each part in a complex of ``duration`` samples; the first
    starts at 0, the last ends at ``duration`` and consecutive parts overlap."""
    bounds = []
    for i, p in enumerate(parts):
        a = 0 if i == 0 else int(round(p.start * duration))
        b = duration if i == len(parts) - 1 else int(round(p.end * duration))
        a = min(a, duration - 2)
        b = max(b, a + 2)
        bounds.append((a, b - a))
    return bounds


def draw_complex(template: np.ndarray, offset: int, parts, duration: int) -> None:
    """Add a complex of ``duration`` samples starting at sample ``offset`` to a (3, n) template."""
    for p, (a, n) in zip(parts, part_bounds(parts, duration)):
        add_wave(template, offset + a, n, p.peak, p.vector)


def complex_area(parts, duration: int) -> np.ndarray:
    """Net 3-D area (mV x samples) of a complex: the sum of its samples, computed exactly the
    way :func:`draw_complex` draws it."""
    t = np.zeros((3, duration + 1))
    draw_complex(t, 0, parts, duration)
    return t.sum(axis=1)


def tilt_axis(horizontal_deg: float) -> np.ndarray:
    """The horizontal axis about which the heart is tilted (made more vertical or horizontal):
    perpendicular to the vertical (y) and to the direction of the main left-ventricular force in
    the horizontal plane (left and 30 deg posterior, turned by the patient's ``horizontal_deg``).
    Tilting about it keeps where that force points in the horizontal plane, so the chest-lead
    R-wave progression survives a change of frontal axis."""
    lv = rotation(0.0, horizontal_deg) @ np.array([np.cos(np.radians(-30.0)), 0.0, -0.5])
    return np.cross(np.array([0.0, 1.0, 0.0]), lv / np.linalg.norm(lv))


def tilted(parts, k: np.ndarray, angle_deg: float):
    """Tilt a complex about ``k``: each part by ``angle_deg`` times its ``tilt`` weight. The
    lateral left-ventricular force turns fully; the septal and apical forces much less, so a
    vertical heart does not swing its apical force into V1 (V1 stays rS)."""
    return tuple(
        Part(
            p.start,
            p.end,
            p.peak,
            tuple(float(c) for c in axis_angle_rotation(k, p.tilt * angle_deg) @ p.vector),
            p.tilt,
        )
        for p in parts
    )


def solve_tilt(parts, duration: int, target_deg: float, k: np.ndarray) -> float:
    """The tilt (deg, about ``k``, see :func:`tilted`) that puts the frontal QRS axis
    ``atan2(aVF, I)`` of the complex at ``target_deg`` -- exactly (to ~1e-9 deg) when a root
    exists, else the nearest reachable axis (the measured axis is always computed afterwards).

    The area of a tilted complex is the sum over parts of the profile area s_i turned by
    w_i * angle; by Rodrigues' formula that is s cos + (k x s) sin + k (k.s)(1 - cos), so the
    axis is cheap to evaluate on a whole grid of angles at once. The root nearest to no tilt is
    bracketed on a 1-degree grid and refined with Brent's method.
    """
    sums = np.array(
        [
            profile(n, p.peak).sum() * np.asarray(p.vector)
            for p, (_, n) in zip(parts, part_bounds(parts, duration))
        ]
    )
    w = np.array([p.tilt for p in parts])
    lv = np.array([LEAD_I, LEAD_AVF])  # (2, 3)
    a = sums @ lv.T  # (parts, 2): areas in I and aVF of each part
    b = np.cross(k, sums) @ lv.T
    c = np.outer(sums @ k, k) @ lv.T

    def err(angle):
        th = np.radians(np.multiply.outer(np.atleast_1d(angle), w))[..., None]  # (g, parts, 1)
        area = (a * np.cos(th) + b * np.sin(th) + c * (1.0 - np.cos(th))).sum(axis=1)
        d = np.degrees(np.arctan2(area[:, 1], area[:, 0])) - target_deg
        return (d + 180.0) % 360.0 - 180.0

    grid = np.arange(-90.0, 90.5, 1.0)
    vals = err(grid)
    ok = (vals[:-1] * vals[1:] <= 0) & (np.abs(vals[:-1] - vals[1:]) < 180.0)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return float(grid[int(np.argmin(np.abs(vals)))])
    i = idx[np.argmin(np.minimum(np.abs(grid[idx]), np.abs(grid[idx + 1])))]
    lo, hi = float(grid[i]), float(grid[i + 1])
    if vals[i] == 0.0:
        return lo
    if vals[i + 1] == 0.0:
        return hi
    return float(brentq(lambda x: float(err(x)[0]), lo, hi, xtol=1e-12))


def pvc_complex(rng: np.random.Generator, gain: float):
    """A premature ventricular complex: two broad humps from an ectopic focus (left-ventricular
    foci give RBBB-like, right-ventricular LBBB-like shapes) and a discordant T vector."""
    if rng.random() < 0.5:  # right-ventricular outflow: leftward, inferior, posterior
        main = np.array([0.55, rng.uniform(0.3, 0.8), -0.65])
    else:  # left-ventricular focus: rightward and anterior
        main = np.array([-0.6, rng.uniform(-0.6, 0.6), 0.6])
    main = rotation(rng.normal(0, 15), rng.normal(0, 15)) @ (main / np.linalg.norm(main))
    second = rotation(rng.normal(0, 30), rng.normal(0, 30)) @ main
    amp = gain * rng.uniform(1.4, 2.2)
    parts = (
        Part(0.0, 0.62, 0.55, tuple(main * amp * rng.uniform(0.6, 0.9))),
        Part(0.35, 1.0, 0.45, tuple(second * amp)),
    )
    t_vec = tuple(-(main + second) / np.linalg.norm(main + second) * gain * rng.uniform(0.35, 0.6))
    return parts, t_vec
