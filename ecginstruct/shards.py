"""Shard files: the Parquet schema (with Hugging Face features), the writer and completion markers.

Output folder layout::

    data/{split}-{i:05d}-of-{n:05d}.parquet   the dataset (what load_dataset reads)
    _shards/{shard}.json                       stats of a finished shard; written last, it is the
                                               shard's completion marker
    _tmp/                                      shards being written (renamed into data/ when done)

A shard is written under ``_tmp/`` then renamed into ``data/`` (atomic on one filesystem), then its
marker is written (also tmp + rename). A shard counts as done only when both exist and the marker's
size/sha256 match the file, so a build killed at any point resumes cleanly.

Bytes are a function of the rows alone: fixed writer settings, no timestamps, row groups of a fixed
number of rows (bounded memory however large the shard).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

DATA_DIR = "data"
MARKER_DIR = "_shards"
TMP_DIR = "_tmp"

STRING_COLUMNS = (
    "source",
    "record_id",
    "patient_id",
    "split",
    "category",
    "format",
    "template_id",
    "task",
    "style",
    "intensity",
    "image_format",
)
JSON_COLUMNS = (
    "answer_key",
    "render_params",
    "augment_params",
    "ground_truth",
    "measurements",
    "meta",
)
COLUMNS = (
    "id",
    "image",
    "conversations",
    *STRING_COLUMNS,
    "labels",
    "labels_used",
    *JSON_COLUMNS,
)
# Counted per shard (into the marker) and summed into the dataset card.
COUNTED = ("source", "split", "category", "format", "task", "style", "intensity", "image_format")
# Fixed writer settings: part of the output's byte-for-byte contract.
WRITER_OPTIONS = dict(
    compression="zstd",
    compression_level=3,
    use_dictionary=True,
    write_statistics=True,
    version="2.6",
    data_page_version="1.0",
)


def features():
    """The Hugging Face features of a row (``datasets.Features``)."""
    from datasets import Features, Image, List, Value

    spec: dict[str, Any] = {
        "id": Value("string"),
        "image": Image(),
        "conversations": List({"from": Value("string"), "value": Value("string")}),
    }
    spec.update({c: Value("string") for c in STRING_COLUMNS})
    spec["labels"] = List(Value("string"))
    spec["labels_used"] = List(Value("string"))
    spec.update({c: Value("string") for c in JSON_COLUMNS})
    return Features(spec)


_SCHEMA: pa.Schema | None = None


def _feature_json(column: str) -> dict:
    """``features()[column]`` as ``datasets`` serialises it (key order included)."""
    value = {"dtype": "string", "_type": "Value"}
    if column == "image":
        return {"_type": "Image"}
    if column == "conversations":
        return {"feature": {"from": value, "value": value}, "_type": "List"}
    if column in ("labels", "labels_used"):
        return {"feature": value, "_type": "List"}
    return value


def _arrow_type(column: str) -> pa.DataType:
    if column == "image":
        return pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    if column == "conversations":
        return pa.list_(pa.struct([("from", pa.string()), ("value", pa.string())]))
    if column in ("labels", "labels_used"):
        return pa.list_(pa.string())
    return pa.string()


def schema() -> pa.Schema:
    """Arrow schema with the features embedded under the ``huggingface`` metadata key.

    Built with pyarrow alone, equal (metadata bytes included) to ``features().arrow_schema``
    (tests/test_build_perf.py checks it): importing ``datasets`` only for this cost every worker
    process ~130 MB resident and ~0.9 s."""
    global _SCHEMA
    if _SCHEMA is None:
        info = {"info": {"features": {c: _feature_json(c) for c in COLUMNS}}}
        _SCHEMA = pa.schema(
            [(c, _arrow_type(c)) for c in COLUMNS],
            metadata={"huggingface": json.dumps(info)},
        )
    return _SCHEMA


def shard_path(out: Path, name: str) -> Path:
    return Path(out) / DATA_DIR / f"{name}.parquet"


def marker_path(out: Path, name: str) -> Path:
    return Path(out) / MARKER_DIR / f"{name}.json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_marker(out: Path, name: str) -> dict | None:
    """The marker of a finished shard, or None if the shard is missing, partial or altered."""
    m, p = marker_path(out, name), shard_path(out, name)
    if not m.is_file() or not p.is_file():
        return None
    try:
        stats = json.loads(m.read_text())
    except (OSError, ValueError):
        return None
    if stats.get("bytes") != p.stat().st_size:
        return None
    return stats


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _counts(row: dict, counts: dict[str, Counter]) -> None:
    for c in COUNTED:
        counts[c][str(row.get(c))] += 1
    for lab in row.get("labels") or []:
        counts["label"][lab] += 1


class ShardWriter:
    """Streams rows into ``_tmp/<name>.parquet`` in fixed-size row groups; :meth:`commit` renames
    it into ``data/`` and writes the marker."""

    def __init__(self, out: Path, name: str, row_group_size: int = 64):
        self.out = Path(out)
        self.name = name
        self.row_group_size = int(row_group_size)
        tmp_dir = self.out / TMP_DIR
        tmp_dir.mkdir(parents=True, exist_ok=True)
        self.tmp = tmp_dir / f"{name}.{os.getpid()}.parquet"
        self._writer = pq.ParquetWriter(self.tmp, schema(), **WRITER_OPTIONS)
        self._buf: list[dict] = []
        self._closed = False
        self.rows = 0
        self.counts: dict[str, Counter] = {c: Counter() for c in (*COUNTED, "label")}

    def write(self, row: dict) -> None:
        missing = [c for c in COLUMNS if c not in row]
        if missing:
            raise ValueError(f"row {row.get('id')!r} lacks column(s) {missing}")
        self._buf.append(row)
        _counts(row, self.counts)
        if len(self._buf) >= self.row_group_size:
            self._flush()

    def _flush(self) -> None:
        if self._buf:
            table = pa.Table.from_pylist(self._buf, schema=schema())
            n, self._buf = len(self._buf), []  # the rows' bytes now live in the table only
            self._writer.write_table(table, row_group_size=self.row_group_size)
            self.rows += n

    def finish(self) -> None:
        """Write the last row group and the footer (idempotent); :meth:`commit` calls it."""
        if not self._closed:
            self._flush()
            self._writer.close()
            self._closed = True

    def abort(self) -> None:
        try:
            if not self._closed:
                self._writer.close()
                self._closed = True
        finally:
            self.tmp.unlink(missing_ok=True)

    def commit(self, extra: dict | None = None) -> dict:
        self.finish()
        final = shard_path(self.out, self.name)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.tmp, final)
        stats = {
            "shard": self.name,
            "rows": self.rows,
            "bytes": final.stat().st_size,
            "sha256": sha256_file(final),
            "counts": {k: dict(sorted(v.items())) for k, v in self.counts.items()},
            **(extra or {}),
        }
        _atomic_write_text(marker_path(self.out, self.name), json.dumps(stats, sort_keys=True))
        return stats


def write_rows(out: Path, name: str, rows: Iterable[dict], row_group_size: int = 64) -> dict:
    w = ShardWriter(out, name, row_group_size)
    try:
        for r in rows:
            w.write(r)
    except BaseException:
        w.abort()
        raise
    return w.commit()


def clean_tmp(out: Path) -> None:
    """Remove what killed runs left under ``_tmp/`` (never a finished shard)."""
    tmp = Path(out) / TMP_DIR
    if tmp.is_dir():
        for p in tmp.iterdir():
            if p.is_file():
                p.unlink(missing_ok=True)
