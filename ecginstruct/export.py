"""Export a built folder to other training layouts.

``llava`` (what PULSE/LLaVA training scripts read): ``DEST/<split>.json`` with a list of
``{"id", "image", "conversations"}`` -- ``image`` relative to ``DEST`` (pass ``DEST`` as
``image_folder``) -- and the image files under ``DEST/images/<split>/``. Rows are streamed shard by
shard (memory stays flat); the JSON is written incrementally.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from ecginstruct.pipeline import safe_name
from ecginstruct.shards import DATA_DIR
from ecginstruct.types import ConfigError

FORMATS = ("llava",)


def _shards_by_split(out: Path) -> dict[str, list[Path]]:
    files = sorted((Path(out) / DATA_DIR).glob("*.parquet"))
    if not files:
        raise ConfigError(f"no shards in {out}/{DATA_DIR}: is this a built folder?")
    by: dict[str, list[Path]] = {}
    for f in files:
        by.setdefault(f.name.split("-", 1)[0], []).append(f)
    return by


def export_llava(out: str | Path, dest: str | Path, splits: list[str] | None = None) -> Counter:
    """Write LLaVA/PULSE JSON + images; returns the number of samples per split."""
    out, dest = Path(out), Path(dest)
    counts: Counter = Counter()
    for split, files in _shards_by_split(out).items():
        if splits and split not in splits:
            continue
        img_dir = dest / "images" / split
        img_dir.mkdir(parents=True, exist_ok=True)
        tmp = dest / f".{split}.json.tmp"
        with tmp.open("w") as f:
            f.write("[")
            first = True
            for path in files:
                cols = ["id", "image", "conversations", "image_format"]
                for batch in pq.ParquetFile(path).iter_batches(batch_size=64, columns=cols):
                    for row in batch.to_pylist():
                        ext = "jpg" if row["image_format"] == "jpeg" else "png"
                        rel = f"images/{split}/{safe_name(row['id'])}.{ext}"
                        (dest / rel).write_bytes(row["image"]["bytes"])
                        item = {
                            "id": row["id"],
                            "image": rel,
                            "conversations": row["conversations"],
                        }
                        f.write(("\n" if first else ",\n") + json.dumps(item, ensure_ascii=False))
                        first = False
                        counts[split] += 1
            f.write("\n]\n")
        os.replace(tmp, dest / f"{split}.json")
    return counts


def export(out: str | Path, fmt: str, dest: str | Path, splits: list[str] | None = None) -> Counter:
    if fmt == "llava":
        return export_llava(out, dest, splits)
    raise ConfigError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")
