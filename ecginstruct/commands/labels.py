"""``ecginstruct labels``: print the harmonised label vocabulary and the per-source mappings."""

from __future__ import annotations

import argparse
import json

from ecginstruct.labels import CATEGORIES, families, mapping_table, vocabulary
from ecginstruct.types import ConfigError

EPILOG = """examples:
  ecginstruct labels                          # every code: code, category, clinical name
  ecginstruct labels --category rhythm        # only the rhythm codes
  ecginstruct labels --source physionet2021   # how SNOMED CT concepts map onto the codes
  ecginstruct labels --source mimic_iv_ecg    # the phrase rules for MIMIC machine statements
  ecginstruct labels --json                   # machine-readable
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "labels",
        help="print the harmonised label vocabulary and the per-source mappings",
        description=(
            "Without --source: the harmonised vocabulary (code, category, clinical name). With "
            "--source: how that source's own codes (SCP-ECG, SNOMED CT, CPSC 2018, CODE-15%%, "
            "MIMIC-IV-ECG machine statements) map onto the vocabulary. Read from "
            "manifests/labels/."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--source",
        default=None,
        help="a source (ptbxl, ecgqa, physionet2021, cpsc2018, code15, mimic_iv_ecg, synthetic, "
        "wfdb) or a mapping family (scp_ecg, snomed_ct, ...): print its mapping table",
    )
    p.add_argument("--category", choices=CATEGORIES, default=None, help="only this category")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def _vocab_rows(category: str | None) -> list[dict]:
    return [
        info.to_json()
        for info in vocabulary().values()
        if category is None or info.category == category
    ]


def _mapping_rows(source: str, category: str | None) -> list[dict]:
    vocab = vocabulary()
    rows = mapping_table(source)
    if category is not None:
        rows = [r for r in rows if any(vocab[c].category == category for c in r["codes"])]
    return rows


def _print_vocab(rows: list[dict]) -> None:
    width = max((len(r["code"]) for r in rows), default=4)
    for r in rows:
        print(f"{r['code']:<{width}}  {r['category']:<11}  {r['name']}")
    print(f"{len(rows)} codes")


def _print_mapping(source: str, rows: list[dict]) -> None:
    if rows and "pattern" in rows[0]:
        for r in rows:
            codes = ", ".join(r["codes"]) or f"- ({r['note'] or 'understood, no code'})"
            print(f"{codes:<22}  {r['pattern']}")
        print(f"{len(rows)} rules (applied in this order; see manifests/labels/)")
        return
    width = max((len(r["source_code"]) for r in rows), default=4)
    for r in rows:
        codes = ", ".join(r["codes"]) or f"(unmapped: {r['note']})"
        print(f"{r['source_code']:<{width}}  ->  {codes:<18}  {r['source_name']}")
    print(f"{len(rows)} source codes")


def run(args: argparse.Namespace) -> int:
    if args.source is None:
        rows = _vocab_rows(args.category)
        if args.json:
            print(json.dumps(rows, indent=1))
        else:
            _print_vocab(rows)
        return 0
    known = set(families()) | {s for ss in families().values() for s in ss}
    known |= {"synthetic", "wfdb"}
    if args.source not in known:
        raise ConfigError(
            f"no label mapping for {args.source!r}; known: {', '.join(sorted(known))}"
        )
    rows = _mapping_rows(args.source, args.category)
    if args.json:
        print(json.dumps({"source": args.source, "mapping": rows}, indent=1))
    else:
        _print_mapping(args.source, rows)
    return 0
