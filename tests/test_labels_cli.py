"""``ecginstruct labels`` through the real command line entry point."""

from __future__ import annotations

import json

from ecginstruct.cli import main
from ecginstruct.labels import vocabulary


def test_labels_prints_vocabulary(capsys):
    assert main(["labels"]) == 0
    out = capsys.readouterr().out
    assert "AFIB" in out and "atrial fibrillation" in out and "rhythm" in out
    assert f"{len(vocabulary())} codes" in out


def test_labels_category_and_json(capsys):
    assert main(["labels", "--category", "axis", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["code"] for r in rows} >= {"LAD", "RAD"}
    assert {r["category"] for r in rows} == {"axis"}


def test_labels_source_mapping(capsys):
    assert main(["labels", "--source", "physionet2021"]) == 0
    out = capsys.readouterr().out
    assert "164889003" in out and "AFIB" in out
    assert main(["labels", "--source", "mimic_iv_ecg", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["source"] == "mimic_iv_ecg" and data["mapping"][0]["pattern"]


def test_labels_unknown_source_is_an_error(capsys):
    assert main(["labels", "--source", "nope"]) == 2
    assert "no label mapping for 'nope'" in capsys.readouterr().err
