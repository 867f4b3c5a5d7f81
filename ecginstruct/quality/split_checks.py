"""Split checks: no patient in two splits, no excluded record, no duplicate sample id.

Patients are compared per source (``(source, patient_id)``) -- two repositories' patient numbers
are unrelated. Exclusions are matched on the canonical identity of
:mod:`ecginstruct.exclusions` (so a PhysioNet-2021 copy of an excluded PTB-XL record is caught),
against the build's own ``exclusions.csv`` plus any lists given.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ecginstruct.exclusions import load_exclusions
from ecginstruct.quality.config import Check, QualityConfig, judge

SPLIT_COLUMNS = ("id", "source", "record_id", "patient_id", "split")


def shared_patients(rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], list[str]]:
    """{(source, patient): sorted splits} for patients found in more than one split."""
    where: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        if r.get("patient_id"):
            where[(r["source"], str(r["patient_id"]))].add(r["split"])
    return {k: sorted(v) for k, v in sorted(where.items()) if len(v) > 1}


def exclusion_lists(out: str | Path, extra: Sequence[str | Path] = ()) -> list[Path]:
    own = Path(out) / "exclusions.csv"
    return ([own] if own.is_file() else []) + [Path(p) for p in extra]


def exclusion_hits(rows: Sequence[dict[str, Any]], lists: Sequence[Path]) -> list[dict[str, str]]:
    if not lists:
        return []
    ex = load_exclusions(lists)
    return [
        {"id": r["id"], "source": r["source"], "record_id": r["record_id"]}
        for r in rows
        if ex.contains(r["source"], r["record_id"])
    ]


def split_checks(
    rows: Sequence[dict[str, Any]],
    config: QualityConfig,
    out: str | Path,
    exclude: Sequence[str | Path] = (),
) -> tuple[list[Check], dict]:
    shared = shared_patients(rows)
    lists = exclusion_lists(out, exclude)
    hits = exclusion_hits(rows, lists)
    dup = [i for i, c in Counter(r["id"] for r in rows).items() if c > 1]
    per_split = Counter(r["split"] for r in rows)
    details = {
        "rows_per_split": dict(sorted(per_split.items())),
        "patients": len({(r["source"], r.get("patient_id")) for r in rows}),
        "shared_patients": [
            {"source": s, "patient_id": p, "splits": v} for (s, p), v in shared.items()
        ][:50],
        "exclusion_lists": [str(p) for p in lists],
        "exclusion_hits": hits[:50],
        "duplicate_ids": dup[:50],
    }
    first = next(iter(shared.items()), None)
    checks = [
        judge(
            config,
            "split.shared_patients",
            len(shared),
            n=len(rows),
            detail=f"e.g. {first[0][0]}:{first[0][1]} in {', '.join(first[1])}" if first else "",
        ),
        judge(
            config,
            "split.exclusion_hits",
            len(hits),
            n=len(rows),
            detail=(
                f"{len(lists)} list(s)"
                + (f"; e.g. {hits[0]['source']}:{hits[0]['record_id']}" if hits else "")
                if lists
                else "no exclusion list (build's exclusions.csv absent, none given)"
            ),
        ),
        judge(config, "split.duplicate_ids", len(dup), n=len(rows)),
    ]
    return checks, details
