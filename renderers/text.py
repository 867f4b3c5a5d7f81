"""Page text: lead labels, the header block, titles. Sizes in mm so they scale with dpi.

Only what a source licenses for display ends up on a page: acquisition settings (speed, gain,
filter), global measurements and age/sex. Never names, dates or identifiers.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from ecginstruct.types import Box, ECGRecord

FONT = cv2.FONT_HERSHEY_SIMPLEX
INK_RGB = (20, 20, 20)


@lru_cache(maxsize=64)
def _scale_for(height_px: float) -> float:
    (_, h), _ = cv2.getTextSize("H", FONT, 1.0, 1)
    return height_px / float(h)


def stroke_px(height_px: float) -> int:
    return max(1, int(round(height_px / 12.0)))


def put_text(
    img: np.ndarray,
    text: str,
    x_px: float,
    top_px: float,
    height_mm: float,
    px_per_mm: float,
    color=INK_RGB,
    background=None,
) -> Box:
    """Draw ``text`` with its cap height ``height_mm`` and top-left at (x, top); return its box.

    ``background`` (RGB) paints a box behind the text first, like labels printed on the grid.
    """
    h = height_mm * px_per_mm
    scale = _scale_for(h)
    th = stroke_px(h)
    (w_txt, h_txt), base = cv2.getTextSize(text, FONT, scale, th)
    x = int(round(x_px))
    y = int(round(top_px + h_txt))  # cv2 wants the baseline
    pad = max(1, int(round(0.4 * px_per_mm)))
    box = (
        float(x - pad),
        float(y - h_txt - pad),
        float(x + w_txt + pad),
        float(y + base + pad),
    )
    if background is not None:
        cv2.rectangle(
            img,
            (int(box[0]), int(box[1])),
            (int(np.ceil(box[2])) - 1, int(np.ceil(box[3])) - 1),
            tuple(int(c) for c in background),
            -1,
        )
    cv2.putText(img, text, (x, y), FONT, scale, tuple(int(c) for c in color), th, cv2.LINE_AA)
    return box


def _fmt(v: float | None, unit: str = "") -> str | None:
    if v is None or not np.isfinite(v):
        return None
    return f"{int(round(float(v)))}{unit}"


def measurement_lines(record: ECGRecord) -> list[str]:
    """'Vent. rate 72 bpm', 'PR interval 160 ms', ... for the measurements the record has."""
    m = record.measurements
    lines = []
    if (hr := _fmt(m.hr_bpm)) is not None:
        lines.append(f"Vent. rate  {hr} bpm")
    if (pr := _fmt(m.pr_ms)) is not None:
        lines.append(f"PR interval  {pr} ms")
    if (qrs := _fmt(m.qrs_ms)) is not None:
        lines.append(f"QRS duration  {qrs} ms")
    qt, qtc = _fmt(m.qt_ms), _fmt(m.qtc_ms)
    if qt is not None or qtc is not None:
        lines.append(f"QT/QTc  {qt or '--'}/{qtc or '--'} ms")
    axes = [_fmt(m.p_axis_deg), _fmt(m.qrs_axis_deg), _fmt(m.t_axis_deg)]
    if any(a is not None for a in axes):
        lines.append("P-R-T axes  " + " ".join(a or "--" for a in axes))
    return lines


def demographic_lines(record: ECGRecord) -> list[str]:
    d = record.demographics
    lines = []
    if (age := _fmt(d.age)) is not None:
        lines.append(f"Age  {age} yr")
    if d.sex in ("M", "F"):
        lines.append(f"Sex  {'Male' if d.sex == 'M' else 'Female'}")
    return lines


def default_filter_text(fs: float) -> str:
    """The pass band a page can honestly claim: 0.05 Hz to min(150 Hz, Nyquist)."""
    hi = min(150.0, float(fs) / 2.0)
    return f"0.05-{hi:g} Hz"


def settings_line(speed_mm_s: float, gain_mm_mv: float, filter_text: str) -> str:
    return f"{speed_mm_s:g} mm/s   {gain_mm_mv:g} mm/mV   {filter_text}"


def short_summary(record: ECGRecord, rate: bool = True) -> str:
    """One line for the title band of a comparison page: age, sex, rate (unless ``rate=False``)."""
    parts = []
    if (age := _fmt(record.demographics.age)) is not None:
        parts.append(f"{age} yr")
    if record.demographics.sex in ("M", "F"):
        parts.append(record.demographics.sex)
    if rate and (hr := _fmt(record.measurements.hr_bpm)) is not None:
        parts.append(f"{hr} bpm")
    return "   ".join(parts)
