"""CODE-15% source on fixtures written in the documented HDF5 + exams.csv format."""

from __future__ import annotations

import pickle

import h5py
import numpy as np
import pandas as pd
import pytest

from ecginstruct.fixtures.code15 import write_code15
from ecginstruct.sources.code15 import Code15Source, signal_extent
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


def _records():
    return [
        toy_record("3001", fs=400.0, seconds=10.0, seed=1, patient_id="77",
                   source_labels={"AF": 100.0, "RBBB": 100.0},
                   demographics=Demographics(age=61, sex="M")),
        toy_record("2002", fs=400.0, seconds=7.0, seed=2, source_labels={"normal_ecg": 100.0},
                   demographics=Demographics(age=35, sex="F")),
        toy_record("1003", fs=500.0, seconds=8.0, seed=3),
    ]  # fmt: skip


@pytest.fixture()
def code15(tmp_path):
    recs = _records()
    write_code15(tmp_path, recs, per_file=2)
    return tmp_path, recs


def test_refs_from_exams_csv_only_sorted_by_exam_id(code15):
    root, _ = code15
    for part in root.glob("*.hdf5"):
        part.unlink()  # refs() must not need the HDF5 files
    refs = Code15Source(root).refs()
    assert [r.record_id for r in refs] == ["1003", "2002", "3001"]
    assert refs[2].patient_id == "77" and refs[2].extra["trace_file"] == "exams_part0.hdf5"


@pytest.mark.parametrize("padding", ["symmetric", "trailing"])
def test_padding_is_stripped_exactly(tmp_path, padding):
    recs = _records()
    write_code15(tmp_path, recs, padding=padding)
    with Code15Source(tmp_path) as src:
        short = src.load_id("2002")  # 7 s = 2800 samples inside 4096
        full = src.load_id("3001")
    assert short.signal.shape == (12, 2800) and short.fs == 400.0
    np.testing.assert_allclose(short.signal, recs[1].signal, atol=1e-6)
    np.testing.assert_allclose(full.signal[:, :4000], recs[0].signal, atol=1e-6)
    lead_pad = short.meta["padding"]
    assert sum(lead_pad) == 4096 - 2800
    assert lead_pad == ([648, 648] if padding == "symmetric" else [0, 1296])


def test_signal_extent_edges():
    x = np.zeros((10, 12), np.float32)
    assert signal_extent(x) == (0, 0)
    x[3, 5] = 1.0
    x[6, 0] = -1.0
    assert signal_extent(x) == (3, 7)


def test_labels_demographics_and_no_outcome_data(code15):
    root, _ = code15
    src = Code15Source(root)
    rec = src.load_id("3001")
    assert rec.source_labels == {"AF": 100.0, "RBBB": 100.0}
    assert rec.demographics == Demographics(age=61.0, sex="M")
    assert rec.leads == STANDARD_LEADS and rec.patient_id == "77"
    other = src.load_id("2002")
    assert other.source_labels == {"normal_ecg": 100.0} and other.demographics.sex == "F"
    flat = repr(rec.meta) + repr(rec.measurements)
    assert "death" not in flat and "timey" not in flat and "5.2" not in flat


def test_resampled_record_and_second_part(code15):
    root, _ = code15
    rec = Code15Source(root).load_id("1003")  # written from 500 Hz -> 400 Hz, in part 1
    assert rec.meta["trace_file"] == "exams_part1.hdf5" and rec.signal.shape == (12, 3200)


def test_missing_trace_file_cell_searches_the_parts(code15):
    root, _ = code15
    df = pd.read_csv(root / "exams.csv", dtype=str, keep_default_na=False)
    df.loc[df.exam_id == "1003", "trace_file"] = ""
    df.to_csv(root / "exams.csv", index=False)
    assert Code15Source(root).load_id("1003").meta["trace_file"] == "exams_part1.hdf5"


