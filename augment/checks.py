"""Ground-truth checks on augmented pages (used by the tests and the gallery).

:func:`trace_ink_fraction` is the tracking check: the share of tracked trace points that land
on pixels darker than the paper around them. After any correct geometric step it stays near 1;
a transform that moved the pixels but not the annotations (or the reverse) drops it sharply.
"""

from __future__ import annotations

import cv2
import numpy as np

from augment.masks import trace_width_px
from ecginstruct.types import Page


def trace_ink_fraction(page: Page, margin: float = 8.0) -> float:
    """Fraction of all panels' polyline points whose pixel (bilinear, grayscale) is at least
    ``margin`` levels darker than the local background (the brightest pixel within a few trace
    widths). Points outside the image count as misses."""
    pts = [np.asarray(p.polyline, dtype=np.float32).reshape(-1, 2) for p in page.panels]
    pts = np.concatenate(pts) if pts else np.zeros((0, 2), np.float32)
    if len(pts) == 0:
        return 0.0
    gray = cv2.cvtColor(page.image, cv2.COLOR_RGB2GRAY)
    k = int(max(5, round(4 * trace_width_px(page)))) | 1
    background = cv2.dilate(gray, np.ones((k, k), np.uint8))
    h, w = gray.shape
    inside = (pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)
    q = (pts - 0.5).reshape(-1, 1, 2)
    val = cv2.remap(gray.astype(np.float32), q[..., 0], q[..., 1], cv2.INTER_LINEAR)[:, 0]
    bg = cv2.remap(background.astype(np.float32), q[..., 0], q[..., 1], cv2.INTER_LINEAR)[:, 0]
    dark = inside & (val <= bg - margin)
    return float(dark.mean())
