"""Reading a built dataset (``OUT/data/*.parquet``) for the quality checks, straight with pyarrow.

pyarrow is faster than ``datasets`` here and needs no cache folder; only the columns a check needs
are read, and images are decoded in batches so memory stays bounded. Split names are normalised
(``validation``/``valid``/``dev`` -> ``val``) so a dataset renamed for the Hub reads the same.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecginstruct.shards import JSON_COLUMNS  # the column contract has one home
from ecginstruct.types import ConfigError

SPLIT_ALIASES = {"validation": "val", "valid": "val", "dev": "val"}


def norm_split(name: str | None) -> str:
    name = str(name or "")
    return SPLIT_ALIASES.get(name, name)


def data_files(out: str | Path) -> list[Path]:
    """The dataset's Parquet files (``OUT/data/*.parquet``, or ``OUT`` itself if it holds them)."""
    out = Path(out)
    if out.is_file() and out.suffix == ".parquet":
        return [out]
    for d in (out / "data", out):
        files = sorted(d.glob("*.parquet")) if d.is_dir() else []
        if files:
            return files
    raise ConfigError(f"no Parquet shards found in {out}/data (is it a built dataset?)")


def read_table(out: str | Path, columns: Sequence[str]) -> pa.Table:
    """The given columns of every row, shards in name order (so row order is deterministic)."""
    tables = []
    for f in data_files(out):
        pf = pq.ParquetFile(f)
        have = set(pf.schema_arrow.names)
        missing = [c for c in columns if c not in have]
        if missing:
            raise ConfigError(f"{f}: column(s) {', '.join(missing)} missing from the shard")
        tables.append(pf.read(columns=list(columns)))
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def read_rows(out: str | Path, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows as dicts; JSON columns decoded, ``split`` normalised."""
    rows = read_table(out, columns).to_pylist()
    for r in rows:
        for c in JSON_COLUMNS:
            if c in r and isinstance(r[c], str):
                r[c] = json.loads(r[c]) if r[c] else {}
        if "split" in r:
            r["split"] = norm_split(r["split"])
    return rows


def iter_batches(
    out: str | Path, columns: Sequence[str], batch_size: int = 64
) -> Iterator[list[dict[str, Any]]]:
    """Rows in batches (for the image column: bounded memory)."""
    for f in data_files(out):
        pf = pq.ParquetFile(f)
        for b in pf.iter_batches(batch_size=batch_size, columns=list(columns)):
            yield b.to_pylist()


def decode_image(data: bytes, *, gray: bool = False) -> np.ndarray:
    """PNG/JPEG bytes -> uint8 RGB (H, W, 3) or grayscale (H, W). Raises ConfigError if broken."""
    arr = np.frombuffer(data or b"", dtype=np.uint8)
    img = (
        cv2.imdecode(arr, cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR) if arr.size else None
    )
    if img is None:
        raise ConfigError("an image in the dataset does not decode")
    return img if gray else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


_REDUCED = (
    (8, cv2.IMREAD_REDUCED_GRAYSCALE_8, cv2.IMREAD_REDUCED_COLOR_8),
    (4, cv2.IMREAD_REDUCED_GRAYSCALE_4, cv2.IMREAD_REDUCED_COLOR_4),
    (2, cv2.IMREAD_REDUCED_GRAYSCALE_2, cv2.IMREAD_REDUCED_COLOR_2),
)


def image_size(data: bytes) -> tuple[int, int]:
    """(W, H) read from the image header only."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return im.size


def _pick_reduced(data: bytes, width: int, color: bool) -> int:
    try:
        w = image_size(data)[0]
    except Exception:  # noqa: BLE001 -- unreadable header: let OpenCV decide
        w = 0
    for f, gray_flag, color_flag in _REDUCED:
        if w // f >= 2 * width:
            return color_flag if color else gray_flag
    return cv2.IMREAD_COLOR if color else cv2.IMREAD_GRAYSCALE


# ink (0..1 below the local paper level) -> 0..255: ink is 0.35+ darker than the paper, grid and
# texture stay under ~0.2
_INK_LUT = np.clip((1.0 - np.arange(256) / 255.0 - 0.2) / 0.5 * 255.0, 0, 255).astype(np.uint8)


def ink_thumbnail(data: bytes, width: int, height: int, paper_px: int = 15) -> np.ndarray:
    """(height, width) uint8 map of trace ink (bright) on flat black, from PNG/JPEG bytes.

    Grid lines of any colour are light in their brightest channel and so vanish; uneven light
    (photos, scans) is divided out by a local paper estimate (the brightest pixel within
    ``paper_px``). Then area-downscaled, so thin traces survive as grey.
    """
    arr = np.frombuffer(data or b"", dtype=np.uint8)
    img = cv2.imdecode(arr, _pick_reduced(data, width, True)) if arr.size else None
    if img is None:
        raise ConfigError("an image in the dataset does not decode")
    b, g, r = cv2.split(img)
    bright = cv2.max(cv2.max(b, g), r)
    paper = cv2.dilate(bright, cv2.getStructuringElement(cv2.MORPH_RECT, (paper_px, paper_px)))
    ratio = cv2.divide(bright, cv2.max(paper, 1), scale=255)  # 255 = as bright as the paper
    ink = cv2.LUT(ratio, _INK_LUT)
    return cv2.resize(ink, (width, height), interpolation=cv2.INTER_AREA)
