"""``ecginstruct quality``: is a built dataset any good? Checks, a probe, a report, an exit code."""

from __future__ import annotations

import argparse
from pathlib import Path

EPILOG = """examples:
  ecginstruct quality out/demo --report out/demo/quality
  ecginstruct quality out/v1 --report q/ --no-probe             # text, split and fidelity only
  ecginstruct quality out/x --report q/ --config my_thresholds.yaml --epochs 20
  ecginstruct quality out/x --report q/ --checkpoint probe.pt    # start the probe from weights

Exit code: 0 when every check passes (or is skipped for too few rows), 1 when any fails, 2 on a
usage or input error -- so a dataset's CI can gate on it. Thresholds: manifests/quality.yaml.
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "quality",
        help="quality checks + learnability probe on a built dataset (non-zero exit on failure)",
        description=(
            "Run the quality checks on a folder made by `ecginstruct build`: split leakage and "
            "exclusions, answer/label consistency and text statistics, signal fidelity of "
            "digitized pages per style, and a small CNN trained on the images to predict the "
            "labels (with a shuffled-label control). Writes report.md, report.html, quality.json "
            "and plots to --report and prints the verdict table."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("out", type=Path, help="built dataset folder (with data/*.parquet)")
    p.add_argument("--report", type=Path, default=None, metavar="DIR", help="write the report here")
    p.add_argument(
        "--config", type=Path, default=None, help="thresholds YAML (default manifests/quality.yaml)"
    )
    p.add_argument("--no-probe", action="store_true", help="skip the learnability probe (torch)")
    p.add_argument("--no-fidelity", action="store_true", help="skip the digitization round trip")
    p.add_argument("--epochs", type=int, default=None, help="probe epochs (default from config)")
    p.add_argument(
        "--checkpoint", default=None, help="initialise the probe from this torch state dict"
    )
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="FILE",
        help="more exclusion lists (besides the build's exclusions.csv); repeatable",
    )
    p.set_defaults(func=run)


def render_checks(res) -> str:
    from ecginstruct.quality.report import _f

    head = ("check", "value", "threshold", "status")
    rows = [(c.name, _f(c.value), c.threshold_text, c.status) for c in res.checks]
    w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(x) for h, x in zip(head, w))]
    lines += ["  ".join(c.ljust(x) for c, x in zip(r, w)) for r in rows]
    lines.append(f"verdict: {res.verdict}")
    return "\n".join(lines)


def run(args) -> int:
    from ecginstruct.quality.config import load_config
    from ecginstruct.quality.run import run_quality

    res = run_quality(
        args.out,
        args.report,
        config=load_config(args.config),
        probe=not args.no_probe,
        fidelity=not args.no_fidelity,
        epochs=args.epochs,
        checkpoint=args.checkpoint,
        exclude=args.exclude,
        progress=lambda m: print(m, flush=True),
    )
    print(render_checks(res))
    if args.report is not None:
        print(f"report: {args.report / 'report.md'} (and report.html, quality.json)")
    return 0 if res.ok else 1
