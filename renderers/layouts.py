"""Page layouts: which lead goes where and which seconds it shows, in millimetres.

A layout is a grid of ``n_rows x n_cols`` panels filled column by column from the lead order
(standard: I II III aVR aVL aVF V1..V6; Cabrera: aVL I -aVR II aVF III V1..V6), plus full-width
rhythm strips below. Columns are sequential in time like a cart printout: at 25 mm/s the four
columns of a 3x4 page show 0-2.5, 2.5-5, 5-7.5 and 7.5-10 s, the rhythm strip 0-10 s.
"""

from __future__ import annotations

from dataclasses import dataclass

from renderers.geometry import LEAD_AREA_MM, Frame
from renderers.spec import RenderSpec

STANDARD_ORDER = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
# Cabrera shows -aVR (aVR inverted) between I and II; the panel's lead name says so.
CABRERA_ORDER = ("aVL", "I", "-aVR", "II", "aVF", "III", "V1", "V2", "V3", "V4", "V5", "V6")

# layout -> (grid rows, grid columns, rhythm strips)
GRIDS: dict[str, tuple[int, int]] = {
    "3x4+1": (3, 4),
    "3x4+3": (3, 4),
    "3x4": (3, 4),
    "6x2": (6, 2),
    "12x1": (12, 1),
}

TITLE_BAND_MM = 7.0  # "ECG 1" / "ECG 2" band of a comparison page
SEPARATOR_HALF_MM = 2.5


@dataclass(frozen=True)
class Slot:
    """One panel of a layout, in mm, times relative to the page's window start."""

    lead: str  # as printed; "-aVR" means aVR inverted
    row: int
    col: int
    t_offset_s: float
    dur_s: float
    box: tuple[float, float, float, float]
    baseline: float
    x0: float
    is_rhythm: bool = False
    record_index: int = 0

    @property
    def source_lead(self) -> str:
        return self.lead.lstrip("-")

    @property
    def sign(self) -> float:
        return -1.0 if self.lead.startswith("-") else 1.0


@dataclass(frozen=True)
class Row:
    baseline: float
    y0: float
    y1: float
    record_index: int = 0
    has_separators: bool = True


@dataclass(frozen=True)
class Plan:
    slots: tuple[Slot, ...]
    rows: tuple[Row, ...]
    separators: tuple[tuple[float, float], ...]  # (x, baseline) in mm
    titles: tuple[tuple[str, float, float], ...]  # (text, x, y of the band's top) in mm
    span_s: float  # seconds from the window start that the page shows

    @property
    def n_records(self) -> int:
        return 1 + max((s.record_index for s in self.slots), default=0)


def lead_order(name: str) -> tuple[str, ...]:
    return CABRERA_ORDER if name == "cabrera" else STANDARD_ORDER


def _block(
    spec: RenderSpec,
    layout: str,
    rhythm: tuple[str, ...],
    fr: Frame,
    y0: float,
    y1: float,
    record_index: int,
    row_base: int,
):
    """Slots, rows and separators of one ECG drawn in the band [y0, y1] mm."""
    n_rows, n_cols = GRIDS[layout]
    order = lead_order(spec.lead_order)
    total_rows = n_rows + len(rhythm)
    row_h = (y1 - y0) / total_rows
    col_w = LEAD_AREA_MM / n_cols
    col_s = col_w / float(spec.speed_mm_s)
    slots, rows, seps = [], [], []
    for r in range(total_rows):
        top = y0 + r * row_h
        base = top + row_h / 2.0
        is_rhythm = r >= n_rows
        rows.append(Row(base, top, top + row_h, record_index, not is_rhythm))
        if is_rhythm:
            lead = rhythm[r - n_rows]
            box = (fr.leads_x0, top, fr.leads_x1, top + row_h)
            slots.append(
                Slot(
                    lead,
                    row_base + r,
                    0,
                    0.0,
                    LEAD_AREA_MM / float(spec.speed_mm_s),
                    box,
                    base,
                    fr.leads_x0,
                    True,
                    record_index,
                )
            )
            continue
        for c in range(n_cols):
            x0 = fr.leads_x0 + c * col_w
            lead = order[c * n_rows + r]
            box = (x0, top, x0 + col_w, top + row_h)
            slots.append(
                Slot(lead, row_base + r, c, c * col_s, col_s, box, base, x0, False, record_index)
            )
            if c > 0:
                seps.append((x0, base))
    return slots, rows, seps


def plan(spec: RenderSpec, fr: Frame, paired: bool = False) -> Plan:
    """Lay out one ECG (``spec.layout``) or, with ``paired``, two 3x4 ECGs one above the other."""
    gx0, gy0, gx1, gy1 = fr.grid
    if not paired:
        slots, rows, seps = _block(
            spec, spec.layout, spec.resolved_rhythm_leads(), fr, gy0, gy1, 0, 0
        )
        titles: list[tuple[str, float, float]] = []
    else:
        slots, rows, seps, titles = [], [], [], []
        half = (gy1 - gy0) / 2.0
        for i in range(2):
            top = gy0 + i * half
            s, r, p = _block(spec, "3x4", (), fr, top + TITLE_BAND_MM, top + half, i, 3 * i)
            slots += s
            rows += r
            seps += p
            titles.append((f"ECG {i + 1}", gx0, top))
    span = max(s.t_offset_s + s.dur_s for s in slots)
    return Plan(tuple(slots), tuple(rows), tuple(seps), tuple(titles), span)
