"""ECG paper: 1 mm minor and 5 mm major lines, drawn once per (paper, dpi, colour) and cached.

Each grid line is snapped to whole pixels: line k of the 1 mm lattice covers the ``w`` pixels
centred nearest to its exact position ``(x0_mm + k) * px_per_mm``. Positions never drift (the
pitch is exactly ``px_per_mm`` on average, every line within half a pixel of its true place)
and the page keeps three grid colours. That is deliberate: an anti-aliased grid at a fractional
pitch has hundreds of colours and no pixel-periodic pattern, which made PNGs 6x larger
(about 600 KiB vs 100 KiB for a blank letter page at 200 dpi; see docs/rendering.md).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from renderers.geometry import MAJOR_MM, frame, page_size_px, px_per_mm

PAPER_RGB = (255, 255, 255)

# (minor line, major line) colours, RGB. Major lines are darker, as on real paper; none is as
# dark as trace ink, which is what lets a digitizer tell them apart.
GRID_RGB: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "red": ((242, 150, 150), (222, 70, 70)),
    "pink": ((250, 198, 208), (240, 135, 165)),
    "green": ((175, 218, 175), (85, 165, 100)),
    "blue": ((175, 203, 236), (70, 125, 200)),
    "grey": ((208, 208, 208), (160, 160, 160)),
}

MINOR_WIDTH_MM = 0.10
MAJOR_WIDTH_MM = 0.20


def line_width_px(width_mm: float, dpi: float) -> int:
    return max(1, int(round(width_mm * px_per_mm(dpi))))


def line_pixels(centre_px: float, width_px: int) -> tuple[int, int]:
    """First and one-past-last pixel index of a ``width_px`` line centred near ``centre_px``."""
    j0 = int(np.floor(centre_px - width_px / 2.0 + 0.5))
    return j0, j0 + width_px


def line_centres_px(paper: str, dpi: float, axis: str) -> tuple[np.ndarray, np.ndarray]:
    """Exact (unsnapped) centres in px of the 1 mm lines along ``axis`` ("x" or "y"), and a
    boolean array marking the 5 mm (major) ones."""
    gx0, gy0, gx1, gy1 = frame(paper).grid
    a0, a1 = (gx0, gx1) if axis == "x" else (gy0, gy1)
    k = np.arange(int(round(a1 - a0)) + 1)
    return (a0 + k) * px_per_mm(dpi), (k % int(MAJOR_MM)) == 0


@lru_cache(maxsize=16)
def _grid(paper: str, dpi: int, color: str) -> np.ndarray:
    w, h = page_size_px(paper, dpi)
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[:] = PAPER_RGB
    if color != "none":
        s = px_per_mm(dpi)
        gx0, gy0, gx1, gy1 = frame(paper).grid
        cx, majx = line_centres_px(paper, dpi, "x")
        cy, majy = line_centres_px(paper, dpi, "y")
        # The lattice spans from the first to the last line, their widths included.
        wmaj = line_width_px(MAJOR_WIDTH_MM, dpi)
        xa, xb = line_pixels(gx0 * s, wmaj)[0], line_pixels(gx1 * s, wmaj)[1]
        ya, yb = line_pixels(gy0 * s, wmaj)[0], line_pixels(gy1 * s, wmaj)[1]
        for is_major, rgb, width_mm in zip(
            (False, True), GRID_RGB[color], (MINOR_WIDTH_MM, MAJOR_WIDTH_MM)
        ):
            lw = line_width_px(width_mm, dpi)
            for c in cx[majx == is_major]:
                j0, j1 = line_pixels(c, lw)
                img[ya:yb, max(0, j0) : j1] = rgb
            for c in cy[majy == is_major]:
                i0, i1 = line_pixels(c, lw)
                img[max(0, i0) : i1, xa:xb] = rgb
    img.flags.writeable = False  # shared by every page: copy before drawing
    return img


def blank_grid(paper: str, dpi: int, color: str) -> np.ndarray:
    """The gridded page (read-only, cached); ``.copy()`` it before drawing on it."""
    return _grid(paper, int(dpi), color)
