"""PTB-XL source: fixtures written in the true layout, then the real samples in ../shared/data."""

from __future__ import annotations

import ast
import dataclasses
import pickle
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy.signal import resample_poly

from ecginstruct.fixtures import write_ptbxl
from ecginstruct.fixtures.ptbxl import SCP_STATEMENTS
from ecginstruct.language import detect_language
from ecginstruct.seeding import rng_for
from ecginstruct.sources import get_source
from ecginstruct.sources.ptbxl import PTBXLSource
from ecginstruct.sources.synthetic import SyntheticSource
from ecginstruct.synthetic import simulate_record
from ecginstruct.types import STANDARD_LEADS, ConfigError, Demographics, RecordNotFound

QUANTUM_MV = 0.0005  # half an ADC step at 1000 units/mV


def _record(rid, conditions, scp, *, age=61.0, sex="M", patient="3", report="sinus rhythm."):
    rec = simulate_record(rng_for(0, rid, "test-ptbxl"), conditions, record_id=rid)
    return dataclasses.replace(
        rec,
        patient_id=patient,
        source_labels=scp,
        report=report,
        demographics=Demographics(age=age, sex=sex),
        meta={"strat_fold": 9},
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    records = [
        _record("1", ["SR"], {"NORM": 100.0, "SR": 0.0}, report="sinus rhythm. normal ecg."),
        _record(
            "1205",
            ["SR", "RBBB"],
            {"IMI": 100.0, "LVH": 50.0, "NT_": 0.0, "SR": 0.0, "XYZ1": 15.0},
            age=95.0,
            sex="F",
            patient="12",
            report="sinusrhythmus lagetyp normal sonst normales ekg",
        ),
        _record("7", ["AFIB"], {"AFIB": 0.0, "ISC_": 100.0}, patient="3", report=""),
    ]
    root = write_ptbxl(tmp_path_factory.mktemp("ptbxl"), records)
    return root, {r.record_id: r for r in records}


def test_refs_from_the_index_sorted_with_patient_and_fold(written):
    root, _ = written
    refs = PTBXLSource(root).refs()
    assert [r.record_id for r in refs] == ["1", "7", "1205"]  # numeric order of ecg_id
    assert [r.patient_id for r in refs] == ["3", "3", "12"]
    assert all(r.extra["strat_fold"] == 9 for r in refs)
    assert refs[2].extra["path"] == "records500/01000/01205_hr"
    assert [r.extra["path"] for r in PTBXLSource(root, resolution=100).refs()][2] == (
        "records100/01000/01205_lr"
    )


def test_refs_read_no_signal_file(written, tmp_path):
    root, _ = written
    copy = tmp_path / "ptbxl"
    shutil.copytree(root, copy)
    shutil.rmtree(copy / "records500")
    src = PTBXLSource(copy)
    assert len(src.refs()) == 3
    with pytest.raises(RecordNotFound, match="missing"):
        src.load_id("7")


def test_load_500hz_round_trip(written):
    root, originals = written
    src = get_source("ptbxl", str(root))
    for ref in src.refs():
        rec, orig = src.load(ref), originals[ref.record_id]
        assert rec.source == "ptbxl" and rec.record_id == ref.record_id
        assert rec.leads == STANDARD_LEADS and rec.fs == 500.0
        assert rec.signal.dtype == np.float32 and rec.signal.shape == (12, 5000)
        assert np.abs(rec.signal - orig.signal).max() <= QUANTUM_MV + 1e-6
        assert rec.patient_id == ref.patient_id


def test_load_100hz_is_the_downsampled_signal(written):
    root, originals = written
    rec = PTBXLSource(root, resolution=100).load_id("1")
    assert rec.fs == 100.0 and rec.signal.shape == (12, 1000)
    # records100 holds the anti-aliased (polyphase-filtered) 100 Hz version of the same ECG
    expected = resample_poly(originals["1"].signal.astype(np.float64), 1, 5, axis=1)
    assert np.abs(rec.signal - expected).max() <= QUANTUM_MV + 1e-6


def test_labels_statement_groups_and_demographics(written):
    root, _ = written
    src = PTBXLSource(root)
    rec = src.load_id("1205")
    assert rec.source_labels == {"IMI": 100.0, "LVH": 50.0, "NT_": 0.0, "SR": 0.0, "XYZ1": 15.0}
    assert rec.meta["diagnostic_superclass"] == ["HYP", "MI"]
    assert rec.meta["diagnostic_subclass"] == ["IMI", "LVH"]
    assert rec.meta["form_statements"] == ["NT_"]
    assert rec.meta["rhythm_statements"] == ["SR"]
    assert rec.meta["unknown_scp_codes"] == ["XYZ1"]  # kept raw, listed, not dropped
    assert rec.meta["strat_fold"] == 9
    # age 95 is written as 300 like PTB-XL; the source shows 90 and says why
    assert pd.read_csv(root / "ptbxl_database.csv").set_index("ecg_id").at[1205, "age"] == 300
    assert rec.demographics == Demographics(age=90.0, sex="F")
    assert "300" in rec.meta["age_note"]
    assert rec.report_language == "de"
    assert src.load_id("1").demographics == Demographics(age=61.0, sex="M")
    assert src.load_id("1").report_language == "en"
    empty = src.load_id("7")
    assert empty.report is None and empty.report_language is None


def test_no_personnel_site_or_date_on_records(written):
    root, _ = written
    db = pd.read_csv(root / "ptbxl_database.csv")
    assert {"nurse", "site", "recording_date", "validated_by"} <= set(db.columns)
    rec = PTBXLSource(root).load_id("1")
    text = repr(dataclasses.replace(rec, signal=np.zeros(1)))
    for key in ("nurse", "site", "recording_date", "validated_by", "height", "weight"):
        assert key not in rec.meta
    assert "1989-03-17" not in text


def test_source_pickles_for_workers(written):
    root, _ = written
    src = PTBXLSource(root)
    src.refs()
    again = pickle.loads(pickle.dumps(src))
    assert again._db is None  # index re-read in the worker, not shipped
    np.testing.assert_array_equal(again.load_id("7").signal, src.load_id("7").signal)


def test_bad_options():
    with pytest.raises(ConfigError, match="resolution"):
        PTBXLSource(".", resolution=250)
    with pytest.raises(ConfigError, match="root"):
        PTBXLSource(None)


@pytest.mark.parametrize(
    "text, lang",
    [
        ("sinusrhythmus p-verbreiterung lagetyp normal st & t abnormal, pathologisch", "de"),
        ("sinustachykardie lagetyp normal sonst normales ekg", "de"),
        ("Vorhofflimmern mit absoluter Arrhythmie", "de"),
        ("sinus rhythm. minor non-specific t wave flattening in v3,4.", "en"),
        ("atrial fibrillation with rapid ventricular response", "en"),
        ("", None),
        (None, None),
        ("st t abnormal", None),  # only words both languages use
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


# ---------------------------------------------------------------------------------------------
# real samples
# ---------------------------------------------------------------------------------------------


def test_fixture_statement_table_matches_the_real_one(shared_data):
    real = pd.read_csv(shared_data / "ptbxl" / "scp_statements.csv", index_col=0)
    assert set(real.index) == set(SCP_STATEMENTS)
    for code, (desc, cls, sub, kind) in SCP_STATEMENTS.items():
        row = real.loc[code]
        assert row["description"] == desc
        assert (row["diagnostic"] == 1) == ("d" in kind), code
        assert (row["form"] == 1) == ("f" in kind), code
        assert (row["rhythm"] == 1) == (kind == "r"), code
        if "d" in kind:
            assert (row["diagnostic_class"], row["diagnostic_subclass"]) == (cls, sub)


@pytest.mark.parametrize(
    "resolution, ids", [(100, ["1"]), (500, ["6000", "6001", "6002", "6003", "6004"])]
)
def test_real_samples(shared_data, resolution, ids):
    root = shared_data / "ptbxl"
    db = pd.read_csv(root / "ptbxl_database.csv", index_col="ecg_id")
    src = PTBXLSource(root, resolution=resolution)
    assert [r.record_id for r in src.refs()] == ["1", "6000", "6001", "6002", "6003", "6004"]
    for rid in ids:
        rec = src.load_id(rid)
        row = db.loc[int(rid)]
        assert rec.leads == STANDARD_LEADS
        assert rec.signal.shape == (12, 10 * resolution) and rec.fs == resolution
        # millivolts: the largest QRS deflection of a 12-lead ECG is a few tenths to a few mV
        ptp = np.ptp(rec.signal, axis=1)
        assert 0.4 < ptp.max() < 6.0 and np.median(ptp) > 0.2
        # Einthoven: III = II - I within quantisation
        assert np.abs(rec.lead("III") - (rec.lead("II") - rec.lead("I"))).max() < 0.01
        assert rec.source_labels == ast.literal_eval(row["scp_codes"])
        assert rec.patient_id == str(int(row["patient_id"]))
        assert rec.demographics.age == row["age"]
        assert rec.demographics.sex == {0: "M", 1: "F"}[row["sex"]]
        assert rec.report == row["report"].strip()
        assert rec.meta["strat_fold"] == row["strat_fold"]
    missing = "6000" if resolution == 100 else "1"
    with pytest.raises(RecordNotFound):
        src.load_id(missing)  # in the index, not downloaded


def test_real_report_languages(shared_data):
    src = PTBXLSource(shared_data / "ptbxl")
    langs = {rid: src.load_id(rid).report_language for rid in ("6000", "6001", "6002", "6003")}
    assert langs == {"6000": "en", "6001": "de", "6002": "en", "6003": "de"}


def test_synthetic_source_records_round_trip_with_their_labels(tmp_path):
    """The demo path: SyntheticSource records as-is -> PTB-XL layout -> same ECGs and labels."""
    syn = SyntheticSource(n_records=6, seed=0)
    records = [syn.load(r) for r in syn.refs()]
    write_ptbxl(tmp_path, records, resolution=(500,))
    src = PTBXLSource(tmp_path)
    refs = src.refs()
    assert [r.record_id for r in refs] == ["1", "2", "3", "4", "5", "6"]  # ids by position
    # records of one synthetic patient keep one (numeric) PTB-XL patient id
    same = [i for i, r in enumerate(records) if r.patient_id == records[0].patient_id]
    assert len(same) > 1 and len({refs[i].patient_id for i in same}) == 1
    for ref, orig in zip(refs, records):
        rec = src.load(ref)
        assert rec.labels == orig.labels
        assert np.abs(rec.signal - orig.signal).max() <= QUANTUM_MV + 1e-6
        assert rec.demographics == orig.demographics
