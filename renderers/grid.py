"""ECG paper: 1 mm minor and 5 mm major lines, drawn once per (paper, dpi, colour) and cached
(as its few distinct rows: see :func:`_grid_runs`).

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


def _draw_grid(paper: str, dpi: int, color: str) -> np.ndarray:
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
    return img


@lru_cache(maxsize=64)
def _grid_runs(paper: str, dpi: int, color: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The grid page as its distinct rows plus runs of equal rows down the page.

    A gridded page has only a handful of distinct rows (plain paper, rows crossed by vertical
    lines only, minor and major horizontal lines), so this holds ~40 KB where the drawn page held
    ~11 MB at 200 dpi: 16 cached pages cost every worker ~180 MB resident. Rebuilding a page
    from its runs (:func:`blank_grid`, one ``np.repeat``) costs about a copy of a cached page
    (2.2 vs 2.0 ms at 200 dpi) and gives the very pixels drawing it gives."""
    img = _draw_grid(paper, dpi, color)
    h = img.shape[0]
    flat = img.reshape(h, -1)
    ids: dict[bytes, int] = {}
    index = np.fromiter((ids.setdefault(r.tobytes(), len(ids)) for r in flat), np.intp, h)
    rows = np.stack([np.frombuffer(b, np.uint8) for b in ids]).reshape(len(ids), *img.shape[1:])
    starts = np.r_[0, np.flatnonzero(np.diff(index)) + 1]
    runs = (rows, index[starts], np.diff(np.r_[starts, h]))
    for a in runs:
        a.flags.writeable = False  # shared by every page of this paper, dpi and colour
    return runs


def blank_grid(paper: str, dpi: int, color: str) -> np.ndarray:
    """The gridded page (read-only); ``.copy()`` it before drawing on it."""
    rows, run_row, run_length = _grid_runs(paper, int(dpi), color)
    img = np.repeat(rows[run_row], run_length, axis=0)
    img.flags.writeable = False
    return img
