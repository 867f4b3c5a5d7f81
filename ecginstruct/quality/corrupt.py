"""Deliberately broken copies of a built dataset, to show that the quality checks catch them.

``copy_with(src, dst, edit)`` rewrites every shard through ``edit(table) -> table`` (pyarrow) and
copies the build's side files (recipe, exclusions), so ``ecginstruct quality dst`` sees a dataset
that differs from ``src`` only by the edit. :func:`shuffle_labels` is the edit used to test label
corruption: the ``labels`` column permuted across rows (seeded), images and answers untouched.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecginstruct.quality.data import data_files
from ecginstruct.seeding import rng_for

SIDE_FILES = ("recipe.yaml", "exclusions.csv", "plan.json")


def copy_with(src: str | Path, dst: str | Path, edit: Callable[[pa.Table, str], pa.Table]) -> Path:
    """Copy ``src`` to ``dst`` passing each shard's table (and its file stem) through ``edit``."""
    src, dst = Path(src), Path(dst)
    (dst / "data").mkdir(parents=True, exist_ok=True)
    for f in data_files(src):
        table = pq.read_table(f)
        pq.write_table(edit(table, f.stem), dst / "data" / f.name, compression="zstd")
    for name in SIDE_FILES:
        if (src / name).is_file():
            shutil.copy2(src / name, dst / name)
    return dst


def replace_column(table: pa.Table, name: str, values) -> pa.Table:
    i = table.schema.get_field_index(name)
    return table.set_column(
        i, table.schema.field(i), pa.array(values, type=table.schema.field(i).type)
    )


def shuffle_labels(
    src: str | Path, dst: str | Path, *, seed: int = 0, fraction: float = 1.0
) -> Path:
    """Copy with the ``labels`` of a ``fraction`` of the rows of every shard permuted among them."""

    def edit(table: pa.Table, stem: str) -> pa.Table:
        labels = table.column("labels").to_pylist()
        rng = rng_for(seed, stem, "corrupt-labels")
        n = len(labels)
        chosen = np.sort(rng.choice(n, size=int(round(fraction * n)), replace=False))
        moved = chosen[rng.permutation(len(chosen))]
        out = list(labels)
        for a, b in zip(chosen, moved):
            out[a] = labels[b]
        return replace_column(table, "labels", out)

    return copy_with(src, dst, edit)
