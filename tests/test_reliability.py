"""Reliability: byte-identical rebuilds, SIGKILL/Ctrl-C and resume, bad records, shard retries."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from ecginstruct.executors import build
from ecginstruct.pipeline import default_stages
from ecginstruct.plan import make_plan
from ecginstruct.recipe import load_recipe, parse_recipe
from ecginstruct.validate import validate
from tests.test_build_helpers import (
    folder_digest,
    tiny_recipe,
    tiny_recipe_dict,
    write_ptbxl_fixture,
)

ROOT = Path(__file__).resolve().parents[1]
N = 14


@pytest.fixture(scope="module")
def recipe_file(tmp_path_factory):
    f = tmp_path_factory.mktemp("recipe") / "r.yaml"
    f.write_text(yaml.safe_dump(tiny_recipe_dict(N)))
    return f


@pytest.fixture(scope="module")
def reference(tmp_path_factory, recipe_file):
    out = tmp_path_factory.mktemp("ref") / "ds"
    rep = build(load_recipe(recipe_file), out, progress=False)
    assert rep.ok
    return out, folder_digest(out)


def test_same_recipe_same_bytes(reference, recipe_file, tmp_path):
    out, digest = reference
    again = tmp_path / "again"
    build(load_recipe(recipe_file), again, progress=False)
    assert folder_digest(again) == digest
    assert any(k.startswith("data/") for k in digest)


def _ids(out: Path) -> list[str]:
    return [
        r
        for p in sorted((out / "data").glob("*.parquet"))
        for r in pq.read_table(p)["id"].to_pylist()
    ]


def _run_cli(recipe_file: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "ecginstruct", "build", str(recipe_file), "--out", str(out)]
    cmd += ["--executor", "local", "--no-progress"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_markers(out: Path, k: int, proc: subprocess.Popen, timeout=120) -> bool:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            return False
        marks = list((out / "_shards").glob("*.json")) if (out / "_shards").is_dir() else []
        if len(marks) >= k and (out / "_tmp").is_dir():
            return True
        time.sleep(0.02)
    return False


def test_killed_builds_resume_to_identical_output(reference, recipe_file, tmp_path):
    """SIGKILL at random points (and one Ctrl-C), rerun: same bytes, no duplicate or lost sample."""
    ref_out, digest = reference
    f = recipe_file
    out = tmp_path / "ds"
    n_shards = len(make_plan(tiny_recipe(N)).shards)
    rnd = random.Random(1234)
    kills = []
    for attempt in range(3):
        proc = _run_cli(f, out)
        k = rnd.randrange(0, n_shards)
        started = _wait_for_markers(out, k, proc)
        if started:
            time.sleep(rnd.uniform(0.0, 0.6))
            sig = signal.SIGINT if attempt == 1 else signal.SIGKILL
            proc.send_signal(sig)
            kills.append((k, sig.name))
        _, err = proc.communicate(timeout=180)
        if started and sig == signal.SIGINT:
            # 130: Ctrl-C handled by the CLI; -2/0: it came while the process was exiting
            assert proc.returncode in (130, 0, -2), err
            assert proc.returncode != 130 or "interrupted" in err
    assert kills, "the build finished before any kill: make the recipe bigger"
    proc = _run_cli(f, out)
    stdout, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert folder_digest(out) == digest, kills
    ids = _ids(out)
    assert len(ids) == len(set(ids)) == len(_ids(ref_out))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"] == N == summary["written"] + summary["rejected"]
    assert not list((out / "_tmp").iterdir())


def test_bad_records_are_rejected_and_the_run_completes(tmp_path):
    src = write_ptbxl_fixture(tmp_path / "ptb", n=6, truncate=(2, 5))
    d = tiny_recipe_dict(6)
    d["sources"].append(
        {"source": "ptbxl", "root": str(src), "samples": "all", "tasks": {"rhythm/close_ended": 1}}
    )
    rep = build(parse_recipe(d), tmp_path / "ds", progress=False)
    assert rep.ok
    rejects = [json.loads(x) for x in (tmp_path / "ds" / "rejects.jsonl").read_text().splitlines()]
    bad = {(r["source"], r["record_id"], r["stage"], r["kind"]) for r in rejects}
    assert ("ptbxl", "2", "load", "corrupt") in bad and ("ptbxl", "5", "load", "corrupt") in bad
    assert all("truncated" in r["reason"] for r in rejects if r["kind"] == "corrupt")
    t = rep.totals()
    assert t["input"] == 12 == t["written"] + t["rejected"]
    assert validate(tmp_path / "ds", hf=False).ok


def _flaky_stages(fail_times: int):
    """Stages whose renderer raises a plain (non-record) error the first ``fail_times`` calls."""
    st = default_stages()
    calls = Counter()
    real = st.render_page

    def render(record, spec, rng):
        calls["n"] += 1
        if calls["n"] <= fail_times:
            raise OSError("disk hiccup")
        return real(record, spec, rng)

    return dataclasses.replace(st, render_page=render), calls


def test_failed_shard_is_retried_then_succeeds(tmp_path):
    stages, calls = _flaky_stages(1)
    r = dataclasses.replace(tiny_recipe(3), on_error="raise")
    rep = build(r, tmp_path / "ds", progress=False, stages=stages, retries=2, card=False)
    assert rep.ok and rep.totals()["written"] + rep.totals()["rejected"] == 3


def test_failed_shard_is_reported_after_retries(tmp_path):
    stages, _ = _flaky_stages(10**6)
    r = dataclasses.replace(tiny_recipe(3), on_error="raise")
    rep = build(r, tmp_path / "ds", progress=False, stages=stages, retries=1, card=False)
    assert not rep.ok
    assert {f.attempts for f in rep.failures} == {2}
    assert all("disk hiccup" in f.error for f in rep.failures)
    assert not (tmp_path / "ds" / "summary.json").exists()
    assert not list((tmp_path / "ds" / "data").glob("*.parquet"))
    # the default policy records such errors as rejects and finishes
    rep2 = build(tiny_recipe(3), tmp_path / "ds2", progress=False, stages=stages, card=False)
    assert rep2.ok and rep2.totals()["rejected"] == 3
    lines = (tmp_path / "ds2" / "rejects.jsonl").read_text().splitlines()
    assert all(json.loads(x)["kind"] == "error" and "OSError" in x for x in lines)
