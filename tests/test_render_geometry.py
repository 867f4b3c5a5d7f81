"""Paper geometry: exact mm -> px scale, page sizes, grid pitch, the 1 mV calibration pulse."""

from __future__ import annotations

import numpy as np
import pytest

from renderers import RenderSpec, render_page
from renderers.geometry import frame, page_size_px, px_per_mm
from renderers.grid import GRID_RGB, blank_grid
from tests.test_render_page import toy_record


def test_page_sizes_landscape():
    assert page_size_px("letter", 200) == (2200, 1700)
    assert page_size_px("letter", 300) == (3300, 2550)
    assert page_size_px("a4", 200) == (2339, 1654)  # 297 x 210 mm
    assert page_size_px("a4", 600) == (7016, 4961)
    assert px_per_mm(200) == pytest.approx(7.874015748)


@pytest.mark.parametrize("paper, dpi", [("letter", 200), ("a4", 300), ("letter", 100)])
def test_grid_pitch_is_exactly_px_per_mm(paper, dpi):
    img = blank_grid(paper, dpi, "red")
    s = px_per_mm(dpi)
    gx0, gy0, gx1, gy1 = frame(paper).grid
    # A pixel row between two horizontal lines crosses every vertical line once.
    y = int((gy0 + 2.5) * s)
    row = img[y].astype(int)
    minor, major = (np.array(c) for c in GRID_RGB["red"])
    on = (row == minor).all(axis=1) | (row == major).all(axis=1)
    idx = np.flatnonzero(on)
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
    centres = np.array([r.mean() + 0.5 for r in runs])
    k = np.arange(len(centres))
    assert len(centres) == int(round(gx1 - gx0)) + 1
    slope, icpt = np.polyfit(k, centres, 1)
    assert slope == pytest.approx(s, rel=1e-4)
    assert icpt == pytest.approx(gx0 * s, abs=0.5)
    assert np.abs(centres - (gx0 + k) * s).max() <= 0.5 + 1e-9  # snapped, never drifting
    is_major = np.array([(row[r[0]] == major).all() for r in runs])
    assert (np.flatnonzero(is_major) % 5 == 0).all() and is_major[::5].all()


def _ink_rows_centroid(img, x0, x1, y0, y1):
    """Darkness-weighted mean row (pixel centres at +0.5) of a patch."""
    patch = 255.0 - img[y0:y1, x0:x1].max(axis=2).astype(float)
    patch[patch < 128] = 0
    rows = np.arange(y0, y1) + 0.5
    return float((patch.sum(axis=1) * rows).sum() / patch.sum())


@pytest.mark.parametrize("gain, dpi", [(10, 200), (20, 200), (5, 300)])
def test_calibration_pulse_is_one_millivolt_tall(gain, dpi):
    page = render_page(toy_record(), RenderSpec(gain_mm_mv=gain, dpi=dpi, grid_color="none"))
    s = page.px_per_mm
    assert page.panels[0].px_per_mv == pytest.approx(gain * s)
    if gain == 10 and dpi == 200:
        assert gain * s == pytest.approx(78.74, abs=0.005)
    x0, y0, x1, y1 = (int(round(v)) for v in page.calibration_boxes[0])
    top = _ink_rows_centroid(page.image, x0 + int(3 * s), x1 - int(3 * s), y0, y0 + int(2 * s))
    base = _ink_rows_centroid(page.image, x0, x0 + int(1.5 * s), y1 - int(2 * s), y1)
    # Measured from the pixels: within half a pixel of gain x 1 mV (OpenCV's anti-aliased
    # thick lines sit up to ~0.2 px off their sub-pixel centre).
    assert base - top == pytest.approx(gain * s, abs=0.5)
    row0 = next(p for p in page.panels if p.row == 0)
    assert base == pytest.approx(row0.baseline_px, abs=0.5)


def test_polyline_follows_the_affine_mapping():
    rec = toy_record(fs=400)
    page = render_page(rec, RenderSpec(speed_mm_s=50, gain_mm_mv=5))
    for p in page.panels:
        i = np.arange(p.sample_start, p.sample_end)
        x = p.x0_px + (i / rec.fs - p.t0_s) * p.px_per_s
        y = p.baseline_px - rec.lead(p.lead)[i].astype(float) * p.px_per_mv
        assert np.abs(p.polyline[:, 0] - x).max() < 1e-3
        assert np.abs(p.polyline[:, 1] - y).max() < 1e-3
        assert p.px_per_s == pytest.approx(50 * page.px_per_mm)
