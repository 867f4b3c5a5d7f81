"""Contact sheets: a grid of augmented pages with captions, to judge the styles by eye.

Cells cycle through every (style, intensity) pair so a sheet of 9 shows each once; records come
from the synthetic source and, when given, from a real source. Everything is seeded, so the same
arguments give the same sheet.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import cv2
import numpy as np

from augment.presets import INTENSITIES, STYLES, apply_style
from ecginstruct.seeding import rng_for
from ecginstruct.types import ECGRecord, Page

CAPTION_PX = 30


def thumbnail(page: Page, caption: str, width: int) -> np.ndarray:
    """The page scaled to ``width`` (area-averaged) over a white caption strip."""
    h = max(1, int(round(page.height * width / page.width)))
    thumb = cv2.resize(page.image, (width, h), interpolation=cv2.INTER_AREA)
    strip = np.full((CAPTION_PX, width, 3), 255, np.uint8)
    scale = 0.5 * width / 480
    cv2.putText(
        strip,
        caption,
        (6, int(CAPTION_PX * 0.7)),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        (20, 20, 20),
        1,
        cv2.LINE_AA,
    )
    return np.vstack([thumb, strip])


def contact_sheet(cells: list[np.ndarray], cols: int, gap: int = 8) -> np.ndarray:
    """Cells (any heights, same width) in a grid of ``cols`` columns on a grey background."""
    if not cells:
        raise ValueError("no cells for the contact sheet")
    cw = cells[0].shape[1]
    rows = [cells[i : i + cols] for i in range(0, len(cells), cols)]
    row_h = [max(c.shape[0] for c in r) for r in rows]
    out = np.full(
        (sum(row_h) + gap * (len(rows) + 1), cols * cw + gap * (cols + 1), 3), 128, np.uint8
    )
    y = gap
    for r, rh in zip(rows, row_h):
        for k, c in enumerate(r):
            x = gap + k * (cw + gap)
            out[y : y + c.shape[0], x : x + cw] = c
        y += rh + gap
    return out


def gallery_pages(
    records: Iterable[ECGRecord], seed: int = 0, dpi: int = 200
) -> list[tuple[Page, str]]:
    """(augmented page, caption) per record, cycling through every style and intensity."""
    from renderers import RenderSpec, render_page

    combos = itertools.cycle(itertools.product(STYLES, INTENSITIES))
    out = []
    for record, (style, intensity) in zip(records, combos):
        rng = rng_for(seed, record.record_id, "render")
        spec = RenderSpec.sample(rng, dpi=dpi)
        page = render_page(record, spec, rng)
        page = apply_style(page, style, intensity, rng_for(seed, record.record_id, "augment"))
        caption = f"{style}/{intensity}  {spec.layout}  {record.source}:{record.record_id}"
        out.append((page, caption))
    return out


def build_gallery(
    records: Iterable[ECGRecord],
    seed: int = 0,
    dpi: int = 200,
    thumb_width: int = 480,
    cols: int = 3,
) -> np.ndarray:
    """The contact sheet (uint8 RGB) of :func:`gallery_pages`."""
    cells = [thumbnail(p, c, thumb_width) for p, c in gallery_pages(records, seed, dpi)]
    return contact_sheet(cells, cols)
