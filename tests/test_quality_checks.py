"""`ecginstruct quality` on a tiny real build: every check passes on clean data and fails on data
broken on purpose (answers, labels, splits, exclusions, geometry)."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from ecginstruct.cli import main
from ecginstruct.executors import build
from ecginstruct.quality.config import FAIL, PASS, load_config
from ecginstruct.quality.corrupt import copy_with, shuffle_labels
from ecginstruct.quality.data import read_rows
from ecginstruct.quality.fidelity import FIDELITY_COLUMNS, fidelity_report
from ecginstruct.quality.run import ROW_COLUMNS, run_quality
from ecginstruct.quality.split_checks import split_checks
from ecginstruct.quality.text_checks import text_checks
from ecginstruct.recipe import load_recipe

N = 36


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """36 synthetic samples, every style, six task kinds (JPEG, 100 dpi: small and quick)."""
    recipe = {
        "name": "quality-test",
        "seed": 3,
        "samples_per_shard": 50,
        "styles": {"printed": 0.34, "scanned": 0.33, "photographed": 0.33},
        "render": {"dpi": 100},
        "image": {"format": "jpeg", "jpeg_quality": 85},
        "splits": {"val": 0.2, "test": 0.2},
        "sources": [
            {
                "id": "synthetic",
                "source": "synthetic",
                "options": {"n_records": 40, "seed": 5},
                "samples": N,
                "tasks": {
                    "rhythm/mcq": 1,
                    "rhythm/close_ended": 1,
                    "basic_feature/fill_blank": 1,
                    "basic_feature/mcq": 1,
                    "morphology/close_ended": 1,
                    "report/open_ended": 1,
                },
            }
        ],
    }
    root = tmp_path_factory.mktemp("quality")
    # from a file, so the build keeps recipe.yaml (fidelity reloads records through it)
    (root / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    out = root / "ds"
    rep = build(load_recipe(root / "recipe.yaml"), out, progress=False, card=False)
    assert rep.ok and rep.totals()["written"] >= N - 4, rep.totals()
    return out


@pytest.fixture()
def cfg():
    c = load_config()
    c.fidelity["pages_per_style"] = 3
    return c


@pytest.fixture()
def rows(built):
    return read_rows(built, ROW_COLUMNS)


def by_name(checks):
    return {c.name: c for c in checks}


def test_clean_build_passes_and_writes_the_report(built, cfg, tmp_path):
    res = run_quality(built, tmp_path / "rep", config=cfg, probe=False)
    failed = [c for c in res.checks if c.status == FAIL]
    assert res.ok and not failed, failed
    checks = by_name(res.checks)
    for style in ("printed", "scanned", "photographed"):
        assert checks[f"fidelity.median_r.{style}"].status == PASS
    assert checks["text.inconsistent_rate"].value == 0.0
    md = (tmp_path / "rep" / "report.md").read_text()
    assert md.startswith("# Dataset quality report: PASS")
    assert "| split.shared_patients | 0.000 | <= 0 | pass |" in md
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "<table>" in html and 'class="pass"' in html
    saved = json.loads((tmp_path / "rep" / "quality.json").read_text())
    assert saved["verdict"] == "PASS" and len(saved["checks"]) == len(res.checks)
    for png in ("distributions.png", "lengths.png", "per_style.png", "examples.png"):
        assert (tmp_path / "rep" / png).stat().st_size > 1000


def _answer(row, text):
    row["conversations"][1]["value"] = text


def test_text_checks_fail_on_broken_answers(rows, cfg):
    assert all(c.status != FAIL for c in text_checks(rows, cfg)[0])
    bad = copy.deepcopy(rows)
    yes_no = next(r for r in bad if r["format"] == "close_ended")
    flipped = "No." if yes_no["answer_key"]["answer"] == "yes" else "Yes."
    _answer(yes_no, flipped)
    mcq = next(r for r in bad if r["task"] == "rhythm/mcq")
    _answer(mcq, "The answer is {letter}.")
    report = next(r for r in bad if r["category"] == "report")
    _answer(report, "Sinusrhythmus. Linksschenkelblock. Sonst normales EKG.")
    checks, details = text_checks(bad, cfg)
    c = by_name(checks)
    assert c["text.inconsistent_rate"].status == FAIL
    failed_ids = {i for i, _ in details["inconsistent"]}
    assert {yes_no["id"], mcq["id"]} <= failed_ids
    assert c["text.placeholder_rows"].status == FAIL and c["text.placeholder_rows"].value == 1
    assert c["text.report_language_mismatch_rate"].status == FAIL


def test_text_checks_fail_on_duplicates_and_imbalance(rows, cfg):
    twice = rows + [copy.deepcopy(r) for r in rows[:10]]
    c = by_name(text_checks(twice, cfg)[0])
    assert c["text.duplicate_sample_rate"].status == FAIL
    assert (
        by_name(split_checks(twice, cfg, "/nonexistent")[0])["split.duplicate_ids"].status == FAIL
    )
    # 30 close-ended rows that all answer "yes"
    yes = next(
        r for r in rows if r["format"] == "close_ended" and r["answer_key"].get("answer") == "yes"
    )
    many = []
    for i in range(30):
        r = copy.deepcopy(yes)
        r["id"] = f"{yes['id']}-{i}"
        many.append(r)
    c = by_name(text_checks(many, cfg)[0])
    assert c["text.yes_share"].status == FAIL and c["text.yes_share"].value == 1.0


def test_shuffled_labels_are_flagged_and_fail_the_cli(built, cfg, tmp_path, capsys):
    bad = shuffle_labels(built, tmp_path / "bad", seed=1)
    res = run_quality(bad, None, config=cfg, probe=False, fidelity=False)
    c = by_name(res.checks)
    assert not res.ok
    assert c["text.label_measurement_conflict_rate"].status == FAIL
    assert c["text.inconsistent_rate"].status == FAIL
    rc = main(["quality", str(bad), "--no-probe", "--no-fidelity", "--report", str(tmp_path / "r")])
    assert rc == 1
    assert "verdict: FAIL" in capsys.readouterr().out
    assert (tmp_path / "r" / "report.md").read_text().startswith("# Dataset quality report: FAIL")
    assert main(["quality", str(built), "--no-probe", "--no-fidelity"]) == 0


def test_split_checks_fail_on_shared_patient_and_excluded_record(rows, cfg, built, tmp_path):
    checks, _ = split_checks(rows, cfg, built)
    assert all(c.status == PASS for c in checks)
    leak = copy.deepcopy(rows)
    train = next(r for r in leak if r["split"] == "train")
    test = next(r for r in leak if r["split"] == "test")
    test["patient_id"] = train["patient_id"]
    excl = tmp_path / "excl.csv"
    excl.write_text(f"source,record_id,reason\n{train['source']},{train['record_id']},benchmark\n")
    checks, details = split_checks(leak, cfg, built, exclude=[excl])
    c = by_name(checks)
    assert c["split.shared_patients"].status == FAIL and c["split.shared_patients"].value == 1
    assert c["split.exclusion_hits"].status == FAIL
    assert details["exclusion_hits"][0]["record_id"] == train["record_id"]


def test_fidelity_fails_when_the_geometry_is_wrong(built, cfg):
    rows = read_rows(built, FIDELITY_COLUMNS)
    checks, details = fidelity_report(built, cfg, rows)
    assert {c.name for c in checks} == {
        f"fidelity.median_r.{s}" for s in ("printed", "scanned", "photographed")
    }
    assert all(c.status == PASS for c in checks)
    assert all(p["reference"] == "source" for p in details["pages"])
    broken = copy.deepcopy(rows)
    for r in broken:
        for p in r["ground_truth"]["panels"]:
            p["px_per_mv"] = -p["px_per_mv"]  # traces read upside down
    checks, details = fidelity_report(built, cfg, broken)
    assert all(c.status == FAIL for c in checks)
    assert all(v["median_r"] < 0 for v in details["by_style"].values())


def test_fidelity_falls_back_to_the_drawn_polylines_without_the_source(built, cfg, tmp_path):
    copy = copy_with(built, tmp_path / "copy", lambda table, stem: table)
    (copy / "recipe.yaml").unlink()
    checks, details = fidelity_report(copy, cfg)
    assert all(c.status == PASS for c in checks)
    assert {p["reference"] for p in details["pages"]} == {"polyline"}
    assert "recipe.yaml" in details["source_error"]


def test_probe_end_to_end_on_the_build(built, cfg, tmp_path):
    cfg.probe.update(
        width=160, height=48, epochs=1, control_epochs=1, min_label_count=1, min_test_positives=1
    )
    res = run_quality(built, tmp_path / "rep", config=cfg, fidelity=False)
    probe = res.details["probe"]
    assert probe["control"] is not None and probe["n_rows"]["train"] > 0
    assert set(probe["real"]["by_group"]) == {"style", "intensity", "source"}
    names = {c.name for c in res.checks}
    assert {"probe.control_auc", "probe.auc_margin"} <= names
    assert (tmp_path / "rep" / "learning_curve.png").is_file()
    assert (tmp_path / "rep" / "probe.pt").is_file()
    assert "Learnability probe" in (tmp_path / "rep" / "report.md").read_text()
