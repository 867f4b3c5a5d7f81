"""Source manifests (manifests/sources/*.yaml) and the `ecginstruct sources` command."""

from __future__ import annotations

import dataclasses
import json

import pytest

from ecginstruct.cli import main
from ecginstruct.fixtures import write_wfdb_dir
from ecginstruct.manifests import (
    SOURCE_MANIFEST_KEYS,
    list_source_manifests,
    load_source_manifest,
    manifests_dir,
)
from ecginstruct.seeding import rng_for
from ecginstruct.sources import SOURCES
from ecginstruct.synthetic import simulate_record
from ecginstruct.types import ConfigError

MINE = ("ptbxl", "physionet2021", "wfdb")


def test_manifests_dir_is_the_repository_folder():
    d = manifests_dir()
    assert d.name == "manifests" and (d / "sources").is_dir() and (d / "snomed_ct.csv").is_file()


@pytest.mark.parametrize("name", MINE)
def test_foundation_manifests_complete(name):
    m = load_source_manifest(name)
    assert m["name"] == name
    assert set(SOURCE_MANIFEST_KEYS) <= set(m)
    for key in ("title", "citation", "license", "homepage", "download", "layout"):
        assert isinstance(m[key], str) and m[key].strip(), key
    assert m["homepage"].startswith("https://")
    assert "https://physionet.org/files/" in m["download"]  # a command a user can paste


def test_every_manifest_has_the_common_keys_and_matches_its_file():
    manifests = list_source_manifests()
    names = [m.get("name") for m in manifests]
    assert set(MINE) <= set(names)
    for m in manifests:
        missing = [k for k in SOURCE_MANIFEST_KEYS if k not in m]
        assert not missing, (m.get("name"), missing)
        assert m["name"] in SOURCES, m["name"]


def test_unknown_manifest_is_a_config_error():
    with pytest.raises(ConfigError, match="no manifest for source 'nope'.*ptbxl"):
        load_source_manifest("nope")


def test_cli_lists_every_source(capsys):
    assert main(["sources"]) == 0
    out = capsys.readouterr().out
    for name in SOURCES:
        assert name in out
    assert "PTB-XL, a large publicly available electrocardiography dataset" in out
    assert "100/500 Hz" in out


def test_cli_json_list(capsys):
    assert main(["sources", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(SOURCES)
    ptbxl = next(r for r in rows if r["name"] == "ptbxl")
    assert ptbxl["license"] == "CC-BY-4.0" and ptbxl["sampling_rate"] == [100, 500]


def test_cli_one_manifest(capsys):
    assert main(["sources", "physionet2021"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("name: physionet2021") and "Reyna MA" in out and "download:" in out
    assert main(["sources", "physionet2021", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == load_source_manifest("physionet2021")


def test_cli_counts_local_records(capsys, tmp_path):
    rec = simulate_record(rng_for(0, "cli", "test"), ["SR"], record_id="a", duration_s=20.0)
    write_wfdb_dir(tmp_path, [rec, dataclasses.replace(rec, record_id="b")])
    assert main(["sources", "wfdb", "--root", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["local_records"] == 4  # 2 records x 2 windows


def test_cli_unknown_source(capsys):
    assert main(["sources", "nope"]) == 2
    assert "unknown source 'nope'" in capsys.readouterr().err
