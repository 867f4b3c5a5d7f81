"""Procedural surfaces drawn around a photographed sheet: wood desk, laminate, cloth, clipboard.

Nothing is downloaded: each surface is a few layers of value noise and sinusoids. They are drawn
at a quarter (cloth: half) resolution and upsampled -- a surface behind the sheet is out of the
focal plane anyway, and drawing it was the costliest part of the perspective step.
"""

from __future__ import annotations

import cv2
import numpy as np

from augment.ops import smooth_noise

SURFACES = ("wood", "laminate", "cloth", "clipboard")


def _aniso_noise(rng: np.random.Generator, h: int, w: int, cell_y: float, cell_x: float):
    gh, gw = max(2, int(h / cell_y) + 2), max(2, int(w / cell_x) + 2)
    g = rng.standard_normal((gh, gw)).astype(np.float32)
    out = cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC)
    return out / max(float(out.std()), 1e-6)


def _wood(rng, h, w, color):
    period = rng.uniform(5, 11)
    warp = _aniso_noise(rng, h, w, h / 6, w / 1.5) * rng.uniform(2.0, 5.0)
    y = np.arange(h, dtype=np.float32)[:, None]
    rings = np.sin(2 * np.pi * (y / period + warp))
    fibre = _aniso_noise(rng, h, w, 2.0, 60.0)
    blotch = smooth_noise(rng, h, w, max(h, w) / 4)
    v = 1.0 + 0.10 * rings + 0.04 * fibre + 0.06 * blotch
    return v[..., None] * np.asarray(color, np.float32)


def _laminate(rng, h, w, color):
    v = 1.0 + 0.015 * rng.standard_normal((h, w), dtype=np.float32)
    v += 0.03 * smooth_noise(rng, h, w, max(h, w) / 3)
    return v[..., None] * np.asarray(color, np.float32)


def _cloth(rng, h, w, color):
    p = rng.uniform(2.5, 5.0)
    x = np.arange(w, dtype=np.float32)[None, :]
    y = np.arange(h, dtype=np.float32)[:, None]
    weave = np.sin(2 * np.pi * x / p) * np.sin(2 * np.pi * y / p)
    folds = smooth_noise(rng, h, w, max(h, w) / 5)
    v = 1.0 + 0.06 * weave + 0.12 * folds + 0.03 * rng.standard_normal((h, w), dtype=np.float32)
    return v[..., None] * np.asarray(color, np.float32)


def _clipboard(rng, h, w, color):
    speck = rng.standard_normal((h, w), dtype=np.float32)
    speck = cv2.GaussianBlur(speck, (0, 0), 0.8)
    v = 1.0 + 0.05 * speck + 0.04 * smooth_noise(rng, h, w, max(h, w) / 4)
    return v[..., None] * np.asarray(color, np.float32)


_DRAW = {"wood": _wood, "laminate": _laminate, "cloth": _cloth, "clipboard": _clipboard}


def surface(kind: str, seed: int, width: int, height: int, color) -> np.ndarray:
    """A (height, width, 3) uint8 RGB surface of ``kind`` (see :data:`SURFACES`)."""
    if kind not in _DRAW:
        raise ValueError(f"unknown surface {kind!r}; known: {', '.join(SURFACES)}")
    rng = np.random.default_rng(seed)
    # Cloth keeps its weave at half resolution; the others have no detail worth a finer grid.
    f = 2 if kind == "cloth" else 4
    h2, w2 = max(2, height // f), max(2, width // f)
    img = _DRAW[kind](rng, h2, w2, color)
    img = np.clip(img, 0, 255).astype(np.uint8)
    return cv2.resize(img, (int(width), int(height)), interpolation=cv2.INTER_LINEAR)


def draw_clip(image: np.ndarray, top_mid, angle_deg: float, width_px: float) -> np.ndarray:
    """A clipboard's metal clip centred on ``top_mid`` (x, y), rotated like the sheet's top edge."""
    out = image.copy()
    w, h = width_px, width_px * 0.28
    cx, cy = top_mid
    rect = ((float(cx), float(cy)), (float(w), float(h)), float(angle_deg))
    box = cv2.boxPoints(rect).astype(np.int32)
    shadow = cv2.boxPoints(((cx + h * 0.15, cy + h * 0.25), (w, h), angle_deg)).astype(np.int32)
    overlay = out.copy()
    cv2.fillConvexPoly(overlay, shadow, (40, 40, 40), cv2.LINE_AA)
    out = cv2.addWeighted(overlay, 0.45, out, 0.55, 0)
    # Brushed metal: a vertical light gradient across the clip, drawn in bands.
    for k, shade in enumerate((205, 185, 165, 150, 170)):
        f0, f1 = k / 5, (k + 1) / 5
        ang = np.deg2rad(angle_deg)
        rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
        off = np.array([cx, cy]) + rot @ np.array([0.0, -h / 2 + h * (f0 + f1) / 2])
        pts = cv2.boxPoints(((off[0], off[1]), (w, h / 5 + 1), angle_deg)).astype(np.int32)
        cv2.fillConvexPoly(out, pts, (shade, shade, shade + 5), cv2.LINE_AA)
    cv2.polylines(out, [box], True, (90, 90, 95), 2, cv2.LINE_AA)
    return out
