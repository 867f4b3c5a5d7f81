"""`ecginstruct export --format llava`: PULSE/LLaVA training JSON plus image files."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from ecginstruct.cli import main
from ecginstruct.executors import build
from tests.test_build_helpers import tiny_recipe


def test_export_llava(tmp_path, capsys):
    out = tmp_path / "ds"
    rep = build(tiny_recipe(5), out, progress=False, card=False)
    dest = tmp_path / "llava"
    assert main(["export", str(out), "--format", "llava", "--dest", str(dest)]) == 0
    assert "samples" in capsys.readouterr().out
    rows = {
        r["id"]: r for p in (out / "data").glob("*.parquet") for r in pq.read_table(p).to_pylist()
    }
    items = []
    for split in rep.plan.split_counts():
        items += json.loads((dest / f"{split}.json").read_text())
    assert len(items) == len(rows) == rep.totals()["written"]
    for it in items:
        assert set(it) == {"id", "image", "conversations"}
        row = rows[it["id"]]
        assert it["conversations"] == row["conversations"]
        assert it["conversations"][0]["value"].startswith("<image>")
        assert (dest / it["image"]).read_bytes() == row["image"]["bytes"]
        assert it["image"].endswith(".jpg" if row["image_format"] == "jpeg" else ".png")
    # one split only
    dest2 = tmp_path / "one"
    split = next(iter(rep.plan.split_counts()))
    assert main(["export", str(out), "--dest", str(dest2), "--split", split]) == 0
    assert [p.name for p in dest2.glob("*.json")] == [f"{split}.json"]
