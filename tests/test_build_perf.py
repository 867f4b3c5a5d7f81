"""What keeps build workers small and the benchmark honest (no timings asserted here: those are
printed by scripts/bench_build.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from ecginstruct.executors import build
from ecginstruct.executors.ray_executor import submission_order
from ecginstruct.plan import Shard
from ecginstruct.shards import features, schema
from renderers import grid
from tests.test_build_helpers import tiny_recipe


def test_hand_built_schema_is_what_datasets_makes():
    # Workers build the schema without importing datasets; it must stay identical to the
    # features' own schema (metadata bytes included), or load_dataset would see other features.
    want = features().arrow_schema
    assert schema().equals(want, check_metadata=True)
    assert schema().metadata[b"huggingface"] == want.metadata[b"huggingface"]


@pytest.mark.parametrize("paper", ["letter", "a4"])
@pytest.mark.parametrize("dpi", [100, 150, 200])
def test_blank_grid_from_cached_rows_is_the_drawn_grid(paper, dpi):
    for color in [*grid.GRID_RGB, "none"]:
        got = grid.blank_grid(paper, dpi, color)
        want = grid._draw_grid(paper, dpi, color)
        assert got.dtype == want.dtype and np.array_equal(got, want), (paper, dpi, color)
        assert not got.flags.writeable
    # what stays cached per (paper, dpi, colour) is a few rows, not a page
    cached = grid._grid_runs(paper, dpi, "red")
    assert sum(a.nbytes for a in cached) < want.nbytes / 50


def test_worker_imports_neither_torch_nor_datasets():
    # A Ray worker imports the executor, the stages (augment pulls albumentations) and the
    # writer's schema; torch (+210 MB) and datasets (+130 MB) would be dead weight per worker.
    code = (
        "import sys, json\n"
        "from ecginstruct.executors.ray_executor import _worker_build\n"
        "from ecginstruct.pipeline import default_stages\n"
        "from ecginstruct.shards import schema\n"
        "default_stages(with_measure=False); schema()\n"
        "print(json.dumps([m for m in ('torch', 'datasets', 'ecginstruct.measure')"
        " if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_largest_shards_are_submitted_first():
    def shard(name, n):
        return Shard(name=name, split="train", index=0, units=[None] * n)

    shards = [shard("a", 4), shard("b", 2), shard("c", 4), shard("d", 3)]
    assert [s.name for s in submission_order(shards)] == ["a", "c", "d", "b"]


def test_markers_carry_cpu_time_memory_and_write_time(tmp_path):
    rep = build(tiny_recipe(4), tmp_path / "o", progress=False, card=False)
    assert rep.ok
    first, *rest = rep.stats
    for s in rep.stats:
        assert s["cpu_seconds"] > 0 and s["rss_mb"] > 0 and s["max_rss_mb"] >= s["rss_mb"] * 0.5
        assert s["stage_seconds"]["write"] > 0
        assert {"load", "tasks", "render", "augment", "encode"} <= set(s["stage_seconds"])
    # the context's start-up is reported once, by the first shard it built
    assert all(s["context_start_s"] == 0 for s in rest)


def test_optimized_jpeg_is_the_same_image_in_fewer_bytes():
    from renderers.encode import decode, encode_jpeg

    rng = np.random.default_rng(3)
    img = np.full((240, 320, 3), 235, np.uint8)
    img[::8] = (222, 70, 70)  # grid-like lines plus sensor-like noise
    img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    plain, opt = encode_jpeg(img, 85, optimize=False), encode_jpeg(img, 85)
    assert len(opt) < len(plain)
    assert np.array_equal(decode(opt), decode(plain))
    assert encode_jpeg(img, 85) == opt  # deterministic
