"""The synthetic source: lead identities, exact measurements checked against the drawn waves,
condition morphology, determinism and the source API."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ecginstruct.manifests import load_source_manifest
from ecginstruct.seeding import rng_for
from ecginstruct.sources import get_source
from ecginstruct.sources.base import standardise
from ecginstruct.sources.synthetic import SyntheticSource
from ecginstruct.synthetic import (
    CODES,
    normalise_conditions,
    report_text,
    simulate,
    simulate_record,
)
from ecginstruct.types import STANDARD_LEADS, ConfigError, ECGRecord, RecordNotFound

L = {name: i for i, name in enumerate(STANDARD_LEADS)}
COMBOS = ["NORM", "SBRAD", "STACH", "AFIB", "1AVB", "RBBB", "LBBB", "PVC"]
COMBOS += ["AFIB+RBBB", "SR+1AVB+PVC", "AFIB+LBBB+PVC", "SBRAD+1AVB", "STACH+RBBB"]


def sim(conditions, seed=0, **kw):
    return simulate(rng_for(seed, str(conditions), "test"), conditions=conditions, **kw)


def beats(s, kind="N"):
    f = s.meta["fiducials"]
    return [{k: f[k][i] for k in f} for i, t in enumerate(s.meta["beat_types"]) if t == kind]


def window(s, lead, a, b):
    return s.signal[L[lead], a : b + 1].astype(np.float64)


# ------------------------------------------------------------------ lead identities


@pytest.mark.parametrize("conditions", COMBOS)
def test_limb_leads_obey_einthoven_and_goldberger_exactly_with_noise(conditions):
    x = sim(conditions.split("+")).signal
    assert x.dtype == np.float32 and x.shape == (12, 5000)
    i, ii = x[0], x[1]
    assert np.array_equal(x[L["III"]], ii - i)
    assert np.array_equal(x[L["aVR"]], -(i + ii) / np.float32(2))
    assert np.array_equal(x[L["aVL"]], i - ii / np.float32(2))
    assert np.array_equal(x[L["aVF"]], ii - i / np.float32(2))
    # and in physical terms: aVR + aVL + aVF = 0
    assert np.abs(x[3] + x[4] + x[5]).max() < 1e-5


def test_records_pass_the_common_signal_checks():
    for c in COMBOS:
        s = sim(c.split("+"))
        sig, fs, _ = standardise(s.signal, STANDARD_LEADS, s.fs, source="synthetic", record_id=c)
        assert np.array_equal(sig, s.signal) and fs == 500.0


# ------------------------------------------------------------------ exact fiducials/measurements


@pytest.mark.parametrize("conditions", ["NORM", "1AVB+PVC", "RBBB", "LBBB+PVC", "STACH"])
def test_fiducials_bound_the_drawn_waves_exactly(conditions):
    """Without noise the signal is exactly 0 outside the waves, non-zero strictly inside, and
    clearly visible (> 20 uV in some lead) within 10 ms of every onset and offset."""
    s = sim(conditions.split("+"), noise=False)
    f = s.meta["fiducials"]
    amp = np.abs(s.signal).max(axis=0)
    inside = np.zeros(amp.size, dtype=bool)
    k = int(0.010 * s.fs)
    waves = [("p_on", "p_off"), ("qrs_on", "qrs_off"), ("t_on", "t_off")]
    spans = [(a, b, on) for on, off in waves for a, b in zip(f[on], f[off]) if a >= 0]
    for a, b, _ in spans:
        assert 0 <= a < b < amp.size
        inside[a + 1 : b] = True
    for a, b, kind in spans:
        assert amp[a] == 0.0 or inside[a]  # touches a neighbour (J point, P in a fast T)
        assert (amp[a + 1 : b] > 0).all()
        thresh = 0.005 if kind == "t_on" else 0.02
        assert amp[a + 1 : a + k + 1].max() > thresh
        assert amp[b - k : b].max() > thresh
    assert (amp[~inside] == 0.0).all()


@pytest.mark.parametrize("conditions", ["NORM", "SBRAD+1AVB", "AFIB+RBBB", "LBBB+PVC"])
def test_measurements_equal_the_fiducials(conditions):
    s = sim(conditions.split("+"))
    m, fs = s.measurements, s.fs
    assert m.origin == "synthetic"
    on = np.array(s.meta["fiducials"]["qrs_on"])
    rr = np.diff(on).mean() * 1000 / fs
    assert m.rr_ms == pytest.approx(rr, abs=1e-9)
    assert m.hr_bpm == pytest.approx(60000 / rr, abs=1e-9)
    assert m.qtc_ms == pytest.approx(m.qt_ms / np.sqrt(rr / 1000), abs=1e-9)
    for b in beats(s):
        assert m.qrs_ms == (b["qrs_off"] - b["qrs_on"]) * 1000 / fs
        assert m.qt_ms == (b["t_off"] - b["qrs_on"]) * 1000 / fs
        if "AFIB" in conditions:
            assert b["p_on"] == -1 and m.pr_ms is None and m.p_axis_deg is None
        else:
            assert m.pr_ms == (b["qrs_on"] - b["p_on"]) * 1000 / fs
    json.dumps(m.to_dict())  # plain floats
    json.dumps(s.meta)


def _axis(s, lead_sum):
    return np.degrees(np.arctan2(lead_sum("aVF"), lead_sum("I")))


@pytest.mark.parametrize("conditions", ["NORM", "RBBB", "LBBB", "1AVB"])
def test_axes_are_atan2_of_net_areas_in_avf_and_i(conditions):
    clean = sim(conditions.split("+"), noise=False)
    b = beats(clean)[1]
    m = clean.measurements
    for (on, off), want in [
        (("qrs_on", "qrs_off"), m.qrs_axis_deg),
        (("p_on", "p_off"), m.p_axis_deg),
        (("t_on", "t_off"), m.t_axis_deg),
    ]:
        got = _axis(clean, lambda lead, on=on, off=off: window(clean, lead, b[on], b[off]).sum())
        assert got == pytest.approx(want, abs=1e-3)
    # with noise and baseline wander, measured against the PR segment, still within 3 degrees
    noisy = sim(conditions.split("+"))

    def area(lead):
        tot = 0.0
        for b in beats(noisy):
            base = window(noisy, lead, b["p_off"] + 1, b["qrs_on"]).mean()
            tot += (window(noisy, lead, b["qrs_on"], b["qrs_off"]) - base).sum()
        return tot

    assert _axis(noisy, area) == pytest.approx(noisy.measurements.qrs_axis_deg, abs=3.0)


@pytest.mark.parametrize("conditions", ["NORM", "SBRAD", "STACH", "AFIB", "RBBB", "LBBB", "1AVB"])
def test_neurokit_finds_the_beats_and_the_heart_rate(conditions):
    """neurokit2's detector (ecg_clean + ecg_peaks on lead II) puts its R peaks inside our QRS
    complexes, finds (nearly) all of them and gets the same rate. Its filters need ~0.75 s to
    settle, so peaks and beats that close to the record's ends are not compared."""
    nk = pytest.importorskip("neurokit2")
    for seed in range(2):
        s = sim([conditions], seed=seed)
        clean = nk.ecg_clean(s.signal[L["II"]], sampling_rate=s.fs)
        peaks = np.asarray(nk.ecg_peaks(clean, sampling_rate=s.fs)[1]["ECG_R_Peaks"])
        f = s.meta["fiducials"]
        on, off = np.array(f["qrs_on"]), np.array(f["qrs_off"])
        edge, n = 0.75 * s.fs, s.signal.shape[1]
        peaks = peaks[(peaks > edge) & (peaks < n - edge)]
        beats_in = (on > edge) & (off < n - edge)
        slack = 0.05 * s.fs
        hit = [np.any((p >= on - slack) & (p <= off + slack)) for p in peaks]
        found = [np.any((peaks >= a - slack) & (peaks <= b + slack)) for a, b in zip(on, off)]
        assert np.mean(hit) >= 0.9
        assert np.mean(np.array(found)[beats_in]) >= 0.9
        hr = 60.0 * s.fs / np.diff(peaks).mean()
        assert hr == pytest.approx(60.0 * s.fs / np.diff(on[beats_in]).mean(), abs=2.0)
        if conditions != "AFIB":  # regular: any span gives the record's rate
            assert hr == pytest.approx(s.measurements.hr_bpm, abs=2.0)


