"""Exclusion lists: records (benchmark test sets) that must never reach a built dataset.

File format (CSV, ``#`` comments allowed)::

    source,record_id,reason
    ptbxl,12345,ecgbench:ptb-test
    code15,1169160,ecgbench:code15-test

Matching is on a *canonical identity*, so the same ECG is caught whichever copy a recipe reads:
PTB-XL ecg ids are compared as integers, PhysioNet-2021 copies map back to their origin
(``HR06000`` -> ptbxl 6000, ``A0001`` -> cpsc2018, ``JS00001`` -> csn, ``E00001`` -> g12ec), and
ECG-QA items match the PTB-XL ECGs they show (``ref.extra["ecg_id"]``).

:func:`from_ecgbench` reads a local copy of PULSE's ECGBench (the Hugging Face dataset
``PULSE-ECG/ECGBench``: one folder per subset -- ptb-test, ptb-test-report, ecgqa-test,
code15-test, cpsc-test, csn-test-no-cot, g12-test-no-cot, mmmu-ecg, arena -- with Parquet or JSON
files whose rows have an ``image_path`` like ``<dataset>/<record>-<n>.png``).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ecginstruct.types import ConfigError, RecordRef

HEADER = ["source", "record_id", "reason"]
# PhysioNet/CinC 2021 id prefix -> the dataset the record was copied from.
_PN2021_ORIGIN = (("HR", "ptbxl"), ("JS", "csn"), ("E", "g12ec"), ("A", "cpsc2018"))
# ECGBench subset/path prefix -> canonical dataset; None = real-world images (nothing to match).
_ECGBENCH_PREFIX = (
    ("ecgqa", "ptbxl"),
    ("ptb", "ptbxl"),
    ("code15", "code15"),
    ("code-15", "code15"),
    ("cpsc", "cpsc2018"),
    ("csn", "csn"),
    ("g12", "g12ec"),
    ("mmmu", None),
    ("arena", None),
)


@dataclass(frozen=True)
class Exclusion:
    source: str
    record_id: str
    reason: str = ""


def canonical(source: str, record_id: str) -> tuple[str, str]:
    """The identity of an ECG whatever copy of it a source reads."""
    rid = str(record_id).strip()
    if source in ("ptbxl", "ecgqa-ptbxl"):
        digits = re.match(r"0*(\d+)", rid)
        return ("ptbxl", str(int(digits.group(1))) if digits else rid)
    if source == "physionet2021":
        stem = rid.rsplit("/", 1)[-1]
        for prefix, origin in _PN2021_ORIGIN:
            if stem.startswith(prefix) and stem[len(prefix) :].isdigit():
                if origin == "ptbxl":
                    return ("ptbxl", str(int(stem[len(prefix) :])))
                return (origin, stem)
        return ("physionet2021", stem)
    return (source, rid)


def ref_keys(ref: RecordRef) -> set[tuple[str, str]]:
    """Every canonical identity a ref shows (an ECG-QA item shows one or two PTB-XL ECGs)."""
    keys = {canonical(ref.source, ref.record_id)}
    extra = ref.extra or {}
    for k in ("ecg_id", "ecg_ids"):
        v = extra.get(k)
        if v is None:
            continue
        for e in v if isinstance(v, (list, tuple)) else [v]:
            keys.add(canonical("ptbxl", str(e)))
    return keys


class ExclusionSet:
    """Fast membership on canonical identities."""

    def __init__(self, items: list[Exclusion] = ()):
        self.items = list(items)
        self._index = {canonical(e.source, e.record_id): e for e in self.items}

    def __len__(self) -> int:
        return len(self.items)

    def match(self, ref: RecordRef) -> Exclusion | None:
        for k in sorted(ref_keys(ref)):
            if k in self._index:
                return self._index[k]
        return None

    def contains(self, source: str, record_id: str) -> bool:
        return canonical(source, record_id) in self._index


def read_exclusions(path: str | Path) -> list[Exclusion]:
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as e:
        raise ConfigError(f"cannot read exclusion list {path}: {e.strerror}") from None
    rows = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    out = []
    for i, row in enumerate(csv.reader(rows)):
        if i == 0 and [c.strip() for c in row[:2]] == HEADER[:2]:
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise ConfigError(f"exclusion list {path}: row {row!r} needs source,record_id")
        out.append(Exclusion(row[0].strip(), row[1].strip(), (row[2] if len(row) > 2 else "")))
    return out


def load_exclusions(paths) -> ExclusionSet:
    items: list[Exclusion] = []
    for p in paths:
        items.extend(read_exclusions(p))
    return ExclusionSet(items)


def write_exclusions(path: str | Path, items: list[Exclusion]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    uniq = sorted({(e.source, e.record_id, e.reason) for e in items})
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(uniq)
    return path


# --------------------------------------------------------------------------------------------
# ECGBench
# --------------------------------------------------------------------------------------------


def _dataset_for(name: str) -> tuple[bool, str | None]:
    low = name.lower()
    for prefix, ds in _ECGBENCH_PREFIX:
        if low.startswith(prefix):
            return True, ds
    return False, None


def parse_ecgbench_image_path(image_path: str, subset: str = "") -> tuple[str, str] | None:
    """(canonical source, record id) of one ECGBench image path, None for real-world images.

    ``ptb-xl/12345_hr-0.png`` -> ("ptbxl", "12345"); ``code15/1169160-0.png`` -> ("code15",
    "1169160"); ``cpsc/A0001-0.png`` -> ("cpsc2018", "A0001"). The dataset comes from the first
    path component, else from the subset name."""
    parts = str(image_path).replace("\\", "/").split("/")
    known, ds = _dataset_for(parts[0]) if len(parts) > 1 else (False, None)
    if not known:
        known, ds = _dataset_for(subset)
    if not known:
        raise ConfigError(f"ECGBench image path {image_path!r} (subset {subset!r}): unknown set")
    if ds is None:
        return None
    stem = parts[-1].rsplit(".", 1)[0].split("-")[0]
    if ds == "ptbxl":
        m = re.match(r"0*(\d+)", stem)
        if not m:
            raise ConfigError(f"ECGBench image path {image_path!r}: no PTB-XL ecg id in it")
        return ds, str(int(m.group(1)))
    return ds, stem


def _rows(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
        if "image_path" not in schema.names:
            return []
        return pq.read_table(path, columns=["image_path"]).to_pylist()
    text = path.read_text()
    if path.suffix == ".jsonl":
        return [json.loads(ln) for ln in text.splitlines() if ln.strip()]
    data = json.loads(text)
    if isinstance(data, dict):
        data = data.get("data") or data.get("test") or [data]
    return [r for r in data if isinstance(r, dict)]


def from_ecgbench(root: str | Path) -> tuple[list[Exclusion], Counter]:
    """Exclusions for every ECGBench test item found under ``root`` and counts per subset
    (``<subset>:skipped`` counts real-world images that come from no source)."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"ECGBench folder {root} does not exist")
    files = sorted(
        p for ext in ("parquet", "json", "jsonl") for p in root.rglob(f"*.{ext}") if p.is_file()
    )
    items: list[Exclusion] = []
    counts: Counter = Counter()
    for f in files:
        rel = f.relative_to(root).parts
        subset = rel[0] if len(rel) > 1 else f.stem
        for row in _rows(f):
            ip = row.get("image_path") or row.get("image")
            if not isinstance(ip, str):
                continue
            hit = parse_ecgbench_image_path(ip, subset)
            if hit is None:
                counts[f"{subset}:skipped"] += 1
                continue
            items.append(Exclusion(hit[0], hit[1], f"ecgbench:{subset}"))
            counts[subset] += 1
    if not items and not counts:
        raise ConfigError(f"no ECGBench rows with an image_path found under {root}")
    return items, counts
