"""Signal -> pixel polylines, and drawing them anti-aliased with OpenCV.

The mapping is the affine one documented on :class:`ecginstruct.types.LeadPanel`::

    x = x0_px + (t - t0_s) * px_per_s,   y = baseline_px - v * px_per_mv,   t = i / fs

One point per sample, kept as unrounded floats; OpenCV gets them in 1/16 px fixed point
(``shift=4``) so the drawn line follows them to sub-pixel precision.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

SHIFT = 4  # OpenCV fixed-point bits: 1/16 px
TRACE_RGB = (16, 16, 16)


def sample_range(t_start: float, t_end: float, fs: float, n: int) -> tuple[int, int]:
    """Samples ``i`` with ``t_start <= i / fs < t_end``, clamped to ``[0, n)``."""
    i0 = math.ceil(t_start * fs - 1e-6)
    i1 = math.ceil(t_end * fs - 1e-6)
    return max(0, min(n, i0)), max(0, min(n, i1))


def polyline(
    v: np.ndarray,
    fs: float,
    i0: int,
    t0_s: float,
    x0_px: float,
    baseline_px: float,
    px_per_s: float,
    px_per_mv: float,
) -> np.ndarray:
    """(n, 2) float64 page-pixel points of samples ``i0 .. i0 + len(v) - 1``."""
    t = (i0 + np.arange(len(v), dtype=np.float64)) / float(fs)
    x = x0_px + (t - t0_s) * px_per_s
    y = baseline_px - np.asarray(v, dtype=np.float64) * px_per_mv
    return np.stack([x, y], axis=1)


# Anti-aliased OpenCV lines: thickness 1 is about 1.3 px wide and fast; thickness t >= 2 is
# about t + 1.5 px wide (ink up to 2 px from the centre at t = 2) and 13x slower. Traces of
# 1.5-3.2 px are therefore drawn as three thickness-1 strokes whose offsets sit on a circle of
# radius a at 0, 120 and 240 degrees: in every direction they spread 1.5a-1.73a across the
# line, more even than four strokes on the axes (1.41a-2a) and a quarter cheaper.
THIN_PX = 1.3
THICK_FROM_PX = 3.2
SPREAD = 1.6  # mean spread of the three strokes across a line, in units of a
_DIRECTIONS = np.array([[1.0, 0.0], [-0.5, 0.75**0.5], [-0.5, -(0.75**0.5)]])


def strokes(width_px: float) -> tuple[int, float]:
    """(cv2 thickness, stroke offset a in px) that draw a trace about ``width_px`` wide."""
    if width_px >= THICK_FROM_PX:
        return max(2, int(round(width_px - 1.5))), 0.0
    return 1, max(0.0, (width_px - THIN_PX) / SPREAD)


def to_cv(points: np.ndarray) -> np.ndarray:
    """Our pixel frame (pixel centres at +0.5) -> cv2 fixed point (pixel centres at integers)."""
    return np.rint((np.asarray(points, dtype=np.float64) - 0.5) * (1 << SHIFT)).astype(np.int32)


def draw_polyline(img: np.ndarray, points: np.ndarray, width_px: float, color=TRACE_RGB) -> None:
    """Draw an open polyline (our pixel frame, float) about ``width_px`` wide, anti-aliased."""
    if len(points) == 0:
        return
    pts = to_cv(points)
    if len(pts) == 1:
        pts = np.concatenate([pts, pts])
    color = tuple(int(c) for c in color)
    thickness, a = strokes(width_px)
    if a < 0.15:
        cv2.polylines(img, [pts], False, color, thickness, cv2.LINE_AA, SHIFT)
        return
    for off in np.rint(_DIRECTIONS * a * (1 << SHIFT)).astype(np.int32):
        cv2.polylines(img, [pts + off], False, color, 1, cv2.LINE_AA, SHIFT)


def draw_segment(img, p, q, width_px: float, color=TRACE_RGB) -> None:
    draw_polyline(img, np.array([p, q], dtype=np.float64), width_px, color)


def pad_box(points: np.ndarray, pad: float) -> tuple[float, float, float, float]:
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return (float(x0 - pad), float(y0 - pad), float(x1 + pad), float(y1 + pad))
