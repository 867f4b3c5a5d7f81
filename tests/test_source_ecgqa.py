"""ECG-QA source: QA JSON joined to PTB-XL (fixtures and the real samples) and MIMIC-IV-ECG."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from ecginstruct.fixtures.ecgqa import qa_item, write_ecgqa
from ecginstruct.fixtures.mimic_iv_ecg import write_mimic_iv_ecg
from ecginstruct.fixtures.ptbxl import write_ptbxl
from ecginstruct.sources.ecgqa import ECGQASource, describe_path
from ecginstruct.types import ConfigError, CorruptRecord, Demographics, RecordNotFound
from tests.test_source_mimic import toy_record


@pytest.fixture(scope="module")
def ptbxl(tmp_path_factory):
    root = tmp_path_factory.mktemp("ptbxl")
    recs = [
        toy_record("11", patient_id="501", seed=1, source_labels={"NORM": 100.0},
                   demographics=Demographics(age=40, sex="F"), report="sinus rhythm"),
        toy_record("12", patient_id="502", seed=2, source_labels={"AFIB": 100.0}),
        toy_record("13", patient_id="501", seed=3, source_labels={"NORM": 100.0}),
    ]  # fmt: skip
    write_ptbxl(root, recs, resolution=(500,))
    return root


ITEMS = [
    qa_item(120001, [11], split="train"),
    qa_item(60002, [12, 13], split="valid"),
    qa_item(80003, [13], split="test"),
    qa_item(80003, [13], split="test", style="paraphrased", question="Is burst noise in aVF?"),
    qa_item(120004, [99], split="train"),  # ECG not in the PTB-XL copy
]


def test_refs_real_layout_splits_patients_and_style(tmp_path, ptbxl):
    write_ecgqa(tmp_path, ITEMS)
    (tmp_path / "ecgqa" / "notes.json").write_text('{"not": "qa"}')
    src = ECGQASource(tmp_path, ptbxl)
    refs = src.refs()
    assert [r.record_id for r in refs] == [
        "ecgqa-60002", "ecgqa-80003", "ecgqa-120001", "ecgqa-120004"
    ]  # fmt: skip
    assert [r.extra["split"] for r in refs] == ["valid", "test", "train", "train"]
    assert [r.patient_id for r in refs] == ["502", "501", "501", None]
    assert any("notes.json" in n for n in src.notes)
    para = ECGQASource(tmp_path, ptbxl, style="paraphrased")
    assert [r.record_id for r in para.refs()] == ["ecgqa-80003"]
    rec = para.load_id("ecgqa-80003")
    assert rec.meta["ecgqa"]["question"] == "Is burst noise in aVF?"


def test_load_single_and_comparison(tmp_path, ptbxl):
    write_ecgqa(tmp_path, ITEMS)
    src = ECGQASource(tmp_path, ptbxl)
    rec = src.load_id("ecgqa-120001")
    assert rec.record_id == "ecgqa-120001" and rec.source == "ecgqa" and rec.patient_id == "501"
    assert rec.source_labels == {"NORM": 100.0} and rec.demographics.age == 40.0
    assert rec.meta["ecg_source"] == "ptbxl" and rec.meta["ecg_record_id"] == "11"
    qa = rec.meta["ecgqa"]
    assert qa["answer"] == ["no"] and qa["split"] == "train" and qa["ecg_id"] == [11]
    assert qa["question_type"] == "single-verify" and qa["template_id"] == 26
    assert "paired_record" not in rec.meta

    cmp_ = src.load_id("ecgqa-60002")
    second = cmp_.meta["paired_record"]
    assert cmp_.meta["ecg_record_id"] == "12" and second.record_id == "13"
    assert cmp_.source_labels == {"AFIB": 100.0} and second.source_labels == {"NORM": 100.0}
    assert not np.array_equal(cmp_.signal, second.signal)
    assert cmp_.meta["ecgqa"]["question_type"].startswith("comparison")


def test_missing_ecg_names_sample_and_ecg_id(tmp_path, ptbxl):
    write_ecgqa(tmp_path, ITEMS)
    with pytest.raises(RecordNotFound, match=r"\[ecgqa:ecgqa-120004\].*120004.*ecg_id 99"):
        ECGQASource(tmp_path, ptbxl).load_id("ecgqa-120004")
    with pytest.raises(RecordNotFound, match="ecgqa:ecgqa-5"):
        ECGQASource(tmp_path, ptbxl).load_id("ecgqa-5")


def test_flat_json_and_malformed_items(tmp_path, ptbxl):
    bad = [
        qa_item(1, [11]),
        {"question": "no ids"},
        qa_item(2, [11, 12, 13]),
        qa_item(3, [11], ecg_id=["x"]),
        qa_item(1, [12]),  # repeated sample id
    ]
    write_ecgqa(tmp_path, bad, flat=True)
    (tmp_path / "broken.json").write_text("[{")
    src = ECGQASource(tmp_path, ptbxl)
    ids = [r.record_id for r in src.refs()]
    assert (
        ids[0] == "ecgqa-1" and len(ids) == 5 and all(i.startswith("ecgqa-bad-") for i in ids[1:])
    )
    assert src.refs()[0].extra["split"] is None
    assert any("broken.json" in n for n in src.notes)
    reasons = []
    for rid in ids[1:]:
        with pytest.raises(CorruptRecord) as e:
            src.load_id(rid)
        reasons.append(e.value.reason)
    assert "missing key" in reasons[0] and "1 or 2" in reasons[1]
    assert "non-integer" in reasons[2] and "repeated" in reasons[3]


def test_needs_ptbxl_root_and_pickles(tmp_path, ptbxl):
    write_ecgqa(tmp_path, ITEMS[:1])
    with pytest.raises(ConfigError, match="ptbxl_root"):
        ECGQASource(tmp_path).refs()
    src = ECGQASource(tmp_path, ptbxl)
    a = src.load_id("ecgqa-120001")
    b = pickle.loads(pickle.dumps(src)).load_id("ecgqa-120001")
    assert a.signal.tobytes() == b.signal.tobytes() and a.meta["ecgqa"] == b.meta["ecgqa"]


def test_mimic_part(tmp_path):
    mimic = tmp_path / "mimic"
    write_mimic_iv_ecg(mimic, [toy_record("40000017", patient_id="10000032", seed=7)])
    qa = tmp_path / "qa"
    write_ecgqa(qa, [qa_item(7, [40000017], dataset="mimic", split="test")])
    src = ECGQASource(qa, mimic_root=mimic)
    (ref,) = src.refs()
    assert ref.record_id == "ecgqa-mimic-7" and ref.patient_id == "10000032"
    rec = src.load(ref)
    assert rec.meta["ecg_source"] == "mimic_iv_ecg" and rec.meta["ecg_record_id"] == "40000017"


def test_real_samples(shared_data, tmp_path):
    qa_dir = shared_data / "ecgqa"
    src = ECGQASource(qa_dir, shared_data / "ptbxl")
    refs = {r.record_id: r for r in src.refs()}
    # 80184 is in both the template and the paraphrased files: once per style
    assert "ecgqa-80184" in refs and len(refs) == 23
    assert refs["ecgqa-123657"].extra["split"] == "train"
    assert refs["ecgqa-62264"].extra["split"] == "valid" and refs["ecgqa-62264"].patient_id
    rec = src.load_id("ecgqa-123657")  # ecg_id 6002, present locally at 500 Hz
    assert rec.meta["ecg_record_id"] == "6002" and rec.signal.shape == (12, 5000)
    assert rec.meta["ecgqa"]["answer"] == ["no"]
    with pytest.raises(RecordNotFound, match="128221.*ecg_id 6008"):
        src.load_id("ecgqa-128221")
    with pytest.raises(RecordNotFound, match="62071.*ecg_id 17844"):
        src.load_id("ecgqa-62071")  # the second ECG of a comparison is missing
    # the answer vocabularies (CSV/TSV) are not QA lists and are not read as such
    assert not src.notes
    sample = json.loads((qa_dir / "ptbxl" / "samples_with_local_ptbxl_ecgs.json").read_text())
    assert {i["sample_id"] for i in sample} <= {int(r[6:]) for r in refs}


@pytest.mark.parametrize(
    "path, expected",
    [
        ("ecgqa/ptbxl/template/train/120000.json", ("train", "template", "ptbxl")),
        ("ecgqa/mimic-iv-ecg/paraphrased/valid/230000.json", ("valid", "paraphrased", "mimic")),
        ("ecgqa/paraphrased/test.json", ("test", "paraphrased", "ptbxl")),  # older layout
        ("output/ptbxl/test/80000.json", ("test", None, "ptbxl")),  # the repo's mapping script
        ("qa.json", (None, None, "ptbxl")),
    ],
)
def test_describe_path(path, expected):
    d = describe_path(path)
    assert (d["split"], d["style"], d["dataset"]) == expected
