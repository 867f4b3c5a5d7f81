"""Per-lead segmentation masks rasterised from the tracked polylines.

:func:`lead_masks` returns an (n_panels, H, W) bool stack, one mask per ``page.panels`` entry in
that order (a lead drawn twice, e.g. II in the grid and in the rhythm strip, has two masks).
A stack rather than a label image because traces that overflow their row cross their
neighbours: a pixel may belong to two leads, and each mask keeps its own.
:func:`write_masks` stores the stack as one PNG per panel plus ``masks.json``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np

from augment.base import page_error
from ecginstruct.types import LeadPanel, Page

DEFAULT_LINE_MM = 0.3


def trace_width_px(page: Page) -> float:
    """Drawn trace width in page pixels: the renderer's record, else the spec's line width."""
    th = page.meta.get("trace_thickness_px")
    if th:
        return float(th)
    mm = float((page.spec or {}).get("line_width_mm") or DEFAULT_LINE_MM)
    return max(1.0, mm * page.px_per_mm)


def _panel_scale(p: LeadPanel) -> float:
    """How much the augmentation scaled this panel (sqrt of the box area ratio)."""
    if p.image_box is None:
        return 1.0
    bw, bh = p.box[2] - p.box[0], p.box[3] - p.box[1]
    iw, ih = p.image_box[2] - p.image_box[0], p.image_box[3] - p.image_box[1]
    if bw <= 0 or bh <= 0:
        return 1.0
    return float(np.sqrt(max(iw * ih, 1e-6) / (bw * bh)))


def lead_mask(page: Page, panel: LeadPanel, width_px: float | None = None) -> np.ndarray:
    """(H, W) bool: the pixels the panel's trace covers in the current image."""
    mask = np.zeros((page.height, page.width), np.uint8)
    pts = np.asarray(panel.polyline, dtype=np.float64).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) == 0:
        return mask.astype(bool)
    w = (trace_width_px(page) if width_px is None else width_px) * _panel_scale(panel)
    th = max(1, int(round(w)))
    cv_pts = np.round((pts - 0.5) * 16).astype(np.int32)
    cv2.polylines(mask, [cv_pts], False, 1, th, cv2.LINE_8, 4)
    return mask.astype(bool)


def lead_masks(page: Page) -> np.ndarray:
    """(n_panels, H, W) bool stack, in ``page.panels`` order; overlapping leads kept apart."""
    if not page.panels:
        raise page_error(page, "page has no lead panels to make masks from")
    width = trace_width_px(page)
    return np.stack([lead_mask(page, p, width) for p in page.panels])


def label_image(page: Page) -> np.ndarray:
    """(H, W) int16 convenience view: 0 background, k + 1 for panel k. Where traces cross, the
    later panel wins -- use :func:`lead_masks` when overlaps matter."""
    out = np.zeros((page.height, page.width), np.int16)
    for k, m in enumerate(lead_masks(page)):
        out[m] = k + 1
    return out


def _file_name(k: int, p: LeadPanel) -> str:
    lead = re.sub(r"[^A-Za-z0-9]+", "", p.lead.replace("-", "neg")) or "lead"
    extra = ("_rhythm" if p.is_rhythm else "") + (
        f"_ecg{p.record_index + 1}" if p.record_index else ""
    )
    return f"{k:02d}_{lead}{extra}.png"


def write_masks(page: Page, out_dir: str | Path) -> list[Path]:
    """Write one 8-bit PNG per panel (255 = trace) and ``masks.json`` (file, lead, panel index,
    rhythm flag, record index, image box) into ``out_dir``. Returns the PNG paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    masks = lead_masks(page)
    paths, index = [], []
    for k, (p, m) in enumerate(zip(page.panels, masks)):
        path = out_dir / _file_name(k, p)
        ok, buf = cv2.imencode(".png", m.astype(np.uint8) * 255)
        if not ok:  # pragma: no cover - OpenCV failure
            raise page_error(page, f"could not encode mask {path.name}")
        path.write_bytes(buf.tobytes())
        paths.append(path)
        index.append(
            {
                "file": path.name,
                "panel": k,
                "lead": p.lead,
                "is_rhythm": p.is_rhythm,
                "record_index": p.record_index,
                "image_box": list(p.image_box) if p.image_box is not None else list(p.box),
                "pixels": int(m.sum()),
            }
        )
    meta = {"width": page.width, "height": page.height, "masks": index}
    (out_dir / "masks.json").write_text(json.dumps(meta, indent=1))
    return paths
