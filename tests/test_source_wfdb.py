"""WFDB directory source: lead naming, extra channels, windows, units, header-only refs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import wfdb

from ecginstruct.fixtures import write_wfdb_dir
from ecginstruct.fixtures.wfdb_dir import frank_from_standard, write_wfdb_record
from ecginstruct.seeding import rng_for
from ecginstruct.sources import get_source
from ecginstruct.sources.wfdb_dir import WFDBDirSource
from ecginstruct.synthetic import simulate_record
from ecginstruct.types import STANDARD_LEADS, BadSignal, ConfigError, CorruptRecord, Demographics

QUANTUM_MV = 0.0005
PTBDB_NAMES = ["i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6"]


def _record(rid, *, fs=500.0, seconds=10.0, conditions=("SR",)):
    rec = simulate_record(
        rng_for(0, rid, "test-wfdb"), list(conditions), record_id=rid, fs=fs, duration_s=seconds
    )
    return dataclasses.replace(rec, demographics=Demographics(age=58.0, sex="M"))


@pytest.fixture(scope="module")
def ptbdb(tmp_path_factory):
    """A PTB Diagnostic-like tree: patient folders, 1000 Hz, lower-case names, Frank leads."""
    records = [
        _record("patient001/s0010_re", fs=1000.0, seconds=25.0),
        _record("patient002/s0014lre", fs=1000.0),
    ]
    root = write_wfdb_dir(
        tmp_path_factory.mktemp("ptbdb"),
        records,
        lead_names=PTBDB_NAMES,
        extra_channels=["vx", "vy", "vz"],
    )
    return root, {r.record_id: r for r in records}


def test_refs_windows_sorted_header_only(ptbdb):
    root, _ = ptbdb
    src = WFDBDirSource(root)
    ids = [r.record_id for r in src.refs()]
    # 25 s at 10 s windows: two windows, the 5 s tail is not used
    assert ids == ["patient001/s0010_re#w0", "patient001/s0010_re#w1", "patient002/s0014lre#w0"]
    assert src.refs()[1].extra == {
        "record": "patient001/s0010_re",
        "window": 1,
        "start": 10000,
        "stop": 20000,
        "n_samples": 25000,
    }
    # windows of one record share a patient id, so they land in the same split
    assert {r.patient_id for r in src.refs()[:2]} == {"patient001/s0010_re"}


def test_lowercase_names_standard_order_and_frank_leads(ptbdb):
    root, originals = ptbdb
    src = get_source("wfdb", str(root))
    orig = originals["patient001/s0010_re"]
    rec = src.load_id("patient001/s0010_re#w1")
    assert rec.leads == STANDARD_LEADS and rec.fs == 1000.0 and rec.signal.shape == (12, 10000)
    assert np.abs(rec.signal - orig.signal[:, 10000:20000]).max() <= QUANTUM_MV + 1e-6
    assert rec.meta["window_start_s"] == 10.0 and rec.meta["record_duration_s"] == 25.0
    extra = rec.meta["extra_channels"]
    assert sorted(extra) == ["vx", "vy", "vz"]
    expected_vx = frank_from_standard(orig.signal, "vx")[10000:20000]
    assert np.abs(np.asarray(extra["vx"]) - expected_vx).max() <= QUANTUM_MV + 1e-6
    assert rec.demographics == Demographics(age=58.0, sex="M")  # from "age:"/"sex:" comments
    assert rec.labels == () and rec.source_labels == {}


def test_overlapping_windows(ptbdb):
    root, originals = ptbdb
    src = WFDBDirSource(root, window_s=10.0, step_s=5.0)
    w = [r for r in src.refs() if r.extra["record"] == "patient001/s0010_re"]
    assert [r.extra["start"] for r in w] == [0, 5000, 10000, 15000]
    rec = src.load(w[3])
    orig = originals["patient001/s0010_re"].signal[:, 15000:25000]
    assert np.abs(rec.signal - orig).max() <= QUANTUM_MV + 1e-6


def test_channels_in_any_order(tmp_path):
    orig = _record("rec")
    order = dict(
        zip(
            reversed(STANDARD_LEADS),
            ["V6", "v5", "V4", "V3", "V2", "V1", "aVF", "AVL", "avr", "III", "II", "I"],
        )
    )
    write_wfdb_dir(tmp_path, [orig], lead_names=order)
    assert wfdb.rdheader(str(tmp_path / "rec")).sig_name[:2] == ["V6", "v5"]
    rec = WFDBDirSource(tmp_path).load_id("rec#w0")
    assert np.abs(rec.signal - orig.signal).max() <= QUANTUM_MV + 1e-6


def test_short_records_one_window_or_rejected(tmp_path):
    write_wfdb_dir(tmp_path, [_record("a/short", seconds=5.0)])
    # a 2 s record: listed (never silently dropped), rejected at load
    sig = _record("x", seconds=5.0).signal[:, :1000]
    write_wfdb_record(tmp_path / "a", "tiny", sig, 500.0, STANDARD_LEADS)
    src = WFDBDirSource(tmp_path)
    assert [(r.record_id, r.extra["stop"]) for r in src.refs()] == [
        ("a/short#w0", 2500),
        ("a/tiny#w0", 1000),
    ]
    assert src.load_id("a/short#w0").signal.shape == (12, 2500)
    with pytest.raises(BadSignal, match="shorter than 2.5 s"):
        src.load_id("a/tiny#w0")


def test_microvolt_units_are_converted(tmp_path):
    orig = _record("uv")
    wfdb.wrsamp(
        "uv",
        fs=500,
        units=["uV"] * 12,
        sig_name=list(STANDARD_LEADS),
        p_signal=orig.signal.T.astype(np.float64) * 1000.0,
        fmt=["16"] * 12,
        adc_gain=[1.0] * 12,
        baseline=[0] * 12,
        write_dir=str(tmp_path),
    )
    rec = WFDBDirSource(tmp_path).load_id("uv#w0")
    assert np.abs(rec.signal - orig.signal).max() <= QUANTUM_MV + 1e-6


def test_multi_segment_record_read_through_its_master_header(tmp_path):
    orig = _record("m", seconds=20.0).signal
    write_wfdb_record(tmp_path, "m_0001", orig[:, :5000], 500.0, STANDARD_LEADS)
    write_wfdb_record(tmp_path, "m_0002", orig[:, 5000:], 500.0, STANDARD_LEADS)
    (tmp_path / "m.hea").write_text("m/2 12 500 10000\nm_0001 5000\nm_0002 5000\n")
    src = WFDBDirSource(tmp_path, window_s=5.0, step_s=3.0)
    # the segments' own headers are not listed as records
    assert [r.record_id for r in src.refs()] == [f"m#w{i}" for i in range(6)]
    assert src.refs()[2].extra["start"] == 3000
    rec = src.load_id("m#w2")  # samples 3000..5500 cross from segment 1 into segment 2
    assert np.abs(rec.signal - orig[:, 3000:5500]).max() <= QUANTUM_MV + 1e-6


def test_refs_never_read_signals(ptbdb, tmp_path):
    root, _ = ptbdb
    rec = _record("nodat")
    write_wfdb_dir(tmp_path, [rec])
    (tmp_path / "nodat.dat").unlink()
    src = WFDBDirSource(tmp_path)
    assert [r.record_id for r in src.refs()] == ["nodat#w0"]
    with pytest.raises(CorruptRecord, match="nodat.dat.*missing"):
        src.load_id("nodat#w0")


def test_bad_options(tmp_path):
    with pytest.raises(ConfigError, match="window_s"):
        WFDBDirSource(tmp_path, window_s=1.0)
    with pytest.raises(ConfigError, match="step_s"):
        WFDBDirSource(tmp_path, step_s=0)
    with pytest.raises(ConfigError, match="does not exist"):
        WFDBDirSource(tmp_path / "nope")


def test_real_trees_read_as_plain_wfdb(shared_data):
    """The PTB-XL and 2021-challenge sample folders are WFDB trees too."""
    src = WFDBDirSource(shared_data / "ptbxl", window_s=5.0)
    ids = [r.record_id for r in src.refs()]
    assert ids[:3] == [
        "records100/00000/00001_lr#w0",
        "records100/00000/00001_lr#w1",
        "records500/06000/06000_hr#w0",
    ]
    assert len(ids) == 12
    rec = src.load_id("records500/06000/06000_hr#w1")
    assert rec.signal.shape == (12, 2500) and rec.fs == 500.0
