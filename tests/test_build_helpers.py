"""Shared helpers of the build/validate/export/publish/reliability tests (no tests here).

Recipes use the fastest settings: 100 dpi pages, a handful of samples, 4 samples per shard.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ecginstruct.recipe import parse_recipe

STYLES = {"printed": 1, "scanned": 1, "photographed": 1}


def tiny_recipe_dict(samples: int = 10, **over) -> dict:
    d = {
        "name": "tiny",
        "seed": 11,
        "samples_per_shard": 4,
        "row_group_size": 2,
        "license": "apache-2.0",
        "render": {"dpi": 100},
        "styles": STYLES,
        "intensities": {"light": 1, "medium": 1},
        "image": {"format": "png", "jpeg_styles": ["photographed"]},
        "splits": {"val": 0.2, "test": 0.2},
        "sources": [
            {
                "source": "synthetic",
                "options": {"n_records": 12, "seed": 5},
                "samples": samples,
                "tasks": {
                    "rhythm/mcq": 1,
                    "rhythm/close_ended": 1,
                    "basic_feature/fill_blank": 1,
                    "morphology/close_ended": 1,
                    "report/open_ended": 1,
                },
            }
        ],
    }
    d.update(over)
    return d


def tiny_recipe(samples: int = 10, **over):
    return parse_recipe(tiny_recipe_dict(samples, **over), where="tiny")


def synthetic_records(n: int, seed: int = 0, prefix: str = "r"):
    from ecginstruct.synthetic import simulate_record

    conds = [["SR"], ["AFIB"], ["SR", "1AVB"], ["SBRAD"], ["STACH", "RBBB"], ["SR", "LBBB"]]
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        out.append(
            simulate_record(
                rng,
                conds[i % len(conds)],
                record_id=f"{prefix}{i}",
                patient_id=f"{prefix}p{i // 2}",
            )
        )
    return out


def write_ptbxl_fixture(root: Path, n: int = 6, truncate: tuple[int, ...] = ()) -> Path:
    """A PTB-XL tree of ``n`` synthetic ECGs (ecg_id 1..n); records in ``truncate`` get their
    .dat file cut in half (a corrupt record the build must reject and go on)."""
    from ecginstruct.fixtures.ptbxl import write_ptbxl

    recs = synthetic_records(n)
    for i, r in enumerate(recs):
        r.record_id = str(i + 1)
    write_ptbxl(root, recs, resolution=(500,))
    for ecg_id in truncate:
        dat = next(Path(root).rglob(f"{ecg_id:05d}_hr.dat"))
        data = dat.read_bytes()
        dat.write_bytes(data[: len(data) // 2])
    return Path(root)


def folder_digest(out: Path, names=("data", "rejects.jsonl", "README.md", "assets")) -> dict:
    """sha256 of every output file that must be byte-identical between equivalent builds."""
    digests = {}
    for name in names:
        p = Path(out) / name
        files = sorted(p.rglob("*")) if p.is_dir() else [p]
        for f in files:
            if f.is_file():
                digests[str(f.relative_to(out))] = hashlib.sha256(f.read_bytes()).hexdigest()
    return digests
