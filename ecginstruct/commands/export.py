"""``ecginstruct export``: write a built folder in another training layout (LLaVA/PULSE JSON)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers) -> None:
    from ecginstruct.export import FORMATS

    p = subparsers.add_parser(
        "export",
        help="export a built dataset to LLaVA/PULSE training JSON + image files",
        description=(
            "llava: DEST/<split>.json (a list of {id, image, conversations}, image paths relative "
            "to DEST: pass DEST as LLaVA's image_folder) and the images under DEST/images/<split>/."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("out", type=Path, help="built dataset folder")
    p.add_argument("--format", choices=FORMATS, default="llava", help="target layout")
    p.add_argument("--dest", required=True, type=Path, help="destination folder")
    p.add_argument("--split", action="append", default=None, help="only this split (repeatable)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ecginstruct.export import export

    counts = export(args.out, args.format, args.dest, args.split)
    for split, n in sorted(counts.items()):
        print(f"{split}: {n:,} samples -> {args.dest / (split + '.json')}")
    return 0
