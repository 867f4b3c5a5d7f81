"""``ecginstruct exclusions``: make an exclusion list (e.g. from ECGBench's released test sets)."""

from __future__ import annotations

import argparse
from pathlib import Path

EPILOG = """example:
  hf download PULSE-ECG/ECGBench --repo-type dataset --local-dir ecgbench   # once, by hand
  ecginstruct exclusions --from-ecgbench ecgbench --out manifests/exclusions/ecgbench.csv
  ecginstruct build recipe.yaml --out out/x --exclude manifests/exclusions/ecgbench.csv
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "exclusions",
        help="write an exclusion list of benchmark test records (ECGBench)",
        description=(
            "Read a local copy of PULSE's ECGBench (Parquet/JSON rows with image_path) and write "
            "the PTB-XL, ECG-QA, CODE-15%%, CPSC 2018, CSN and G12EC records it tests on as a "
            "source,record_id CSV that `build --exclude` and `validate --exclude` read. "
            "MMMU-ECG and ECG-Arena images come from no source and are only counted."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--from-ecgbench", required=True, type=Path, metavar="DIR")
    p.add_argument("--out", type=Path, default=Path("exclusions.csv"), help="CSV to write")
    p.set_defaults(func=run)


def run(args) -> int:
    from ecginstruct.exclusions import from_ecgbench, write_exclusions
    from ecginstruct.progress import table

    items, counts = from_ecgbench(args.from_ecgbench)
    write_exclusions(args.out, items)
    print(table(sorted(counts.items()), ["subset", "records"]))
    print(f"{len({(e.source, e.record_id) for e in items}):,} distinct records -> {args.out}")
    return 0
