"""``ecginstruct sources``: list the sources and show their manifests (what to download, the
expected layout, the license)."""

from __future__ import annotations

import argparse
import json

import yaml

from ecginstruct.manifests import load_source_manifest, manifests_dir
from ecginstruct.sources import SOURCES, get_source, source_class

EPILOG = """examples:
  ecginstruct sources                       # table: name, title, license, sampling rate
  ecginstruct sources ptbxl                 # full manifest: citation, download, layout, notes
  ecginstruct sources --json                # the table as JSON
  ecginstruct sources wfdb --root DIR       # also count the records found under DIR
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "sources",
        help="list the supported source repositories and how to get them",
        description=(
            "Without NAME: one line per source (manifest title, license, sampling rate). With "
            "NAME: that source's manifest (citation, license, homepage, download commands, "
            "expected folder layout, label vocabulary, notes)."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", nargs="?", help=f"one source: {', '.join(SOURCES)}")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--root",
        default=None,
        help="with NAME: a local copy of the source; counts its records (index files only)",
    )
    p.set_defaults(func=run)


def _manifest(name: str) -> dict:
    path = manifests_dir() / "sources" / f"{name}.yaml"
    return load_source_manifest(name) if path.is_file() else {}


def _summary(name: str) -> dict:
    m = _manifest(name)
    return {
        "name": name,
        "title": m.get("title"),
        "license": m.get("license"),
        "sampling_rate": m.get("sampling_rate"),
    }


def _rate_text(rate) -> str:
    if rate in (None, ""):
        return "-"
    if isinstance(rate, list):
        return "/".join(str(r) for r in rate) + " Hz"
    return f"{rate} Hz" if isinstance(rate, (int, float)) else str(rate)


def run(args) -> int:
    if args.name is None:
        rows = [_summary(name) for name in SOURCES]
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        width = max(len(r["name"]) for r in rows)
        for r in rows:
            rate = _rate_text(r["sampling_rate"])
            print(f"{r['name']:<{width}}  {r['title'] or '(no manifest)'}")
            print(f"{'':<{width}}  license: {r['license'] or '-'}; sampling rate: {rate}")
        return 0
    source_class(args.name)  # ConfigError naming the known sources if unknown
    manifest = load_source_manifest(args.name)
    if args.root:
        n = sum(1 for _ in get_source(args.name, args.root).refs())
        manifest = {**manifest, "local_records": n}
    if args.json:
        print(json.dumps(manifest, indent=2, default=str))
    else:
        print(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100), end="")
    return 0
