"""``ecginstruct render``: print one record of a source as an ECG page image (+ ground truth)."""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path

from ecginstruct.seeding import rng_for
from ecginstruct.types import ConfigError

EPILOG = """examples:
  ecginstruct render --source ptbxl --root data/ptb-xl --record 6000 --out page.png
  ecginstruct render --source synthetic --record syn-0001 --layout 6x2 --grid-color green \\
      --dpi 300 --out page.jpg --annotations page.json
  ecginstruct render --source ptbxl --root data/ptb-xl --record 6000 --style photo \\
      --intensity 0.7 --masks masks/ --out photo.jpg
"""


def add_parser(subparsers) -> None:
    from renderers.spec import GAINS, GRID_COLORS, LAYOUTS, LEAD_ORDERS, OVERFLOWS, PAPERS, SPEEDS

    p = subparsers.add_parser(
        "render",
        help="render one record as an ECG page image",
        description=(
            "Print one record as a 12-lead ECG page on ECG paper (OpenCV, exact paper geometry) "
            "and write the image; optionally its ground truth (per-lead boxes, trace polylines, "
            "px/mm, time and voltage origins) as JSON, a scan/photo style, and masks. Options "
            "left out take the clinical defaults (3x4+1, lead II strip, 25 mm/s, 10 mm/mV)."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--source", required=True, help="source name (e.g. ptbxl, physionet2021)")
    p.add_argument("--root", default=None, help="the source's local directory")
    p.add_argument("--record", required=True, help="record id within the source")
    p.add_argument("--out", required=True, type=Path, help="output image, .png or .jpg")
    p.add_argument("--annotations", type=Path, help="write Page.annotations() JSON here")
    p.add_argument("--layout", choices=LAYOUTS, default="3x4+1")
    p.add_argument(
        "--rhythm-leads",
        default="II",
        help="comma-separated rhythm strip lead(s) (default II; 3x4+3 pads with V1,II,V5)",
    )
    p.add_argument("--speed", type=int, choices=SPEEDS, default=25, help="paper speed, mm/s")
    p.add_argument("--gain", type=int, choices=GAINS, default=10, help="gain, mm/mV")
    p.add_argument("--dpi", type=int, default=200, help="resolution, 100..600 (default 200)")
    p.add_argument("--paper", choices=PAPERS, default="letter")
    p.add_argument("--grid-color", choices=GRID_COLORS, default="red")
    p.add_argument("--lead-order", choices=LEAD_ORDERS, default="standard")
    p.add_argument(
        "--overflow",
        choices=OVERFLOWS,
        default="overlap",
        help="traces taller than their row: cut at the row (clip) or drawn across (overlap)",
    )
    p.add_argument("--no-header", action="store_true", help="leave out measurements and age/sex")
    p.add_argument("--start", type=float, default=None, help="first second shown (default 0)")
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed for random choices (window of long records, style); default: none drawn",
    )
    p.add_argument(
        "--style",
        default=None,
        help="augmentation style for augment.apply_style (e.g. printed, scanned, photographed)",
    )
    p.add_argument(
        "--intensity",
        type=_intensity,
        default="medium",
        help="style intensity: light, medium, heavy or a number in 0..1 (default medium)",
    )
    p.add_argument("--masks", type=Path, default=None, help="write masks to this directory")
    p.set_defaults(func=run)


def _intensity(text: str) -> str | float:
    try:
        return float(text)
    except ValueError:
        return text


def _augment():
    try:
        return importlib.import_module("augment")
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ConfigError(
            f"--style/--masks need the augment package, which failed to import: {e}"
        ) from e


def run(args) -> int:
    from ecginstruct.sources import get_source
    from renderers import RenderSpec, render_page
    from renderers.encode import write_image

    suffix = args.out.suffix.lower()
    if suffix not in (".png", ".jpg", ".jpeg"):
        raise ConfigError(f"--out must end in .png, .jpg or .jpeg, got {args.out.name!r}")
    spec = RenderSpec.from_dict(
        {
            "layout": args.layout,
            "rhythm_leads": tuple(x.strip() for x in args.rhythm_leads.split(",") if x.strip()),
            "lead_order": args.lead_order,
            "speed_mm_s": args.speed,
            "gain_mm_mv": args.gain,
            "dpi": args.dpi,
            "paper": args.paper,
            "grid_color": args.grid_color,
            "overflow": args.overflow,
            "header": not args.no_header,
            "start_s": args.start,
        }
    )
    source = get_source(args.source, args.root)
    record = source.load_id(args.record)
    rng = None if args.seed is None else rng_for(args.seed, record.record_id, "render")
    page = render_page(record, spec, rng)
    if args.style is not None or args.masks is not None:
        aug = _augment()
        if args.style is not None:
            if not hasattr(aug, "apply_style"):
                raise ConfigError("augment.apply_style is not available in this install")
            seed = 0 if args.seed is None else args.seed
            page = aug.apply_style(
                page, args.style, args.intensity, rng_for(seed, record.record_id, "augment")
            )
        if args.masks is not None:
            if not hasattr(aug, "write_masks"):
                raise ConfigError("augment.write_masks is not available in this install")
            args.masks.mkdir(parents=True, exist_ok=True)
            aug.write_masks(page, args.masks)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_image(page.image, args.out)
    if args.annotations is not None:
        args.annotations.parent.mkdir(parents=True, exist_ok=True)
        args.annotations.write_text(json.dumps(page.annotations()))
    print(
        f"wrote {args.out} ({page.width}x{page.height}, {len(page.panels)} panels)"
        + (f" and {args.annotations}" if args.annotations else "")
    )
    return 0
