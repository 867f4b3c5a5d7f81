"""Fidelity: a rendered page carries enough ground truth to get the signal back, and its pixels
agree with that ground truth.

At 200 dpi, 25 mm/s, 10 mm/mV on real PTB-XL / PhysioNet 2021 records (read with
``wfdb.rdrecord``) and on synthetic ones:

* stored polylines mapped back through the stored geometry give the source samples;
* the pixels under the stored polylines are trace ink, and trace ink inside lead boxes lies on a
  stored polyline;
* the naive digitizer (pixels + geometry only) reaches median Pearson r >= 0.97.
"""

from __future__ import annotations

import numpy as np
import pytest
import wfdb
from scipy.spatial import cKDTree

from ecginstruct.leads import normalise_lead_name
from ecginstruct.types import STANDARD_LEADS, ECGRecord
from renderers import RenderSpec, render_page
from renderers.digitize import fidelity, reference_at, summarize
from tests.test_render_page import toy_record

SPEC = dict(dpi=200, speed_mm_s=25, gain_mm_mv=10)
INK = 128  # trace ink: the brightest channel below this (every grid colour is lighter)

REAL = [
    ("ptbxl/records500/06000/06000_hr", "red"),
    ("ptbxl/records500/06000/06001_hr", "pink"),
    ("ptbxl/records500/06000/06002_hr", "grey"),
    ("ptbxl/records500/06000/06003_hr", "blue"),
    ("ptbxl/records500/06000/06004_hr", "green"),
    ("ptbxl/records100/00000/00001_lr", "red"),
    ("physionet2021/E07500", "red"),
    ("physionet2021/JS20000", "grey"),
    ("physionet2021/HR06001", "none"),
]


def read_wfdb(path) -> ECGRecord:
    r = wfdb.rdrecord(str(path))
    order = [normalise_lead_name(n) for n in r.sig_name]
    sig = np.stack([r.p_signal[:, order.index(lead)] for lead in STANDARD_LEADS])
    return ECGRecord(path.name, "wfdb", sig.astype(np.float32), float(r.fs))


def synthetic_records():
    out = [toy_record(fs=100, seed=1), toy_record(fs=1000, seed=2)]
    try:
        from ecginstruct.synthetic import simulate_record
    except ImportError:  # the synthetic generator is optional for this test
        return out
    for i, cond in enumerate([None, "AFIB", "LBBB"]):
        out.append(simulate_record(np.random.default_rng(i), cond, record_id=f"syn-{i}"))
    return out


def densify(poly: np.ndarray, step: float) -> np.ndarray:
    """Points along a polyline, at most ``step`` px apart."""
    p = np.asarray(poly, dtype=np.float64)
    seg = np.diff(p, axis=0)
    n = np.maximum(1, np.ceil(np.hypot(seg[:, 0], seg[:, 1]) / step)).astype(int)
    frac = np.concatenate([np.arange(k) / k for k in n])
    start = np.repeat(p[:-1], n, axis=0)
    return np.concatenate([start + np.repeat(seg, n, axis=0) * frac[:, None], p[-1:]])


def in_boxes(h, w, boxes) -> np.ndarray:
    """Mask of pixels whose centre lies in any of the boxes."""
    m = np.zeros((h, w), bool)
    for x0, y0, x1, y1 in boxes:
        c0, c1 = max(0, int(np.ceil(x0 - 0.5))), min(w, int(np.floor(x1 - 0.5)) + 1)
        r0, r1 = max(0, int(np.ceil(y0 - 0.5))), min(h, int(np.floor(y1 - 0.5)) + 1)
        m[r0:r1, c0:c1] = True
    return m


def check_page(rec: ECGRecord, grid_color: str) -> dict:
    page = render_page(rec, RenderSpec(grid_color=grid_color, **SPEC))
    img = page.image
    h, w = img.shape[:2]

    # 1. polylines -> samples through the stored geometry, within half a pixel's worth.
    for p in page.panels:
        i = np.arange(p.sample_start, p.sample_end)
        t = p.t0_s + (p.polyline[:, 0] - p.x0_px) / p.px_per_s
        v = (p.baseline_px - p.polyline[:, 1]) / p.px_per_mv
        assert np.abs(t - i / rec.fs).max() < 0.5 / p.px_per_s
        assert np.abs(v - reference_at(rec, p.lead, i / rec.fs)).max() < 0.5 / p.px_per_mv

    # 2a. points along every polyline (one per px) fall on trace ink.
    ink = img.max(axis=2) < INK
    pts = np.concatenate([densify(p.polyline, 1.0) for p in page.panels])
    pts = pts[(pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)]
    on_ink = ink[pts[:, 1].astype(int), pts[:, 0].astype(int)].mean()
    assert on_ink >= 0.99, f"only {on_ink:.2%} of polyline points on ink"

    # 2b. trace ink inside lead boxes (labels, pulses, separators left out) lies on a polyline.
    region = in_boxes(h, w, [p.box for p in page.panels])
    region &= ~in_boxes(h, w, page.calibration_boxes + page.text_boxes)
    yy, xx = np.nonzero(ink & region)
    tree = cKDTree(np.concatenate([densify(p.polyline, 0.25) for p in page.panels]))
    dist, _ = tree.query(np.stack([xx + 0.5, yy + 0.5], axis=1), distance_upper_bound=3.0)
    near = (dist <= 1.5).mean()
    assert near >= 0.98, f"only {near:.2%} of ink pixels within 1.5 px of a polyline"

    # 3. the naive digitizer.
    summary = summarize(fidelity(page, rec))
    print(
        f"{rec.record_id} fs={rec.fs:g} grid={grid_color}: on-ink {on_ink:.4f}, near {near:.4f}, "
        f"median r {summary['median_r']:.4f}, median SNR {summary['median_snr_db']:.1f} dB"
    )
    assert summary["median_r"] >= 0.97
    assert summary["median_snr_db"] >= 10.0
    return summary


@pytest.mark.shared_data
@pytest.mark.parametrize("rel, grid_color", REAL, ids=[r for r, _ in REAL])
def test_real_records_round_trip(shared_data, rel, grid_color):
    check_page(read_wfdb(shared_data / rel), grid_color)


@pytest.mark.parametrize("idx", range(5))
def test_synthetic_records_round_trip(idx):
    recs = synthetic_records()
    if idx >= len(recs):
        pytest.skip("ecginstruct.synthetic not available")
    check_page(recs[idx], ["red", "pink", "green", "blue", "grey"][idx])


def test_fidelity_on_cabrera_and_comparison_pages():
    a, b = toy_record(seed=3), toy_record(seed=4, fs=250)
    fid = fidelity(render_page(a, RenderSpec(lead_order="cabrera")), a)
    assert "-aVR" in fid and fid["-aVR"]["r"] > 0.95
    a.meta["paired_record"] = b
    fid = fidelity(render_page(a, RenderSpec()), a)
    assert {"V6", "ECG2/V6"} <= set(fid) and len(fid) == 24
    assert summarize(fid)["median_r"] >= 0.97


def test_fidelity_notices_a_wrong_image():
    rec = toy_record(seed=5)
    page = render_page(rec, RenderSpec())
    blank = np.full_like(page.image, 255)
    shifted = np.roll(page.image, 60, axis=1)  # 60 px = 0.3 s late
    assert summarize(fidelity(page, rec, image=shifted))["median_r"] < 0.5
    fid = fidelity(page, rec, image=blank)
    assert all(v["n"] == 0 for v in fid.values())
