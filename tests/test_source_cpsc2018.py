"""CPSC 2018 source: the real .mat samples and fixtures with a REFERENCE.csv."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io

from ecginstruct.fixtures.cpsc2018 import write_cpsc2018
from ecginstruct.sources.cpsc2018 import CPSC2018Source
from ecginstruct.types import (
    STANDARD_LEADS,
    BadLabel,
    BadSignal,
    CorruptRecord,
    Demographics,
    RecordNotFound,
    UnsafePath,
)
from tests.test_source_mimic import toy_record


@pytest.fixture()
def cpsc(tmp_path):
    recs = [
        toy_record("A0002", seconds=12.0, seed=1, demographics=Demographics(age=74, sex="F")),
        toy_record("A0001", seconds=8.0, seed=2, demographics=Demographics(age=53, sex="M")),
        toy_record("A0003", seed=3),
    ]
    write_cpsc2018(tmp_path, recs, {"A0001": [2], "A0002": [5, 7, 9]}, subdir="TrainingSet1")
    return tmp_path, recs


def test_real_samples(shared_data):
    src = CPSC2018Source(shared_data / "cpsc2018")
    assert [r.record_id for r in src.refs()] == ["A1980", "A1982"]
    rec = src.load_id("A1980")
    assert rec.signal.shape == (12, 5000) and rec.fs == 500.0 and rec.leads == STANDARD_LEADS
    assert rec.demographics == Demographics(age=52.0, sex="M")
    raw = scipy.io.loadmat(shared_data / "cpsc2018" / "A1980.mat")["ECG"][0, 0]["data"]
    np.testing.assert_allclose(rec.signal, raw, rtol=1e-6)  # already mV, file order = standard
    # labels are not shipped with the samples: the record loads unlabelled, and says so
    assert rec.source_labels == {} and "unlabelled" in rec.meta["note"]


def test_refs_and_labels(cpsc):
    root, recs = cpsc
    src = CPSC2018Source(root)
    refs = src.refs()
    assert [r.record_id for r in refs] == ["A0001", "A0002", "A0003"]
    assert refs[0].extra["path"] == "TrainingSet1/A0001.mat" and refs[0].patient_id is None
    a2 = src.load_id("A0002")
    assert a2.source_labels == {"RBBB": 100.0, "PVC": 100.0, "STE": 100.0}
    assert a2.demographics == Demographics(age=74.0, sex="F")
    assert a2.signal.shape == (12, 6000)
    np.testing.assert_allclose(a2.signal, recs[0].signal, atol=1e-6)
    assert src.load_id("A0001").source_labels == {"AF": 100.0}
    unlabelled = src.load_id("A0003")
    assert unlabelled.source_labels == {} and "no REFERENCE.csv row" in unlabelled.meta["note"]


@pytest.mark.parametrize("cell", [0, 10, "x", 2.5])
def test_class_outside_1_to_9_is_bad_label(tmp_path, cell):
    write_cpsc2018(tmp_path, [toy_record("A0001")], {"A0001": [1, cell]})
    with pytest.raises(BadLabel, match=r"\[cpsc2018:A0001\].*Second_label"):
        CPSC2018Source(tmp_path).load_id("A0001")


def test_reference_row_without_file_and_unknown_id(cpsc):
    root, _ = cpsc
    with open(root / "REFERENCE.csv", "a") as f:
        f.write("A0099,1,,\n")
    src = CPSC2018Source(root)
    assert src.refs()[-1].record_id == "A0099"
    with pytest.raises(RecordNotFound, match="no .mat file"):
        src.load_id("A0099")
    with pytest.raises(RecordNotFound, match="cpsc2018:A7777"):
        src.load_id("A7777")


def test_truncated_and_malformed_mat(cpsc):
    root, _ = cpsc
    mat = root / "TrainingSet1" / "A0001.mat"
    mat.write_bytes(mat.read_bytes()[:300])
    with pytest.raises(CorruptRecord, match=r"A0001\.mat"):
        CPSC2018Source(root).load_id("A0001")
    scipy.io.savemat(mat, {"ECG": {"sex": "Male", "age": 3}})  # no data field
    with pytest.raises(CorruptRecord, match="no 'data'"):
        CPSC2018Source(root).load_id("A0001")
    scipy.io.savemat(mat, {"something_else": np.zeros(3)})
    with pytest.raises(CorruptRecord, match="A0001"):
        CPSC2018Source(root).load_id("A0001")


def test_bad_signals(tmp_path):
    nan = toy_record("A0001", seed=1)
    nan.signal[2, 17] = np.nan
    flat = toy_record("A0002", seed=2)
    flat.signal[8] = 0.1
    short = toy_record("A0003", seconds=1.0, seed=3)
    eleven = toy_record("A0004", seed=4)
    eleven.signal = eleven.signal[:11]
    write_cpsc2018(tmp_path, [nan, flat, short, eleven])
    src = CPSC2018Source(tmp_path)
    with pytest.raises(BadSignal, match="NaN.*III"):
        src.load_id("A0001")
    with pytest.raises(BadSignal, match="flat lead.*V3"):
        src.load_id("A0002")
    with pytest.raises(BadSignal, match="shorter than"):
        src.load_id("A0003")
    with pytest.raises(BadSignal, match="11 channels"):
        src.load_id("A0004")


def test_duplicate_names_and_escaping_paths(cpsc):
    root, _ = cpsc
    write_cpsc2018(root, [toy_record("A0003", seed=9)], subdir="TrainingSet2")
    src = CPSC2018Source(root)
    with pytest.raises(CorruptRecord, match="several files"):
        src.load_id("A0003")
    ref = src.refs()[0]
    ref.extra["path"] = "../../A0001.mat"
    with pytest.raises(UnsafePath):
        src.load(ref)