# ------------------------------------------------------------------ conditions


def test_rate_and_interval_labels_hold_over_many_records():
    for c in ["NORM", "SBRAD", "STACH", "AFIB", "1AVB", "RBBB", "LBBB", "PVC", "STACH+PVC"]:
        for seed in range(15):
            s = sim(c.split("+"), seed=seed)
            m, labels = s.measurements, set(s.labels)
            assert len(labels & {"SR", "SBRAD", "STACH", "AFIB"}) == 1
            if labels & {"SR", "NORM"}:
                assert 60 <= m.hr_bpm <= 100
            if "SBRAD" in labels:
                assert m.hr_bpm < 60
            if "STACH" in labels:
                assert m.hr_bpm > 100
            if "1AVB" in labels:
                assert 200 < m.pr_ms <= 322
            elif "AFIB" not in labels:
                assert 120 <= m.pr_ms <= 200
            if labels & {"RBBB", "LBBB"}:
                assert m.qrs_ms >= 120
            else:
                assert m.qrs_ms < 120
            if "NORM" in labels:
                assert -30 <= m.qrs_axis_deg <= 90 and m.qtc_ms < 460


def test_atrial_fibrillation_is_irregular_without_p_waves_with_fine_f_waves():
    for seed in range(10):
        s = sim(["AFIB"], seed=seed, noise=False)
        f = s.meta["fiducials"]
        assert set(f["p_on"]) == {-1}
        rr = np.diff(f["qrs_on"])
        assert rr.std() / rr.mean() >= 0.15
        # between T end and the next QRS only the fibrillatory baseline is left
        tq = np.concatenate(
            [s.signal[:, a + 1 : b] for a, b in zip(f["t_off"][:-1], f["qrs_on"][1:])], axis=1
        )
        assert 0.015 <= np.abs(tq).max() <= 0.1 + 1e-6
        assert 0.03 <= s.meta["f_wave_mv"] <= 0.1
    sr = sim(["SR"], noise=False)
    assert set(sr.meta["fiducials"]["p_on"]) != {-1}