def test_lazy_handles_close_and_pickle(code15):
    root, _ = code15
    src = Code15Source(root)
    assert src._files == {}
    a = src.load_id("3001")
    assert len(src._files) == 1  # opened on first load only
    clone = pickle.loads(pickle.dumps(src))
    assert clone._files == {}
    assert clone.load_id("3001").signal.tobytes() == a.signal.tobytes()
    src.close()
    assert src._files == {}
    assert src.load_id("3001").signal.tobytes() == a.signal.tobytes()  # reopens
    src.close()
    clone.close()


@pytest.mark.parametrize("value", ["maybe", "2", ""])
def test_unknown_label_value_is_bad_label(tmp_path, value):
    write_code15(tmp_path, _records(), labels={"3001": {"AF": value}})
    with pytest.raises(BadLabel, match=r"\[code15:3001\].*AF"):
        Code15Source(tmp_path).load_id("3001")


def test_bad_inputs(code15):
    root, _ = code15
    src = Code15Source(root)
    with pytest.raises(RecordNotFound, match="code15:999"):
        src.load_id("999")
    df = pd.read_csv(root / "exams.csv", dtype=str, keep_default_na=False)
    df.loc[df.exam_id == "3001", "trace_file"] = "../outside.hdf5"
    df.loc[df.exam_id == "2002", "trace_file"] = "exams_part9.hdf5"
    bad = df.iloc[[0]].copy()
    bad["exam_id"] = "abc"
    pd.concat([df, bad]).to_csv(root / "exams.csv", index=False)
    src = Code15Source(root)
    assert src.refs()[-1].record_id == "index-row-5"
    with pytest.raises(CorruptRecord, match="malformed exam_id"):
        src.load_id("index-row-5")
    with pytest.raises(UnsafePath):
        src.load_id("3001")
    with pytest.raises(RecordNotFound, match="exams_part9.hdf5"):
        src.load_id("2002")


def test_truncated_hdf5_and_exam_missing_from_file(code15):
    root, _ = code15
    part = root / "exams_part1.hdf5"
    with h5py.File(part, "r+") as f:
        f["exam_id"][0] = 4242  # exams.csv still says 1003 is here
    with pytest.raises(RecordNotFound, match="exam_id 1003 not in"):
        Code15Source(root).load_id("1003")
    part.write_bytes(part.read_bytes()[:2000])
    with pytest.raises(CorruptRecord, match="exams_part1.hdf5"):
        Code15Source(root).load_id("1003")


def test_nan_flat_and_all_zero_rows(code15):
    root, _ = code15
    with h5py.File(root / "exams_part0.hdf5", "r+") as f:
        t = f["tracings"][...]
        t[0, 1000, 4] = np.nan
        t[1, :, 7] = 0.0  # lead V2 of the short exam: flat
        f["tracings"][...] = t
    src = Code15Source(root)
    with pytest.raises(BadSignal, match="NaN.*aVL"):
        src.load_id("3001")
    with pytest.raises(BadSignal, match="flat lead.*V2"):
        src.load_id("2002")
    src.close()  # HDF5 refuses a writer while a reader holds the file
    with h5py.File(root / "exams_part0.hdf5", "r+") as f:
        f["tracings"][1] = 0.0
    with pytest.raises(BadSignal, match="all zeros"):
        Code15Source(root).load_id("2002")


def test_scale_option_converts_units(code15):
    root, recs = code15
    rec = Code15Source(root, scale=0.1).load_id("3001")
    np.testing.assert_allclose(rec.signal[:, :4000], recs[0].signal * 0.1, atol=1e-6)


def test_same_bytes_whatever_the_load_order(code15):
    root, _ = code15
    ids = ["3001", "1003", "2002"]
    with Code15Source(root) as a, Code15Source(root) as b:
        first = {i: a.load_id(i).signal.tobytes() for i in ids}
        second = {i: b.load_id(i).signal.tobytes() for i in reversed(ids)}
    assert first == second
