"""Reading a page back: a naive digitizer and a fidelity score against the source signal.

The digitizer uses only pixels and each panel's stored page-frame geometry (box, label box,
``x0_px``, ``baseline_px``, ``px_per_s``, ``px_per_mv``): for every pixel column of the panel box
it takes the darkness-weighted centroid of trace ink. Trace ink is told from grid lines by
darkness (grid lines of every colour are lighter than ``INK_MAX``), so it works on any grid colour.
It never looks at the stored polylines, so it also scores augmented pages once they are unwarped
back to the page frame: call :func:`digitize_panels` / :func:`fidelity_from_image` with that
image and the page's panels.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from ecginstruct.types import Box, ECGRecord, LeadPanel, Page

INK_MAX = 110  # a pixel whose brightest channel is at or above this is not trace ink
MIN_COLUMN_WEIGHT = 0.3  # columns with less ink than this (in full-ink pixels) are skipped


def ink_weight(pixels: np.ndarray, ink_max: float = INK_MAX) -> np.ndarray:
    """0..1 trace-ink weight per pixel: how far the brightest channel is below ``ink_max``."""
    brightest = np.asarray(pixels).max(axis=-1).astype(np.float32)
    return np.clip((ink_max - brightest) / ink_max, 0.0, 1.0)


def _pixel_range(a: float, b: float, n: int) -> tuple[int, int]:
    return max(0, int(math.floor(a))), min(n, int(math.ceil(b)))


def digitize_panel(
    image: np.ndarray, panel: LeadPanel, exclude: Iterable[Box] = (), ink_max: float = INK_MAX
) -> tuple[np.ndarray, np.ndarray]:
    """(t_s, mv) of one panel: one point per pixel column of its box that holds trace ink.

    ``image`` must be in the page frame (the rendered page, or an augmented one unwarped back).
    The panel's label box and any ``exclude`` boxes (calibration pulses, lead separators) are
    left out. ``t_s`` is seconds since the record start, ``mv`` millivolts. Raise ``ink_max``
    for faded or low-contrast (scanned, photographed) images.
    """
    h, w = image.shape[:2]
    x0, x1 = _pixel_range(panel.box[0], panel.box[2], w)
    y0, y1 = _pixel_range(panel.box[1], panel.box[3], h)
    if x1 <= x0 or y1 <= y0:
        return np.zeros(0), np.zeros(0)
    wgt = ink_weight(image[y0:y1, x0:x1], ink_max)
    boxes = list(exclude) + ([panel.label_box] if panel.label_box is not None else [])
    for bx0, by0, bx1, by1 in boxes:
        # Blank every pixel whose centre lies in the box.
        c0, c1 = max(x0, math.ceil(bx0 - 0.5)), min(x1, math.floor(bx1 - 0.5) + 1)
        r0, r1 = max(y0, math.ceil(by0 - 0.5)), min(y1, math.floor(by1 - 0.5) + 1)
        if c1 > c0 and r1 > r0:
            wgt[r0 - y0 : r1 - y0, c0 - x0 : c1 - x0] = 0.0
    total = wgt.sum(axis=0)
    rows = np.arange(y0, y1, dtype=np.float64) + 0.5
    keep = total >= MIN_COLUMN_WEIGHT
    yc = (wgt[:, keep] * rows[:, None]).sum(axis=0) / total[keep]
    xc = np.arange(x0, x1, dtype=np.float64)[keep] + 0.5
    t = panel.t0_s + (xc - panel.x0_px) / panel.px_per_s
    mv = (panel.baseline_px - yc) / panel.px_per_mv
    return t, mv


def panel_key(panel: LeadPanel) -> str:
    """ "II", "II/rhythm", and "ECG2/..." for the second record of a comparison page."""
    key = panel.lead + ("/rhythm" if panel.is_rhythm else "")
    return key if panel.record_index == 0 else f"ECG{panel.record_index + 1}/{key}"


def lead_key(panel: LeadPanel) -> str:
    return panel.lead if panel.record_index == 0 else f"ECG{panel.record_index + 1}/{panel.lead}"


def digitize_panels(
    image: np.ndarray,
    panels: Sequence[LeadPanel],
    exclude: Iterable[Box] = (),
    ink_max: float = INK_MAX,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{panel_key: (t_s, mv)} for every panel (see :func:`panel_key`)."""
    exclude = list(exclude)
    return {panel_key(p): digitize_panel(image, p, exclude, ink_max) for p in panels}


