"""Measurements from the signal (neurokit2) against synthetic ground truth and real PTB-XL."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.signal import resample_poly

from ecginstruct.measure import FIELDS, ensure_measurements
from ecginstruct.synthetic.generator import simulate_record
from ecginstruct.types import BadSignal, ECGRecord, Measurements

TOL = {"hr_bpm": 3.0, "pr_ms": 30.0, "qrs_ms": 20.0, "qt_ms": 40.0, "qrs_axis_deg": 15.0}
CONDITIONS = [
    ["SR"],
    ["SBRAD"],
    ["STACH"],
    ["SR", "1AVB"],
    ["SR", "RBBB"],
    ["SR", "LBBB"],
    ["SR", "PVC"],
    ["AFIB"],
    ["SR", "RBBB", "PVC"],
    ["AFIB", "LBBB"],
    ["STACH", "PVC"],
    ["SBRAD", "1AVB"],
]


def _blank(record: ECGRecord) -> ECGRecord:
    return dataclasses.replace(record, measurements=Measurements(), meta={})


@pytest.fixture(scope="module")
def synthetic_500():
    out = []
    for i, cond in enumerate(CONDITIONS):
        truth = simulate_record(np.random.default_rng(1000 + i), cond, record_id=f"m{i}")
        out.append((truth, ensure_measurements(_blank(truth))))
    return out


def _error(field: str, got: float, want: float) -> float:
    e = got - want
    return (e + 180.0) % 360.0 - 180.0 if field == "qrs_axis_deg" else e


def test_computed_measurements_match_synthetic_truth(synthetic_500):
    """Every field of every record within tolerance: HR counts premature beats too (a PVC that
    is small in lead II is still a beat), PR/QRS/QT/axis come from the median beat."""
    misses = {f: [] for f in TOL}
    for truth, got in synthetic_500:
        assert got.measurements.origin == "computed"
        assert set(got.meta["measurement_origin"].values()) == {"computed"}
        for f in TOL:
            want = getattr(truth.measurements, f)
            if want is None:  # no PR in atrial fibrillation
                continue
            value = getattr(got.measurements, f)
            if value is None or abs(_error(f, value, want)) > TOL[f]:
                misses[f].append((truth.labels, value, want))
    assert misses == {f: [] for f in TOL}


def test_qtc_is_bazett_of_computed_values(synthetic_500):
    for _, got in synthetic_500:
        m = got.measurements
        if m.qt_ms is not None:
            assert m.qtc_ms == pytest.approx(m.qt_ms / np.sqrt(m.rr_ms / 1000.0), abs=0.2)
            assert m.hr_bpm == pytest.approx(60000.0 / m.rr_ms, abs=0.2)


def test_source_values_stay_and_origin_is_mixed():
    truth = simulate_record(np.random.default_rng(7), ["SR"], record_id="mixed")
    given = dataclasses.replace(
        truth.measurements, pr_ms=None, qt_ms=None, qtc_ms=None, hr_bpm=None, origin="synthetic"
    )
    got = ensure_measurements(dataclasses.replace(truth, measurements=given))
    m, origin = got.measurements, got.meta["measurement_origin"]
    assert m.qrs_ms == truth.measurements.qrs_ms  # kept exactly
    assert origin["qrs_ms"] == "synthetic" and origin["rr_ms"] == "synthetic"
    assert origin["hr_bpm"] == "synthetic"  # derived from the given RR, not measured
    assert origin["pr_ms"] == "computed" and origin["qt_ms"] == "computed"
    assert m.origin == "mixed"
    assert abs(m.pr_ms - truth.measurements.pr_ms) <= TOL["pr_ms"]
    assert truth.measurements.pr_ms is not None  # the input record is not modified


def test_complete_source_measurements_are_not_recomputed():
    truth = simulate_record(np.random.default_rng(8), ["SR"], record_id="full")
    flat = dataclasses.replace(truth, signal=np.zeros_like(truth.signal))  # would fail if measured
    got = ensure_measurements(flat)
    assert got.measurements == truth.measurements
    assert set(got.meta["measurement_origin"].values()) == {"synthetic"}


def test_no_beats_raises_bad_signal_naming_the_record():
    rec = ECGRecord(
        record_id="flat1", source="test", signal=np.zeros((12, 5000), np.float32), fs=500
    )
    with pytest.raises(BadSignal, match=r"\[test:flat1\].*no heart beats"):
        ensure_measurements(rec)


def test_100_hz_record_is_resampled_and_agrees_with_500_hz(synthetic_500):
    truth, at_500 = synthetic_500[0]
    low = dataclasses.replace(
        _blank(truth), signal=resample_poly(truth.signal, 1, 5, axis=1).astype(np.float32), fs=100.0
    )
    got = ensure_measurements(low)
    assert "resampled from 100 Hz to 500 Hz" in got.meta["measurement_notes"][0]
    for f in TOL:
        assert (
            abs(_error(f, getattr(got.measurements, f), getattr(truth.measurements, f))) <= TOL[f]
        ), f


@pytest.mark.shared_data
def test_real_ptbxl_records(shared_data):
    from ecginstruct.sources import get_source

    src = get_source("ptbxl", root=str(shared_data / "ptbxl"))
    refs = {r.record_id: r for r in src.refs()}
    results = {}
    for rid in ("6002", "6003", "6004"):  # sinus bradycardia, sinus tachycardia, normal
        rec = ensure_measurements(src.load(refs[rid]))
        m = rec.measurements
        assert all(getattr(m, f) is not None for f in FIELDS), (rid, m)
        assert 60 <= m.qrs_ms <= 130 and 280 <= m.qt_ms <= 520 and 80 <= m.pr_ms <= 320
        assert -30 <= m.qrs_axis_deg <= 100  # NORM records: normal frontal axis
        results[rid] = m
    assert results["6002"].hr_bpm < 60 < results["6004"].hr_bpm < 100 < results["6003"].hr_bpm
    # sinus bradycardia at 41 bpm and sinus tachycardia at 124 bpm (RR read off the R peaks)
    assert results["6002"].hr_bpm == pytest.approx(41, abs=2)
    assert results["6003"].hr_bpm == pytest.approx(124, abs=2)
    assert results["6002"].pr_ms < 220  # no first-degree AV block in the cardiologists' report


def test_fibrillatory_waves_give_no_pr_even_without_labels():
    """The signal alone says there are no P waves bound to the QRS: f waves differ beat to beat,
    so PR stays unknown even when the record carries no AFIB label."""
    for seed in range(4):
        rec = simulate_record(np.random.default_rng(50 + seed), ["AFIB"], record_id="af")
        out = ensure_measurements(dataclasses.replace(_blank(rec), labels=()))
        assert out.measurements.pr_ms is None, seed
        assert out.measurements.qt_ms is not None


def test_premature_beats_stay_out_of_the_median_beat():
    """Frequent PVCs (wide, other axis) change neither QRS width nor axis of the measurement:
    they are counted for the heart rate but not averaged into the representative beat."""
    rec = simulate_record(np.random.default_rng(11), ["SR", "PVC"], record_id="pvc")
    assert "V" in rec.meta["beat_types"]
    got = ensure_measurements(_blank(rec)).measurements
    assert abs(got.hr_bpm - rec.measurements.hr_bpm) <= 1.0
    assert abs(got.qrs_ms - rec.measurements.qrs_ms) <= TOL["qrs_ms"]
    assert abs(_error("qrs_axis_deg", got.qrs_axis_deg, rec.measurements.qrs_axis_deg)) <= 5.0


def test_no_pr_interval_for_atrial_fibrillation():
    """AF has no P waves: a PR read off the fibrillatory baseline must not reach any answer."""
    import dataclasses

    import numpy as np

    from ecginstruct.measure import ensure_measurements
    from ecginstruct.sources.synthetic import simulate_record
    from ecginstruct.types import Measurements

    rec = simulate_record(np.random.default_rng(3), ["AFIB"], record_id="af")
    rec = dataclasses.replace(rec, measurements=Measurements())  # force computing everything
    out = ensure_measurements(rec)
    assert out.measurements.pr_ms is None
    assert out.measurements.hr_bpm is not None
    assert any("PR not measured" in n for n in out.meta["measurement_notes"])
