"""MIMIC-IV-ECG source: fixtures in the true layout (written here), the real companion CSVs."""

from __future__ import annotations

import pickle
import shutil

import numpy as np
import pandas as pd
import pytest

from ecginstruct.fixtures.mimic_iv_ecg import FAKE_ECG_TIME, write_mimic_iv_ecg
from ecginstruct.sources.mimic_iv_ecg import (
    MimicIVECGSource,
    fluent_report,
    measurements_from_row,
    report_lines,
)
from ecginstruct.types import (
    STANDARD_LEADS,
    BadSignal,
    CorruptRecord,
    ECGRecord,
    Measurements,
    RecordNotFound,
    UnsafePath,
)


def toy_record(record_id: str, *, fs: float = 500.0, seconds: float = 10.0, seed: int = 0, **kw):
    """A 12-lead record with beat-like pulses (distinct per lead), in mV."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(fs * seconds)) / fs
    beats = np.zeros_like(t)
    for c in np.arange(0.4, seconds, 0.8):
        beats += np.exp(-0.5 * ((t - c) / 0.012) ** 2) - 0.15 * np.exp(
            -0.5 * ((t - c - 0.25) / 0.04) ** 2
        )
    gains = rng.uniform(0.3, 1.5, 12) * rng.choice([-1, 1], 12)
    signal = gains[:, None] * beats[None, :] + 0.01 * rng.standard_normal((12, t.size))
    return ECGRecord(
        record_id=record_id, source="toy", signal=signal.astype(np.float32), fs=fs, **kw
    )


LINES = ["SINUS RHYTHM WITH 1ST DEGREE A-V BLOCK", "with occasional PVCs", "Borderline ECG"]


@pytest.fixture()
def mimic(tmp_path):
    m = Measurements(rr_ms=800.0, pr_ms=180.0, qrs_ms=96.0, qt_ms=400.0, qrs_axis_deg=45.0)
    recs = [
        toy_record("40000017", patient_id="10000032", seed=1, measurements=m),
        toy_record("40000003", patient_id="10000099", seed=2, report="Sinus rhythm. Normal ECG"),
    ]
    write_mimic_iv_ecg(tmp_path, recs, reports={"40000017": LINES})
    return tmp_path, recs


def test_refs_sorted_from_index_with_patients(mimic):
    root, _ = mimic
    refs = MimicIVECGSource(root).refs()
    assert [r.record_id for r in refs] == ["40000003", "40000017"]
    assert [r.patient_id for r in refs] == ["10000099", "10000032"]
    assert refs[1].extra["path"] == "files/p1000/p10000032/s40000017/40000017"


def test_load_reorders_mimic_leads_and_reads_measurements(mimic):
    root, recs = mimic
    rec = MimicIVECGSource(root).load_id("40000017")
    assert rec.leads == STANDARD_LEADS and rec.fs == 500.0 and rec.signal.shape == (12, 5000)
    # MIMIC stores aVF before aVL: the source must put them back (16-bit, 200 adu/mV rounding)
    np.testing.assert_allclose(rec.signal, recs[0].signal, atol=0.003)
    m = rec.measurements
    assert (m.rr_ms, m.pr_ms, m.qrs_ms, m.qt_ms) == (800.0, 180.0, 96.0, 400.0)
    assert m.hr_bpm == 75.0 and m.qtc_ms == pytest.approx(400 / np.sqrt(0.8), abs=0.1)
    assert m.qrs_axis_deg == 45.0 and m.p_axis_deg is None and m.origin == "source"
    assert rec.patient_id == "10000032"
    assert (
        rec.report == "Sinus rhythm with 1st degree A-V block with occasional PVCs. Borderline ECG."
    )
    assert rec.report_language == "en"
    assert set(rec.source_labels) == set(LINES) and all(
        v is None for v in rec.source_labels.values()
    )
    assert rec.meta["bandwidth"] == "0.005-150 Hz" and rec.meta["machine_report_lines"] == LINES


def test_no_dates_or_cart_ids_on_records(mimic):
    root, _ = mimic
    rec = MimicIVECGSource(root).load_id("40000003")
    flat = repr(rec.meta) + repr(rec.demographics) + str(rec.report)
    assert FAKE_ECG_TIME[:10] not in flat and "2180" not in flat and "6848296" not in flat
    assert rec.report == "Sinus rhythm. Normal ECG."


def test_real_companion_csvs(shared_data):
    d = shared_data / "mimic_iv_ecg"
    refs = MimicIVECGSource(d).refs()
    assert [(r.record_id, r.patient_id) for r in refs] == [("40689238", "10000032")]
    row = MimicIVECGSource(d).machine_row("40689238")
    m = measurements_from_row(row)
    # rr 659, p_onset 40, qrs_onset 170, qrs_end 258, t_end 518 (ms)
    assert (m.rr_ms, m.pr_ms, m.qrs_ms, m.qt_ms) == (659.0, 130.0, 88.0, 348.0)
    assert m.hr_bpm == pytest.approx(91.0, abs=0.1) and m.qtc_ms == pytest.approx(428.7, abs=0.1)
    assert (m.p_axis_deg, m.qrs_axis_deg, m.t_axis_deg) == (81.0, 77.0, 79.0)
    lines = report_lines(row)
    assert lines == ["Sinus rhythm", "Possible right atrial abnormality", "Borderline ECG"]
    assert (
        fluent_report(lines) == "Sinus rhythm. Possible right atrial abnormality. Borderline ECG."
    )
    # no waveform in the sample: loading says which file is missing
    with pytest.raises(RecordNotFound, match="40689238.hea"):
        MimicIVECGSource(d).load_id("40689238")


def test_sentinel_29999_means_unknown():
    row = {"rr_interval": "29999", "p_onset": "29999", "qrs_onset": "170", "qrs_end": "258",
           "t_end": "29999", "p_axis": "29999", "qrs_axis": "-30", "t_axis": ""}  # fmt: skip
    m = measurements_from_row(row)
    assert m.rr_ms is None and m.hr_bpm is None and m.pr_ms is None and m.qt_ms is None
    assert m.qtc_ms is None and m.p_axis_deg is None and m.t_axis_deg is None
    assert m.qrs_ms == 88.0 and m.qrs_axis_deg == -30.0


def test_report_merges_continuations_and_sentence_cases():
    lines = [
        "Inferior/lateral ST-T changes are nonspecific,",
        "probably due to LVH",
        "ABNORMAL ECG",
    ]
    text = fluent_report(lines)
    assert (
        text == "Inferior/lateral ST-T changes are nonspecific, probably due to LVH. Abnormal ECG."
    )
    assert fluent_report([]) is None


def test_missing_machine_row_still_loads(tmp_path):
    write_mimic_iv_ecg(tmp_path, [toy_record("40000001", seed=3)], machine_rows=False)
    rec = MimicIVECGSource(tmp_path).load_id("40000001")
    assert rec.report is None and rec.source_labels == {} and rec.measurements.hr_bpm is None
    assert "machine_measurements" in rec.meta["note"]


def test_bad_inputs_raise_typed_errors_naming_the_record(mimic, tmp_path):
    root, _ = mimic
    src = MimicIVECGSource(root)
    with pytest.raises(RecordNotFound, match="mimic_iv_ecg:123"):
        src.load_id("123")
    dat = next(root.rglob("40000017.dat"))
    dat.write_bytes(dat.read_bytes()[:1000])  # truncated download
    with pytest.raises(CorruptRecord, match=r"\[mimic_iv_ecg:40000017\].*40000017"):
        src.load_id("40000017")

    # malformed index rows and a path escaping the root
    df = pd.read_csv(root / "record_list.csv", dtype=str)
    extra = pd.DataFrame(
        [
            {"subject_id": "x", "study_id": "", "file_name": "", "ecg_time": "", "path": ""},
            {
                "subject_id": "1",
                "study_id": "5",
                "file_name": "5",
                "ecg_time": "",
                "path": "../../etc/x",
            },
        ]
    )
    pd.concat([df, extra]).to_csv(root / "record_list.csv", index=False)
    src = MimicIVECGSource(root)
    ids = [r.record_id for r in src.refs()]
    assert ids == ["5", "40000003", "40000017", "index-row-4"]
    with pytest.raises(CorruptRecord, match="malformed record_list.csv row 4"):
        src.load_id("index-row-4")
    with pytest.raises(UnsafePath, match="escapes"):
        src.load_id("5")


@pytest.mark.parametrize(
    "damage, match",
    [
        (lambda s: s.__setitem__((3, 100), np.nan), "NaN"),
        (lambda s: s.__setitem__(5, 0.0), "flat lead"),
    ],
)
def test_nan_and_flat_leads(tmp_path, damage, match):
    rec = toy_record("40000005", seed=4)
    damage(rec.signal)
    write_mimic_iv_ecg(tmp_path, [rec])
    with pytest.raises(BadSignal, match=match):
        MimicIVECGSource(tmp_path).load_id("40000005")


def test_missing_lead_and_odd_sampling_rate(tmp_path):
    write_mimic_iv_ecg(tmp_path, [toy_record("40000006", seed=5)])
    hea = next(tmp_path.rglob("40000006.hea"))
    text = hea.read_text()
    hea.write_text(text.replace(" V6", " V7"))
    with pytest.raises(BadSignal, match="missing lead.*V6"):
        MimicIVECGSource(tmp_path).load_id("40000006")
    hea.write_text(text.replace("40000006 12 500 5000", "40000006 12 20 5000", 1))
    with pytest.raises(BadSignal, match="sampling rate 20"):
        MimicIVECGSource(tmp_path).load_id("40000006")


def test_pickles_and_loads_the_same(mimic):
    root, _ = mimic
    src = MimicIVECGSource(root)
    a = src.load_id("40000017")
    b = pickle.loads(pickle.dumps(src)).load_id("40000017")
    assert a.signal.tobytes() == b.signal.tobytes() and a.report == b.report


def test_real_layout_copy_is_not_needed_for_refs(mimic, tmp_path):
    root, _ = mimic
    shutil.rmtree(root / "files")
    assert len(MimicIVECGSource(root).refs()) == 2  # refs read the index only


@pytest.mark.parametrize(
    "name, cls",
    [
        ("mimic_iv_ecg", "MimicIVECGSource"),
        ("code15", "Code15Source"),
        ("cpsc2018", "CPSC2018Source"),
        ("ecgqa", "ECGQASource"),
    ],
)
def test_registered_in_sources_table(tmp_path, name, cls):
    from ecginstruct.sources import get_source

    src = get_source(name, root=str(tmp_path))
    assert type(src).__name__ == cls and src.name == name