def digitize_page(image: np.ndarray, page: Page) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Digitize every panel of ``page`` from ``image`` (page frame), leaving out its calibration
    pulses and lead separators."""
    return digitize_panels(image, page.panels, page.calibration_boxes)


def reference_at(record: ECGRecord, lead: str, t_s: np.ndarray) -> np.ndarray:
    """The source lead linearly interpolated at ``t_s`` ("-aVR" is aVR inverted)."""
    sign = -1.0 if lead.startswith("-") else 1.0
    v = np.asarray(record.lead(lead.lstrip("-")), dtype=np.float64)
    ts = np.arange(len(v), dtype=np.float64) / float(record.fs)
    return sign * np.interp(t_s, ts, v)


def score(ref: np.ndarray, est: np.ndarray) -> dict[str, float]:
    """Pearson r and SNR in dB (power of the mean-removed reference over the error power)."""
    n = len(ref)
    if n < 3:
        return {"r": float("nan"), "snr_db": float("nan"), "n": n}
    err = np.mean((est - ref) ** 2)
    power = np.var(ref)
    r = float(np.corrcoef(ref, est)[0, 1]) if np.std(est) > 0 and power > 0 else float("nan")
    snr = float(10 * np.log10(power / err)) if err > 0 else float("inf")
    return {"r": r, "snr_db": snr, "n": n}


def fidelity_from_image(
    image: np.ndarray,
    panels: Sequence[LeadPanel],
    record: ECGRecord,
    exclude: Iterable[Box] = (),
    ink_max: float = INK_MAX,
) -> dict[str, dict[str, float]]:
    """{lead: {"r", "snr_db", "n"}}: digitize ``image`` (page frame) and compare every lead with
    the source, the points of a lead's panels (e.g. grid and rhythm strip) pooled.

    Keys are lead names as printed ("-aVR" in Cabrera order); leads of the second record of a
    comparison page are "ECG2/<lead>" and compared with ``record.meta["paired_record"]``.
    """
    exclude = list(exclude)
    pooled: dict[str, tuple[list, list]] = {}
    for p in panels:
        rec = record if p.record_index == 0 else record.meta["paired_record"]
        t, mv = digitize_panel(image, p, exclude, ink_max)
        inside = (t >= 0) & (t <= (rec.n_samples - 1) / rec.fs)
        refs, ests = pooled.setdefault(lead_key(p), ([], []))
        refs.append(reference_at(rec, p.lead, t[inside]))
        ests.append(mv[inside])
    return {k: score(np.concatenate(r), np.concatenate(e)) for k, (r, e) in pooled.items()}


def fidelity(
    page: Page, record: ECGRecord, image: np.ndarray | None = None, ink_max: float = INK_MAX
) -> dict[str, dict[str, float]]:
    """Digitize ``image`` (default: ``page.image``; must be in the page frame) and score it
    against ``record`` lead by lead. See :func:`fidelity_from_image`."""
    img = page.image if image is None else image
    return fidelity_from_image(img, page.panels, record, page.calibration_boxes, ink_max)


def summarize(fid: dict[str, dict[str, float]]) -> dict[str, float]:
    """Median and minimum r and SNR over leads."""
    r = np.array([v["r"] for v in fid.values()], dtype=np.float64)
    snr = np.array([v["snr_db"] for v in fid.values()], dtype=np.float64)
    return {
        "median_r": float(np.nanmedian(r)),
        "min_r": float(np.nanmin(r)),
        "median_snr_db": float(np.nanmedian(snr)),
        "min_snr_db": float(np.nanmin(snr)),
        "n_leads": len(fid),
    }