def test_normal_ecg_morphology():
    for seed in range(12):
        s = sim(["NORM"], seed=seed, noise=False)
        b = beats(s)[1]

        def part(lead, on, off, s=s, b=b):
            return window(s, lead, b[on], b[off])

        assert part("II", "p_on", "p_off").sum() > 0  # upright P in II
        for w in [("p_on", "p_off"), ("qrs_on", "qrs_off"), ("t_on", "t_off")]:
            assert part("aVR", *w).sum() < 0  # P, QRS and T negative in aVR
        r = {v: part(v, "qrs_on", "qrs_off").max() for v in STANDARD_LEADS[6:]}
        sw = {v: -part(v, "qrs_on", "qrs_off").min() for v in STANDARD_LEADS[6:]}
        assert r["V1"] < sw["V1"]  # rS in V1
        assert r["V5"] > sw["V5"] and r["V6"] > sw["V6"]  # tall R laterally
        assert r["V1"] < r["V3"] < r["V5"] or r["V1"] < r["V4"]  # R-wave progression
        transition = next(v for v in STANDARD_LEADS[6:] if r[v] > sw[v])
        assert transition in ("V2", "V3", "V4", "V5")
        ptp = {v: r[v] + sw[v] for v in ("V2", "V3", "V4")}
        assert all(0.5 <= p <= 3.5 for p in ptp.values())
        t_ii = part("II", "t_on", "t_off").max()
        assert 0.05 <= t_ii <= 0.6
        p_ii = part("II", "p_on", "p_off").max()
        assert 0.05 <= p_ii <= 0.25


