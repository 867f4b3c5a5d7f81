"""The ``ecginstruct`` command line. Each sub-command lives in ``ecginstruct/commands/<name>.py``
and exposes ``add_parser(subparsers)`` (which sets ``func``) -- this file only wires them up."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from ecginstruct import __version__
from ecginstruct.types import ECGInstructError

# Order = order in `ecginstruct --help`.
COMMANDS = [
    "sources",
    "labels",
    "render",
    "tasks",
    "llm",
    "build",
    "demo",
    "validate",
    "quality",
    "eval",
    "export",
    "publish",
    "exclusions",
    "gallery",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecginstruct",
        description="Regenerate ECGInstruct-style ECG image/instruction datasets from raw ECGs.",
    )
    parser.add_argument("--version", action="version", version=f"ecginstruct {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"ecginstruct.commands.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        rc = args.func(args)
    except ECGInstructError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())
