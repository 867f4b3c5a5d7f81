"""Paper geometry: sizes in millimetres, the mm -> pixel scale, and where the grid goes.

Everything on a page is laid out in millimetres first and converted with ``px = mm * px_per_mm``
(no rounding), with the pixel origin at the top-left corner of pixel (0, 0) as in
:mod:`ecginstruct.types`. A 1 mV pulse at 10 mm/mV is therefore exactly ``10 * dpi / 25.4`` px
tall (78.74 px at 200 dpi) and a 1 mm grid step exactly ``dpi / 25.4`` px.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MM_PER_INCH = 25.4

# Landscape (width, height) in mm.
PAPER_MM: dict[str, tuple[float, float]] = {
    "letter": (279.4, 215.9),
    "a4": (297.0, 210.0),
}

# Page furniture, in mm. The lead area is 250 mm wide whatever the speed: 10 s at 25 mm/s,
# 5 s at 50 mm/s -- as on a real cart printout.
SIDE_MARGIN_MM = 6.0
HEADER_TOP_MM = 5.0
GRID_TOP_MM = 30.0
BOTTOM_MARGIN_MM = 7.0
CAL_AREA_MM = 15.0
LEAD_AREA_MM = 250.0
MAJOR_MM = 5.0


def px_per_mm(dpi: float) -> float:
    return float(dpi) / MM_PER_INCH


def page_size_px(paper: str, dpi: float) -> tuple[int, int]:
    """(W, H) in pixels of a landscape page; letter at 200 dpi is 2200 x 1700."""
    w, h = PAPER_MM[paper]
    s = px_per_mm(dpi)
    return int(round(w * s)), int(round(h * s))


@dataclass(frozen=True)
class Frame:
    """Where things go on a page of one paper size, in mm."""

    paper_w: float
    paper_h: float
    grid: tuple[float, float, float, float]  # x0, y0, x1, y1; whole 5 mm boxes
    leads_x0: float  # where the first column of traces starts (on a 5 mm line)

    @property
    def leads_x1(self) -> float:
        return self.leads_x0 + LEAD_AREA_MM


def frame(paper: str) -> Frame:
    """The grid rectangle (whole 5 mm boxes, centred) and the start of the lead area."""
    w, h = PAPER_MM[paper]
    gw = math.floor((w - 2 * SIDE_MARGIN_MM) / MAJOR_MM) * MAJOR_MM
    gh = math.floor((h - GRID_TOP_MM - BOTTOM_MARGIN_MM) / MAJOR_MM) * MAJOR_MM
    gx0 = (w - gw) / 2.0
    gy0 = GRID_TOP_MM
    spare = gw - CAL_AREA_MM - LEAD_AREA_MM
    if spare < 0:
        raise ValueError(f"paper {paper!r} is too narrow for a {LEAD_AREA_MM} mm lead area")
    # Centre the lead area while keeping its start on a major (5 mm) line.
    leads_x0 = gx0 + CAL_AREA_MM + math.floor(spare / 2 / MAJOR_MM) * MAJOR_MM
    return Frame(w, h, (gx0, gy0, gx0 + gw, gy0 + gh), leads_x0)