def test_right_bundle_branch_block_morphology():
    for seed in range(8):
        s = sim(["RBBB"], seed=seed, noise=False)
        b = beats(s)[1]
        q0, q1 = b["qrs_on"], b["qrs_off"]
        late = q0 + int(0.6 * (q1 - q0))
        v1 = window(s, "V1", q0, q1)
        assert window(s, "V1", late, q1).max() > 0.15  # terminal R' in V1
        assert v1[: late - q0].min() < 0  # ... after an S (rsR')
        for lead in ("I", "V6"):  # broad terminal S in I and V6
            term = window(s, lead, late, q1)
            assert term.min() < -0.05
            assert (term < 0).sum() / s.fs >= 0.03
        for lead in ("V1", "V2"):  # secondary T inversion
            assert window(s, lead, b["t_on"], b["t_off"]).sum() < 0


def test_left_bundle_branch_block_morphology():
    for seed in range(8):
        s = sim(["LBBB"], seed=seed, noise=False)
        b = beats(s)[1]
        q0, q1 = b["qrs_on"], b["qrs_off"]
        v1 = window(s, "V1", q0, q1)
        assert v1.sum() < 0 and v1.min() < -0.4  # QS / rS in V1
        for lead in ("I", "V6"):
            qrs = window(s, lead, q0, q1)
            early = window(s, lead, q0, q0 + int(0.02 * s.fs))
            assert qrs.sum() > 0 and early.min() > -0.02  # broad R, no septal q
            t = window(s, lead, b["t_on"], b["t_off"])
            assert t.sum() < 0  # discordant T
        assert window(s, "V1", b["t_on"], b["t_off"]).sum() > 0


def test_premature_ventricular_complexes():
    for seed in range(8):
        s = sim(["PVC"], seed=seed, noise=False)
        f, types = s.meta["fiducials"], s.meta["beat_types"]
        assert "V" in types and types[0] == "N" and types[-1] == "N"
        on = np.array(f["qrs_on"])
        sinus_rr = np.median(
            [on[i + 1] - on[i] for i in range(len(on) - 1) if "V" not in types[i : i + 2]]
        )
        for i, t in enumerate(types):
            if t != "V":
                continue
            assert f["p_on"][i] == -1  # no P wave
            assert (f["qrs_off"][i] - on[i]) / s.fs >= 0.12  # wide
            assert on[i] - on[i - 1] < 0.86 * sinus_rr  # early
            assert on[i + 1] - on[i - 1] == pytest.approx(2 * sinus_rr, rel=0.05)  # compensatory
            lead = int(np.argmax(np.abs(s.signal[:, on[i] : f["qrs_off"][i]].sum(axis=1))))
            qrs_area = s.signal[lead, on[i] : f["qrs_off"][i]].sum()
            t_area = s.signal[lead, f["t_on"][i] : f["t_off"][i]].sum()
            assert np.sign(qrs_area) != np.sign(t_area)  # discordant T


def test_condition_lists_are_checked_and_completed():
    assert normalise_conditions(None) == ("NORM", "SR")
    assert normalise_conditions(["SR"]) == ("NORM", "SR")
    assert normalise_conditions("AFIB+RBBB") == ("AFIB", "RBBB")
    assert normalise_conditions(["PVC", "1AVB"]) == ("1AVB", "PVC", "SR")
    for bad, word in [
        (["AFIB", "1AVB"], "1AVB"),
        (["RBBB", "LBBB"], "LBBB"),
        (["SR", "STACH"], "STACH"),
        (["NORM", "PVC"], "PVC"),
        (["LQT"], "LQT"),
    ]:
        with pytest.raises(ConfigError, match=word):
            normalise_conditions(bad)
    assert report_text(("1AVB", "RBBB", "SR")) == (
        "Sinus rhythm with first-degree AV block. Right bundle branch block."
    )
    assert (
        report_text(("AFIB", "PVC")) == "Atrial fibrillation with premature ventricular complexes."
    )
    assert report_text(("NORM", "SR")) == "Sinus rhythm. Normal ECG."


