"""PhysioNet/CinC 2021 source: fixtures in the true .hea + MATLAB v4 .mat format, then the real
samples (G12EC, Chapman/Ningbo and the PTB-XL copies, cross-checked against the ptbxl source)."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pytest
import scipy.io
import wfdb

from ecginstruct.fixtures import write_physionet2021
from ecginstruct.fixtures.physionet2021 import HARMONISED_TO_SNOMED
from ecginstruct.manifests import manifests_dir
from ecginstruct.seeding import rng_for
from ecginstruct.sources.physionet2021 import PhysioNet2021Source, snomed_table, subset_of
from ecginstruct.sources.ptbxl import PTBXLSource
from ecginstruct.sources.synthetic import SyntheticSource
from ecginstruct.synthetic import simulate_record
from ecginstruct.types import STANDARD_LEADS, BadSignal, Demographics

QUANTUM_MV = 0.0005


def _record(rid, dx, *, age=70.0, sex="F"):
    rec = simulate_record(rng_for(0, rid, "test-pn2021"), ["SR"], record_id=rid)
    return dataclasses.replace(
        rec, source_labels={c: None for c in dx}, demographics=Demographics(age=age, sex=sex)
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    records = [
        _record("g1/E00001", ["426783006", "59118001"]),
        _record("g2/E00001", ["164889003"], age=None, sex=None),  # same stem, other folder
        _record("g2/JS00002", ["426177001", "999999999"], sex="M"),  # one unknown SNOMED code
        _record("HR00003", ["426783006"]),
    ]
    root = write_physionet2021(tmp_path_factory.mktemp("pn2021"), records)
    return root, records


def test_fixture_is_the_challenge_format(written):
    root, _ = written
    mat = scipy.io.loadmat(root / "g1" / "E00001.mat")
    assert mat["val"].dtype == np.int16 and mat["val"].shape == (12, 5000)
    header = wfdb.rdheader(str(root / "g1" / "E00001"))
    assert header.fmt == ["16"] * 12 and header.byte_offset == [24] * 12
    assert header.adc_gain == [1000.0] * 12 and header.sig_name == list(STANDARD_LEADS)
    assert header.comments[:3] == ["Age: 70", "Sex: Female", "Dx: 426783006,59118001"]


def test_ids_unique_sorted_and_prefixed_only_when_stems_clash(written):
    root, _ = written
    refs = PhysioNet2021Source(root).refs()
    assert [r.record_id for r in refs] == ["HR00003", "JS00002", "g1/E00001", "g2/E00001"]
    assert all(r.patient_id == r.record_id for r in refs)  # the format has no patient ids


def test_round_trip_labels_demographics_subset(written):
    root, records = written
    src = PhysioNet2021Source(root)
    by_path = {r.record_id: r for r in records}
    for ref in src.refs():
        rec = src.load(ref)
        orig = by_path[ref.extra["path"]]
        assert rec.leads == STANDARD_LEADS and rec.fs == 500.0 and rec.signal.shape == (12, 5000)
        assert np.abs(rec.signal - orig.signal).max() <= QUANTUM_MV + 1e-6
        assert rec.source_labels == orig.source_labels
        assert rec.demographics == orig.demographics
    e = src.load_id("g1/E00001")
    assert e.meta["subset"] == "G12EC"
    assert [d["abbreviation"] for d in e.meta["dx"]] == ["NSR", "RBBB"]
    js = src.load_id("JS00002")
    assert js.meta["subset"] == "Chapman-Shaoxing/Ningbo"
    assert js.source_labels == {"426177001": None, "999999999": None}  # unknown kept raw
    assert js.meta["unknown_snomed_codes"] == ["999999999"]
    assert src.load_id("HR00003").meta["subset"] == "PTB-XL"
    assert src.load_id("g2/E00001").demographics == Demographics(age=None, sex=None)


@pytest.mark.parametrize(
    "rid, subset",
    [
        ("A0001", "CPSC"),
        ("Q0001", "CPSC-extra"),
        ("I0001", "INCART"),
        ("S0001", "PTB"),
        ("HR00001", "PTB-XL"),
        ("E00001", "G12EC"),
        ("JS00001", "Chapman-Shaoxing/Ningbo"),
        ("g1/E00001", "G12EC"),
        ("X0001", None),
    ],
)
def test_subset_from_prefix(rid, subset):
    assert subset_of(rid) == subset


def test_snomed_table_is_well_formed():
    with open(manifests_dir() / "snomed_ct.csv", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == ["snomed_code", "abbreviation", "name"]
    codes = [r["snomed_code"] for r in rows]
    assert len(codes) == len(set(codes)) and all(c.isdigit() for c in codes)
    assert all(r["abbreviation"] and r["name"] for r in rows)
    assert snomed_table()["426783006"] == ("NSR", "sinus rhythm")


# ---------------------------------------------------------------------------------------------
# real samples
# ---------------------------------------------------------------------------------------------


def test_snomed_table_covers_the_challenge_codes(shared_data):
    table = snomed_table()
    for name in ("dx_mapping_scored.csv", "dx_mapping_unscored.csv"):
        with open(shared_data / "dx_mapping" / name, newline="") as f:
            for row in csv.DictReader(f):
                assert row["SNOMEDCTCode"] in table, row
                assert table[row["SNOMEDCTCode"]][0] == row["Abbreviation"], row


def test_real_samples(shared_data):
    root = shared_data / "physionet2021"
    src = PhysioNet2021Source(root)
    refs = src.refs()
    assert len(refs) == 25 and [r.record_id for r in refs] == sorted(r.record_id for r in refs)
    loaded, flat = 0, []
    for ref in refs:
        header = wfdb.rdheader(str(root / ref.record_id))
        comments = dict(c.split(": ", 1) for c in header.comments)
        raw = wfdb.rdrecord(str(root / ref.record_id)).p_signal
        zero = [header.sig_name[i] for i in np.flatnonzero(np.ptp(raw, axis=0) == 0)]
        if zero:  # some real Ningbo records have all-zero leads: rejected, not repaired
            with pytest.raises(BadSignal, match=f"flat lead.*{', '.join(zero)}"):
                src.load(ref)
            flat.append(ref.record_id)
            continue
        rec = src.load(ref)
        loaded += 1
        assert rec.leads == STANDARD_LEADS and rec.signal.shape == (12, 5000)
        ptp = np.ptp(rec.signal, axis=1)
        assert 0.4 < ptp.max() < 20.0 and 0.2 < np.median(ptp) < 6.0  # mV, not uV nor ADC units
        assert list(rec.source_labels) == comments["Dx"].split(",")
        assert rec.demographics.age == float(comments["Age"])
        assert rec.demographics.sex == comments["Sex"][0]
        assert (
            rec.meta["subset"]
            == {"E": "G12EC", "J": "Chapman-Shaoxing/Ningbo", "H": "PTB-XL"}[ref.record_id[0]]
        )
        assert "unknown_snomed_codes" not in rec.meta
    assert loaded == 25 - len(flat) and "JS20004" in flat


def test_ptbxl_copies_are_the_same_ecgs(shared_data):
    """HR06000-4 of the challenge are PTB-XL ecg_id 6000-6004: both sources must agree."""
    pn = PhysioNet2021Source(shared_data / "physionet2021")
    ptbxl = PTBXLSource(shared_data / "ptbxl", resolution=500)
    for i in range(5):
        a, b = pn.load_id(f"HR0600{i}"), ptbxl.load_id(str(6000 + i))
        assert a.fs == b.fs and a.signal.shape == b.signal.shape
        assert np.abs(a.signal - b.signal).max() <= 0.001  # one ADC step
        assert a.demographics == b.demographics


def test_synthetic_source_records_get_snomed_codes(tmp_path):
    """SyntheticSource records as-is: their harmonised codes are written as SNOMED CT codes."""
    syn = SyntheticSource(n_records=6, seed=0)
    records = [syn.load(r) for r in syn.refs()]
    write_physionet2021(tmp_path, records)
    src = PhysioNet2021Source(tmp_path)
    for orig in records:
        rec = src.load_id(orig.record_id)
        expected = {HARMONISED_TO_SNOMED[c] for c in orig.labels if c != "NORM"}
        assert set(rec.source_labels) == expected and expected
        assert {c for c in orig.labels if c != "NORM"} <= set(rec.labels)
        assert np.abs(rec.signal - orig.signal).max() <= QUANTUM_MV + 1e-6
