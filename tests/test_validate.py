"""`ecginstruct validate` passes a good build and catches each kind of problem."""

from __future__ import annotations

import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecginstruct.cli import main
from ecginstruct.exclusions import Exclusion, write_exclusions
from ecginstruct.executors import build
from ecginstruct.shards import WRITER_OPTIONS, marker_path, schema, sha256_file
from ecginstruct.validate import validate
from tests.test_build_helpers import tiny_recipe


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    out = tmp_path_factory.mktemp("v") / "ds"
    rep = build(tiny_recipe(8), out, progress=False, card=False)
    assert rep.ok
    return out


@pytest.fixture
def copy(good, tmp_path):
    dst = tmp_path / "ds"
    shutil.copytree(good, dst)
    return dst


def _rewrite(out, name, edit):
    """Rewrite one shard with ``edit(rows)`` and fix its marker, so only the edit is wrong."""
    path = out / "data" / f"{name}.parquet"
    rows = edit(pq.read_table(path).to_pylist())
    pq.write_table(pa.Table.from_pylist(rows, schema=schema()), path, **WRITER_OPTIONS)
    m = json.loads(marker_path(out, name).read_text())
    m.update(bytes=path.stat().st_size, sha256=sha256_file(path))
    marker_path(out, name).write_text(json.dumps(m))


def _first_shard(out, split=None):
    names = sorted(p.stem for p in (out / "data").glob("*.parquet"))
    return next(n for n in names if split is None or n.startswith(split))


def test_good_build_is_valid(good, capsys):
    rep = validate(good)
    assert rep.ok, rep.render()
    assert rep.counts["written"] + rep.counts["rejected"] == 8
    assert main(["validate", str(good)]) == 0
    assert "valid" in capsys.readouterr().out


def test_split_leakage_is_caught(copy):
    train = pq.read_table(copy / "data" / f"{_first_shard(copy, 'train')}.parquet").to_pylist()
    victim = train[0]["patient_id"]

    def edit(rows):
        rows[0]["patient_id"] = victim
        return rows

    other = (
        _first_shard(copy, "test")
        if any((copy / "data").glob("test-*"))
        else _first_shard(copy, "val")
    )
    _rewrite(copy, other, edit)
    rep = validate(copy, hf=False)
    assert not rep.ok and any(victim in p for p in rep.problems["leakage"])


def test_excluded_record_is_caught(copy, tmp_path, capsys):
    row = pq.read_table(copy / "data" / f"{_first_shard(copy)}.parquet").to_pylist()[0]
    ex = write_exclusions(tmp_path / "ex.csv", [Exclusion(row["source"], row["record_id"], "b")])
    assert validate(copy, hf=False).ok
    rep = validate(copy, exclude=[str(ex)], hf=False)
    assert rep.problems["exclusions"] and row["record_id"] in rep.problems["exclusions"][0]
    assert main(["validate", str(copy), "--exclude", str(ex), "--no-hf"]) == 1
    assert "INVALID" in capsys.readouterr().out


def test_undecodable_image_and_bad_conversation_are_caught(copy):
    def edit(rows):
        rows[0]["image"] = {"bytes": b"\x89PNG garbage", "path": "x.png"}
        rows[-1]["conversations"] = [{"from": "gpt", "value": "hi"}]
        return rows

    _rewrite(copy, _first_shard(copy), edit)
    probs = validate(copy, hf=False).problems["decode"]
    assert any("does not decode" in p for p in probs)
    assert any("<image>" in p for p in probs)


def test_missing_marker_missing_reject_line_and_stray_file_are_caught(copy):
    name = _first_shard(copy)
    marker_path(copy, name).unlink()
    (copy / "data" / "train-99999-of-99999.parquet").write_bytes(b"x")
    rj = copy / "rejects.jsonl"
    rj.write_text(rj.read_text() + json.dumps({"source": "x"}) + "\n")
    rep = validate(copy, hf=False)
    assert any("completion marker" in p for p in rep.problems["layout"])
    assert any("not in the plan" in p for p in rep.problems["layout"])
    assert any("rejects.jsonl" in p for p in rep.problems["counts"])


def test_not_a_build_folder(tmp_path):
    rep = validate(tmp_path)
    assert not rep.ok and "plan.json" in rep.problems["layout"][0]
