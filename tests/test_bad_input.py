"""Bad input, one test per kind, across the ptbxl, physionet2021 and wfdb sources.

Every case must raise a typed RecordError subclass that names the source, the record and the
reason -- so the pipeline can write it to rejects.jsonl and go on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecginstruct.fixtures import write_physionet2021, write_ptbxl, write_wfdb_dir
from ecginstruct.seeding import rng_for
from ecginstruct.sources import get_source
from ecginstruct.sources.base import standardise
from ecginstruct.synthetic import simulate_record
from ecginstruct.types import (
    STANDARD_LEADS,
    BadLabel,
    BadSignal,
    CorruptRecord,
    RecordError,
    RecordNotFound,
    RecordRef,
    UnsafePath,
)

KINDS = ("ptbxl", "physionet2021", "wfdb")


@dataclass
class Case:
    kind: str
    root: Path
    record_id: str
    header: Path
    data: Path

    def load(self):
        """A fresh source (nothing cached from before the file was damaged) loads the record."""
        return get_source(self.kind, str(self.root)).load_id(self.record_id)

    def edit_header(self, fn):
        lines = self.header.read_text().splitlines()
        self.header.write_text("\n".join(fn(lines)) + "\n")


@pytest.fixture(scope="module")
def good():
    return simulate_record(rng_for(0, "bad-input", "test"), ["SR"], record_id="1")


def make(kind: str, root: Path, rec) -> Case:
    if kind == "ptbxl":
        write_ptbxl(root, [rec], resolution=(500,))
        stem = root / "records500" / "00000" / "00001_hr"
        return Case(kind, root, "1", stem.with_suffix(".hea"), stem.with_suffix(".dat"))
    if kind == "physionet2021":
        write_physionet2021(root, [dataclasses.replace(rec, record_id="E00001")])
        return Case(kind, root, "E00001", root / "E00001.hea", root / "E00001.mat")
    write_wfdb_dir(root, [dataclasses.replace(rec, record_id="rec")])
    return Case(kind, root, "rec#w0", root / "rec.hea", root / "rec.dat")


def check(err: RecordError, case: Case, reason: str) -> None:
    """The error names the source, the record and (a phrase of) the reason."""
    assert err.source == case.kind and err.record_id == case.record_id
    assert f"[{case.kind}:{case.record_id}]" in str(err)
    assert reason in err.reason
    assert err.to_json()["kind"] == type(err).kind


def with_signal(rec, fn):
    sig = rec.signal.copy()
    fn(sig)
    return dataclasses.replace(rec, signal=sig)


@pytest.mark.parametrize("kind", KINDS)
def test_good_record_loads(kind, tmp_path, good):
    """The baseline every other case damages."""
    assert make(kind, tmp_path, good).load().signal.shape == (12, 5000)


@pytest.mark.parametrize("kind", KINDS)
def test_truncated_data_file(kind, tmp_path, good):
    case = make(kind, tmp_path, good)
    data = case.data.read_bytes()
    case.data.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptRecord) as e:
        case.load()
    check(e.value, case, "truncated")
    assert case.data.name in e.value.reason


@pytest.mark.parametrize("kind", KINDS)
def test_malformed_header(kind, tmp_path, good):
    case = make(kind, tmp_path, good)
    case.edit_header(lambda ls: [ls[0], ls[1].replace(" 16", " sixteen", 1), *ls[2:]])
    with pytest.raises(CorruptRecord) as e:
        case.load()
    check(e.value, case, "malformed header")


@pytest.mark.parametrize("kind", KINDS)
def test_data_file_named_outside_the_folder(kind, tmp_path, good):
    """wfdb refuses path separators in a header's file names: reported as a malformed header."""
    case = make(kind, tmp_path, good)
    case.edit_header(lambda ls: [ls[0], *(ln.replace(case.data.name, "../x.dat") for ln in ls[1:])])
    with pytest.raises(CorruptRecord) as e:
        case.load()
    check(e.value, case, "malformed header")


@pytest.mark.parametrize("kind", KINDS)
def test_sampling_rate_missing(kind, tmp_path, good):
    case = make(kind, tmp_path, good)
    case.edit_header(lambda ls: [" ".join(ls[0].split()[:2]), *ls[1:]])  # wfdb would say 250 Hz
    with pytest.raises(BadSignal) as e:
        case.load()
    check(e.value, case, "sampling rate missing")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fs, reason", [("0", "invalid"), ("1e7", "outside"), ("10", "outside")])
def test_sampling_rate_absurd(kind, fs, reason, tmp_path, good):
    case = make(kind, tmp_path, good)
    case.edit_header(lambda ls: [" ".join([*ls[0].split()[:2], fs, *ls[0].split()[3:]]), *ls[1:]])
    with pytest.raises(BadSignal) as e:
        case.load()
    check(e.value, case, reason)


@pytest.mark.parametrize("kind", KINDS)
def test_nan_samples(kind, tmp_path, good):
    # NaN is stored as the format's missing-sample value (-32768) and read back as NaN
    case = make(
        kind, tmp_path, with_signal(good, lambda s: s.__setitem__((4, slice(100, 120)), np.nan))
    )
    with pytest.raises(BadSignal) as e:
        case.load()
    check(e.value, case, "20 NaN/inf sample(s) in lead(s) aVL")


def test_inf_samples():
    """No WFDB/.mat integer format can hold inf; the shared check every source calls rejects it."""
    sig = np.random.default_rng(0).normal(size=(12, 5000)).astype(np.float32)
    sig[7, 3] = np.inf
    with pytest.raises(BadSignal, match="1 NaN/inf sample.*V2") as e:
        standardise(sig, STANDARD_LEADS, 500, source="wfdb", record_id="x#w0")
    assert e.value.record_id == "x#w0"