@pytest.mark.parametrize("fs", [100.0, 250.0, 1000.0])
def test_other_sampling_rates_keep_exact_measurements(fs):
    s = sim(["SR", "1AVB", "PVC"], fs=fs, duration_s=8.0)
    assert s.signal.shape == (12, int(8 * fs)) and s.fs == fs
    b = beats(s)[0]
    assert s.measurements.pr_ms == (b["qrs_on"] - b["p_on"]) * 1000 / fs > 200
    assert np.array_equal(s.signal[2], s.signal[1] - s.signal[0])
    with pytest.raises(ConfigError, match="fs"):
        sim(None, fs=20.0)
    with pytest.raises(ConfigError, match="duration"):
        sim(None, duration_s=1.0)


# ------------------------------------------------------------------ source API and determinism


def test_simulate_record_builds_a_labelled_record():
    rec = simulate_record(np.random.default_rng(3), ["AFIB", "RBBB"], record_id="x")
    assert isinstance(rec, ECGRecord)
    assert rec.record_id == "x" and rec.source == "synthetic" and rec.leads == STANDARD_LEADS
    assert rec.labels == ("AFIB", "RBBB")
    assert rec.source_labels == {"AFIB": 100.0, "RBBB": 100.0}
    assert rec.report == "Atrial fibrillation. Right bundle branch block."
    assert rec.report_language == "en"
    assert 18 <= rec.demographics.age <= 90 and rec.demographics.sex in ("M", "F")
    assert "unmapped_labels" not in rec.meta


def test_source_ids_patients_and_errors():
    src = get_source("synthetic", None, n_records=300, seed=1)
    assert isinstance(src, SyntheticSource) and src.name == "synthetic"
    refs = list(src.refs())
    assert [r.record_id for r in refs[:2]] == ["syn-00000000", "syn-00000001"]
    assert refs[-1].record_id == "syn-00000299"
    per_patient: dict[str, int] = {}
    for r in refs:
        per_patient[r.patient_id] = per_patient.get(r.patient_id, 0) + 1
    assert set(per_patient.values()) == {1, 2}
    assert sum(v == 2 for v in per_patient.values()) / len(per_patient) == pytest.approx(1 / 3)
    a, b = src.load(refs[0]), src.load(refs[1])  # same patient: same sex, about the same age
    assert a.patient_id == b.patient_id == refs[0].patient_id
    assert a.demographics.sex == b.demographics.sex
    assert 0 <= b.demographics.age - a.demographics.age <= 2
    for bad in ["syn-00000300", "syn-1", "ptb-00000001"]:
        with pytest.raises(RecordNotFound) as e:
            src.load_id(bad)
        assert e.value.source == "synthetic" and e.value.record_id == bad


def test_loading_is_deterministic_and_order_independent():
    one = SyntheticSource(n_records=20, seed=5)
    two = SyntheticSource(n_records=20, seed=5)
    for rid in ["syn-00000017", "syn-00000003"]:
        two.load_id(rid)
    x, y = one.load_id("syn-00000009"), two.load_id("syn-00000009")
    assert x.signal.tobytes() == y.signal.tobytes()
    assert x.labels == y.labels and x.measurements == y.measurements and x.meta == y.meta
    other = SyntheticSource(n_records=20, seed=6).load_id("syn-00000009")
    assert other.signal.tobytes() != x.signal.tobytes()


def test_condition_mix_weights_the_labels():
    only_af = SyntheticSource(n_records=12, conditions={"AFIB": 1.0, "AFIB+RBBB": 0.0})
    assert all(only_af.load(r).labels == ("AFIB",) for r in only_af.refs())
    combo = SyntheticSource(n_records=4, conditions={"SR+1AVB+PVC": 1})
    assert {combo.load(r).labels for r in combo.refs()} == {("1AVB", "PVC", "SR")}
    mixed = SyntheticSource(n_records=200)
    seen = {c for r in mixed.refs() for c in mixed.load(r).labels}
    assert seen == set(CODES)
    for bad in [{"AFIB": -1}, {"XYZ": 1}, {"AFIB": 0}, {"AFIB+1AVB": 1}, {}]:
        with pytest.raises(ConfigError):
            SyntheticSource(conditions=bad)


def test_manifest_describes_the_source():
    m = load_source_manifest("synthetic")
    assert m["name"] == "synthetic" and m["license"] == "Apache-2.0"
    assert m["download"].startswith("none")
    for code in CODES:
        assert code in m["label_vocabulary"]
