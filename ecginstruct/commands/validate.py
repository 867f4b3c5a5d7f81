"""``ecginstruct validate``: check a built folder (schema, images, counts, leakage, exclusions)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check a built dataset folder; non-zero exit if anything is wrong",
        description=(
            "Check a folder made by `ecginstruct build`: layout and completion markers, the "
            "Parquet schema and Hugging Face features (and that datasets.load_dataset opens it), "
            "counts (rows + rejects = planned units, input = written + rejected), that every "
            "image decodes and every conversation is LLaVA form, that no patient is in two "
            "splits, and that no excluded record is present."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("out", type=Path, help="built dataset folder")
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="FILE",
        help="more exclusion lists to check against (besides the folder's exclusions.csv)",
    )
    p.add_argument(
        "--decode-sample",
        type=int,
        default=None,
        metavar="N",
        help="decode only the first N images of each shard (default: all)",
    )
    p.add_argument("--no-hf", action="store_true", help="skip the datasets.load_dataset check")
    p.set_defaults(func=run)


def run(args) -> int:
    from ecginstruct.validate import validate

    rep = validate(
        args.out, exclude=args.exclude, decode_sample=args.decode_sample, hf=not args.no_hf
    )
    print(rep.render())
    return 0 if rep.ok else 1