@pytest.mark.parametrize("kind", KINDS)
def test_flat_lead(kind, tmp_path, good):
    case = make(kind, tmp_path, with_signal(good, lambda s: s.__setitem__(8, 0.0)))
    with pytest.raises(BadSignal) as e:
        case.load()
    check(e.value, case, "flat lead(s) V3")


def _drop_last_channel(lines):
    first = lines[0].split()
    first[1] = str(int(first[1]) - 1)
    signal_lines = [ln for ln in lines[1:] if not ln.startswith("#")]
    comments = [ln for ln in lines[1:] if ln.startswith("#")]
    return [" ".join(first), *signal_lines[:-1], *comments]


@pytest.mark.parametrize("kind", KINDS)
def test_missing_lead(kind, tmp_path, good):
    case = make(kind, tmp_path, good)
    case.edit_header(_drop_last_channel)
    with pytest.raises(BadSignal) as e:
        case.load()
    check(e.value, case, "missing lead(s) V6")


@pytest.mark.parametrize("kind", KINDS)
def test_lead_name_that_maps_to_nothing(kind, tmp_path, good):
    case = make(kind, tmp_path, good)
    case.edit_header(
        lambda ls: [ln[: ln.rindex(" ")] + " Lead-Q" if ln.endswith(" V6") else ln for ln in ls]
    )
    with pytest.raises(BadSignal) as e:
        case.load()
    check(e.value, case, "missing lead(s) V6; channel name(s) 'Lead-Q' map to no standard lead")


@pytest.mark.parametrize("kind", KINDS)
def test_record_id_not_in_the_index(kind, tmp_path, good):
    case = make(kind, tmp_path, good)
    src = get_source(kind, str(tmp_path))
    for missing in ("999999", "nope#w0"):
        with pytest.raises(RecordNotFound) as e:
            src.load_id(missing)
        assert e.value.source == kind and e.value.record_id == missing
    if kind == "ptbxl":  # load() looks the row up itself
        with pytest.raises(RecordNotFound, match="ecg_id not in ptbxl_database.csv"):
            src.load(RecordRef("ptbxl", "999999"))
    assert case.load().record_id == case.record_id


@pytest.mark.parametrize("path", ["../outside/00001_hr", "/etc/00001_hr", "records500/../../x"])
def test_ptbxl_index_path_escaping_the_root(path, tmp_path, good):
    case = make("ptbxl", tmp_path / "ptbxl", good)
    db = pd.read_csv(case.root / "ptbxl_database.csv")
    db.loc[0, "filename_hr"] = path
    db.to_csv(case.root / "ptbxl_database.csv", index=False)
    with pytest.raises(UnsafePath) as e:
        case.load()
    check(e.value, case, path)


@pytest.mark.parametrize("kind", ["physionet2021", "wfdb"])
def test_ref_path_from_a_plan_escaping_the_root(kind, tmp_path, good):
    """Refs travel through plan files; a tampered path must not read outside the root."""
    case = make(kind, tmp_path / "root", good)
    make(kind, tmp_path / "elsewhere", good)  # a real record outside the root
    src = get_source(kind, str(case.root))
    ref = src.refs()[0]
    key = "path" if kind == "physionet2021" else "record"
    evil = dataclasses.replace(ref, extra={**ref.extra, key: f"../elsewhere/{ref.extra[key]}"})
    with pytest.raises(UnsafePath) as e:
        src.load(evil)
    check(e.value, case, "escapes the source root")


@pytest.mark.parametrize("scp", ["{'NORM': 'high'}", "NORM, SR", "['NORM']", "{'NORM': 250.0}"])
def test_ptbxl_bad_scp_codes(scp, tmp_path, good):
    case = make("ptbxl", tmp_path, good)
    db = pd.read_csv(case.root / "ptbxl_database.csv")
    db.loc[0, "scp_codes"] = scp
    db.to_csv(case.root / "ptbxl_database.csv", index=False)
    with pytest.raises(BadLabel) as e:
        case.load()
    check(e.value, case, "scp")


def test_physionet2021_dx_that_is_not_a_snomed_code(tmp_path, good):
    case = make("physionet2021", tmp_path, good)
    case.edit_header(
        lambda ls: [("# Dx: 426783006,AF" if ln.startswith("# Dx") else ln) for ln in ls]
    )
    with pytest.raises(BadLabel) as e:
        case.load()
    check(e.value, case, "['AF'] are not SNOMED CT codes")


def test_wfdb_unreadable_header_is_listed_then_rejected(tmp_path, good):
    """A broken header does not break refs(): the record is listed and rejected at load."""
    case = make("wfdb", tmp_path, good)
    case.header.write_text("this is not a header\n")
    src = get_source("wfdb", str(tmp_path))
    assert [r.record_id for r in src.refs()] == ["rec#w0"]
    with pytest.raises(CorruptRecord) as e:
        src.load(src.refs()[0])
    check(e.value, case, "malformed header")


@pytest.mark.parametrize("kind", KINDS)
def test_lead_in_units_that_are_not_a_voltage(kind, tmp_path, good):
    case = make(kind, tmp_path, good)
    case.edit_header(
        lambda ls: [ln.replace("/mV", "/mmHg") if ln.endswith(" V1") else ln for ln in ls]
    )
    with pytest.raises(BadSignal) as e:
        case.load()
    check(e.value, case, "lead V1 is in units 'mmHg', not a voltage")
