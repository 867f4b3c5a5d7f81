"""Harmonised vocabulary and code-table mappings (SCP-ECG, SNOMED CT, CPSC 2018, CODE-15%)."""

from __future__ import annotations

import csv

import pytest

from ecginstruct.labels import (
    CATEGORIES,
    UnmappedCounter,
    codes_in_category,
    count_unmapped,
    harmonise,
    harmonise_detailed,
    mapping_table,
    vocabulary,
)
from ecginstruct.labels.mappings import tables
from ecginstruct.labels.phrases import phrase_rules
from ecginstruct.labels.vocabulary import parse_vocabulary
from ecginstruct.sources.base import make_record
from ecginstruct.types import ConfigError

# The synthetic generator and the task templates rely on these exact codes.
REQUIRED = (
    "NORM SR SBRAD STACH AFIB 1AVB RBBB LBBB PVC AFLT SARRH PAC SVTAC PACE 2AVB 3AVB IRBBB "
    "ILBBB LAFB LPFB IVCD WPW LVH RVH LAO/LAE RAO/RAE LAD RAD LVOLT QWAVE IMI AMI ASMI ILMI "
    "STD STE NST_ ISC_ TAB_ INVT LNGQT"
).split()


def test_vocabulary_has_required_codes_with_names_and_categories():
    vocab = vocabulary()
    missing = [c for c in REQUIRED if c not in vocab]
    assert not missing
    for info in vocab.values():
        assert info.category in CATEGORIES
        assert info.name and info.description
    assert vocab["AFIB"].category == "rhythm"
    assert vocab["LBBB"].category == "conduction"
    assert vocab["LVH"].category == "hypertrophy"
    assert vocab["LAD"].category == "axis"
    assert vocab["IMI"].category == "morphology"
    assert vocab["NORM"].name == "normal ECG"
    assert "LAD" in codes_in_category("axis") and "AFIB" not in codes_in_category("axis")
    with pytest.raises(ConfigError):
        codes_in_category("nonsense")


def test_every_mapping_target_is_in_the_vocabulary():
    vocab = vocabulary()
    for family, t in tables().items():
        for code, targets in t.codes.items():
            assert targets, f"{family}:{code} maps to nothing but is not in not_mapped"
            assert set(targets) <= set(vocab), (family, code, targets)
    for rule in phrase_rules().rules:
        assert set(rule.codes) <= set(vocab)


def test_bad_vocabulary_is_refused_with_the_code_named():
    data = {"categories": list(CATEGORIES), "labels": [{"code": "X", "name": "x", "category": "y"}]}
    with pytest.raises(ConfigError, match="'X'.*category"):
        parse_vocabulary(data)


def test_all_71_scp_statements_are_mapped(shared_data):
    with open(shared_data / "ptbxl" / "scp_statements.csv", newline="") as f:
        codes = [row[""] for row in csv.DictReader(f)]
    assert len(codes) == 71
    labels, unmapped = harmonise("ptbxl", dict.fromkeys(codes, 100.0))
    assert unmapped == []
    assert {"RBBB", "LBBB", "STD", "STE", "IMI", "SR", "TRIGU"} <= set(labels)


def test_every_physionet2021_snomed_code_is_known(shared_data):
    known = {r["source_code"] for r in mapping_table("physionet2021")}
    for name in ("dx_mapping_scored.csv", "dx_mapping_unscored.csv"):
        with open(shared_data / "dx_mapping" / name, newline="") as f:
            for row in csv.DictReader(f):
                assert row["SNOMEDCTCode"] in known, (name, row["Dx"])


def test_ptbxl_likelihood_rule():
    # 0 = "unknown likelihood" (form/rhythm statements): present; 35 = "possible": left out
    h = harmonise_detailed("ptbxl", {"NORM": 80.0, "SR": 0.0, "IMI": 35.0, "CLBBB": 50.0})
    assert h.codes == ("LBBB", "NORM", "SR")
    assert h.uncertain == ("IMI",)
    assert harmonise("ecgqa", {"CRBBB": 100.0, "STD_": 0.0}) == (("RBBB", "STD"), [])


def test_real_ptbxl_rows(shared_data):
    import ast

    with open(shared_data / "ptbxl" / "ptbxl_database.csv", newline="") as f:
        rows = {r["ecg_id"]: ast.literal_eval(r["scp_codes"]) for r in csv.DictReader(f)}
    assert harmonise("ptbxl", rows["6002"]) == (("IRBBB", "NORM", "SBRAD"), [])
    assert harmonise("ptbxl", rows["1"]) == (("LVOLT", "NORM", "SR"), [])


def test_snomed_cpsc_code15_examples():
    assert harmonise("physionet2021", {"426783006": None, "59118001": None}) == (
        ("RBBB", "SR"),
        [],
    )
    # PAC = SVPB and LAE/LAA merge as in the challenge's equivalence classes
    assert harmonise("physionet2021", {"284470004": None, "63593006": None, "253352002": None})[
        0
    ] == ("LAO/LAE", "PAC")
    assert harmonise("physionet2021", {"84114007": None}) == ((), ["84114007"])
    assert harmonise("cpsc2018", {"Normal": 100.0}) == (("NORM", "SR"), [])
    assert harmonise("cpsc2018", {"I-AVB": 100.0, "STE": 100.0}) == (("1AVB", "STE"), [])
    assert harmonise("code15", {"1dAVb": 100.0, "SB": 1, "ST": 0, "normal_ecg": False}) == (
        ("1AVB", "SBRAD"),
        [],
    )


def test_unknown_codes_are_returned_not_dropped():
    assert harmonise("ptbxl", {"NORM": 100.0, "XYZ": 0.0}) == (("NORM",), ["XYZ"])
    assert harmonise("cpsc2018", {"Other": None}) == ((), ["Other"])
    assert harmonise("synthetic", {"SR": None, "NOT_A_CODE": None}) == (("SR",), ["NOT_A_CODE"])
    assert harmonise("wfdb", {}) == ((), [])


def test_make_record_keeps_unmapped_and_counter_counts_them():
    import numpy as np

    sig = np.zeros((12, 5000), dtype=np.float32)
    recs = [
        make_record(
            source="physionet2021",
            record_id=str(i),
            signal=sig,
            fs=500,
            source_labels={"426783006": None, "84114007": None},
        )
        for i in range(3)
    ]
    assert recs[0].labels == ("SR",)
    assert recs[0].meta["unmapped_labels"] == ["84114007"]
    assert recs[0].source_labels == {"426783006": None, "84114007": None}
    assert count_unmapped(recs)[("physionet2021", "84114007")] == 3
    c = UnmappedCounter()
    for r in recs:
        c.add_record(r)
    c.add("ptbxl", [])
    assert c.to_json() == {
        "records": 4,
        "records_with_unmapped": 3,
        "unmapped": {"physionet2021": {"84114007": 3}},
    }
    assert count_unmapped([("code15", {"XX": 1})]) == {("code15", "XX"): 1}


def test_mapping_table_rows():
    rows = mapping_table("ptbxl")
    assert len(rows) == 71
    assert {
        "source_code": "CRBBB",
        "source_name": "complete right bundle branch block",
        "codes": ["RBBB"],
        "note": "",
    } in rows
    snomed = {r["source_code"]: r for r in mapping_table("snomed_ct")}
    assert snomed["84114007"]["codes"] == [] and "not an ECG finding" in snomed["84114007"]["note"]
    assert all("pattern" in r for r in mapping_table("mimic_iv_ecg"))
    assert mapping_table("synthetic")[0]["note"] == "pass-through"
