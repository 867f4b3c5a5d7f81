"""``ecginstruct gallery``: a contact sheet of augmented pages (every style and intensity)."""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

from ecginstruct.types import ConfigError, RecordError

EPILOG = """examples:
  ecginstruct gallery --out gallery.png                       # 9 synthetic records
  ecginstruct gallery --out gallery.png --n 18 --seed 3
  ecginstruct gallery --out gallery.png --source ptbxl --root data/ptb-xl --n 9
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "gallery",
        help="contact sheet of printed, scanned and photographed pages",
        description=(
            "Render records as ECG pages, augment them cycling through every style (printed, "
            "scanned, photographed) and intensity (light, medium, heavy), and write a grid of "
            "captioned thumbnails (style/intensity, layout, record). Records come from the "
            "synthetic source, plus --n records of --source when given. Seeded: the same "
            "arguments give the same sheet."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", required=True, type=Path, help="output image (.png or .jpg)")
    p.add_argument("--source", default=None, help="also show records of this source")
    p.add_argument("--root", default=None, help="the source's local directory")
    p.add_argument("--n", type=int, default=9, help="records per source (default 9)")
    p.add_argument("--seed", type=int, default=0, help="global seed (default 0)")
    p.add_argument("--dpi", type=int, default=200, help="page resolution (default 200)")
    p.add_argument("--thumb-width", type=int, default=480, help="thumbnail width in px")
    p.add_argument("--cols", type=int, default=3, help="thumbnails per row (default 3)")
    p.set_defaults(func=run)


def _records(args):
    from ecginstruct.sources import get_source

    synthetic = get_source("synthetic", None, n_records=max(args.n, 1), seed=args.seed)
    for ref in itertools.islice(synthetic.refs(), args.n):
        yield synthetic.load(ref)
    if args.source:
        src = get_source(args.source, args.root)
        shown = 0
        for ref in src.refs():
            if shown >= args.n:
                break
            try:
                record = src.load(ref)
            except RecordError as e:  # a gallery shows what loads; say what did not
                print(f"skipped {e}", file=sys.stderr)
                continue
            shown += 1
            yield record


def run(args) -> int:
    from augment.gallery import build_gallery
    from renderers.encode import write_image

    if args.n < 1:
        raise ConfigError("--n must be at least 1")
    if args.out.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise ConfigError(f"--out must end in .png, .jpg or .jpeg, got {args.out.name!r}")
    sheet = build_gallery(
        _records(args), seed=args.seed, dpi=args.dpi, thumb_width=args.thumb_width, cols=args.cols
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_image(sheet, args.out)
    print(f"wrote {args.out} ({sheet.shape[1]}x{sheet.shape[0]})")
    return 0
