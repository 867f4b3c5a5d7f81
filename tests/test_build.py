"""Local builds: output that load_dataset opens as-is, the column contract, resume, card, CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from ecginstruct.cli import main
from ecginstruct.executors import build
from ecginstruct.plan import make_plan
from ecginstruct.shards import COLUMNS, schema
from ecginstruct.types import ConfigError
from tests.test_build_helpers import tiny_recipe, tiny_recipe_dict

N = 10


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("b") / "ds"
    report = build(tiny_recipe(N), out, progress=False)
    assert report.ok, report.failures
    return out, report


def test_layout_and_counts(built):
    out, report = built
    plan = report.plan
    files = sorted(p.name for p in (out / "data").iterdir())
    assert files == sorted(f"{s.name}.parquet" for s in plan.shards)
    for s in plan.shards:
        assert (out / "_shards" / f"{s.name}.json").is_file()
    assert not list((out / "_tmp").iterdir())
    t = report.totals()
    assert t["input"] == N == t["written"] + t["rejected"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"] == summary["written"] + summary["rejected"] == N
    rejects = [json.loads(x) for x in (out / "rejects.jsonl").read_text().splitlines()]
    assert len(rejects) == t["rejected"]
    for r in rejects:
        assert {"source", "record_id", "stage", "reason"} <= set(r)


def test_load_dataset_opens_the_folder_and_decodes_images(built):
    from datasets import load_dataset
    from PIL import Image

    out, report = built
    ds = load_dataset(str(out))
    assert set(ds) == set(report.plan.split_counts())
    assert sum(len(d) for d in ds.values()) == report.totals()["written"]
    row = next(iter(next(iter(ds.values()))))
    assert isinstance(row["image"], Image.Image) and row["image"].size[0] > 500
    conv = row["conversations"]
    assert conv[0]["from"] == "human" and conv[0]["value"].startswith("<image>")
    assert conv[1]["from"] == "gpt" and conv[1]["value"]


def test_column_contract_and_row_order(built):
    out, report = built
    for shard in report.plan.shards:
        t = pq.read_table(out / "data" / f"{shard.name}.parquet")
        assert tuple(t.column_names) == COLUMNS
        assert t.schema.remove_metadata().equals(schema().remove_metadata())
        assert t.schema.metadata[b"huggingface"] == schema().metadata[b"huggingface"]
        rows = t.to_pylist()
        # row order = work-unit order (rejected units leave a gap, never a reorder)
        planned = [u.uid for u in shard.units]
        ids = [r["id"] for r in rows]
        assert ids == [u for u in planned if u in set(ids)]
        for r in rows:
            assert r["split"] == shard.split
            assert r["source"] == "synthetic" and r["patient_id"]
            assert r["category"] in {"basic_feature", "rhythm", "morphology", "report"}
            assert r["task"].startswith(r["category"])
            assert r["style"] in {"printed", "scanned", "photographed"}
            assert r["image_format"] == ("jpeg" if r["style"] == "photographed" else "png")
            magic = r["image"]["bytes"][:4]
            assert magic == (b"\xff\xd8\xff\xe0" if r["image_format"] == "jpeg" else b"\x89PNG")
            gt = json.loads(r["ground_truth"])
            assert "spec" not in gt and "transforms" not in gt
            assert len(gt["panels"]) >= 12 and gt["px_per_mm"] == pytest.approx(100 / 25.4)
            assert json.loads(r["render_params"])["dpi"] == 100
            aug = json.loads(r["augment_params"])
            assert aug["style"] == r["style"] and isinstance(aug["transforms"], list)
            assert set(r["labels"]) >= set(x for x in r["labels_used"] if x.isupper())
            json.loads(r["answer_key"]), json.loads(r["measurements"]), json.loads(r["meta"])


def test_every_sample_draws_its_own_style(built):
    out, _ = built
    rows = [r for p in sorted((out / "data").iterdir()) for r in pq.read_table(p).to_pylist()]
    styles = {r["style"] for r in rows}
    assert len(styles) >= 2
    assert len({r["image"]["bytes"] for r in rows}) == len(rows)  # no duplicated image


def test_a_page_never_prints_the_answer_to_its_own_measurement_question(built):
    out, _ = built
    rows = [r for p in sorted((out / "data").iterdir()) for r in pq.read_table(p).to_pylist()]
    feature = [r for r in rows if r["category"] == "basic_feature"]
    others = [r for r in rows if r["category"] != "basic_feature" and r["task"] != "multi_turn"]
    assert feature and others
    for r in feature:
        assert json.loads(r["render_params"])["header_measurements"] is False, r["id"]
    assert all(json.loads(r["render_params"])["header_measurements"] for r in others)


def test_rerun_resumes_without_rewriting(built):
    out, report = built
    before = {p.name: p.stat().st_mtime_ns for p in (out / "data").iterdir()}
    again = build(tiny_recipe(N), out, progress=False)
    assert again.resumed_shards == len(report.plan.shards) and again.units_run == 0
    assert {p.name: p.stat().st_mtime_ns for p in (out / "data").iterdir()} == before
    assert again.totals() == report.totals()


def test_another_recipe_into_the_same_folder_needs_overwrite(built, tmp_path):
    out, _ = built
    with pytest.raises(ConfigError, match="--overwrite"):
        build(tiny_recipe(N, seed=99), out, progress=False, card=False)


def test_overwrite_replaces_only_what_the_build_owns(tmp_path):
    out = tmp_path / "ds"
    build(tiny_recipe(2), out, progress=False, card=False)
    (out / "mine.txt").write_text("keep")
    rep = build(tiny_recipe(3, seed=5), out, progress=False, overwrite=True, card=False)
    assert rep.ok and rep.totals()["input"] == 3
    assert (out / "mine.txt").read_text() == "keep"
    names = {p.name for p in (out / "data").iterdir()}
    assert names == {f"{s.name}.parquet" for s in rep.plan.shards}


def test_dataset_card(built):
    out, report = built
    text = (out / "README.md").read_text()
    head = yaml.safe_load(text.split("---")[1])
    assert head["license"] == "apache-2.0"
    assert "image-text-to-text" in head["task_categories"]
    assert {c["split"] for c in head["configs"][0]["data_files"]} == set(report.plan.split_counts())
    names = [f["name"] for f in head["dataset_info"]["features"]]
    assert names == list(COLUMNS)
    n = sum(s["num_examples"] for s in head["dataset_info"]["splits"])
    assert n == report.totals()["written"]
    for needle in (
        "## Provenance",
        "ecginstruct 0.",
        report.plan.recipe.fingerprint(),
        "synthetic",
    ):
        assert needle in text
    assert "### Per style" in text and "### Labels" in text
    assert (out / "assets" / "gallery.png").stat().st_size > 10_000
    assert (out / "assets" / "counts.png").is_file()


def test_cli_build_local_and_validate(tmp_path, capsys):
    f = tmp_path / "r.yaml"
    f.write_text(yaml.safe_dump(tiny_recipe_dict(3)))
    out = tmp_path / "cli"
    rc = main(["build", str(f), "--out", str(out), "--executor", "local", "--no-progress"])
    text = capsys.readouterr().out
    assert rc == 0
    assert "input 3 = written" in text and "samples/s" in text
    assert main(["validate", str(out), "--no-hf"]) == 0
    assert "valid" in capsys.readouterr().out
    # a bad recipe: exit 2 with the key named
    f.write_text(yaml.safe_dump({**tiny_recipe_dict(3), "seed": "x"}))
    assert main(["build", str(f), "--out", str(out), "--executor", "local"]) == 2
    assert "seed" in capsys.readouterr().err


def test_limit_builds_a_smaller_plan_with_the_same_mix(tmp_path):
    full = make_plan(tiny_recipe(40))
    small = make_plan(tiny_recipe(40), limit=5)
    assert small.n_units == 5 and full.n_units == 40


def test_demo_command_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo"
    rc = main(["demo", "--out", str(out), "--limit", "6", "--no-progress"])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "where things are" in text and str(out / "README.md") in text
    assert (out / "_sources" / "ptbxl" / "ptbxl_database.csv").is_file()
    assert any((out / "_sources" / "physionet2021").rglob("*.hea"))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"] == 6
    assert os.path.isfile(Path(out) / "data" / sorted(os.listdir(out / "data"))[0])
