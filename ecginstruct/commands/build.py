"""``ecginstruct build``: build (or resume) a recipe into a Parquet dataset folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EPILOG = """examples:
  ecginstruct build manifests/recipes/demo.yaml --out out/demo --executor local
  ecginstruct build manifests/recipes/ecginstruct-v1.yaml --out out/v1 --workers 16
  ecginstruct build recipe.yaml --out out/x --address ray://head:10001   # existing cluster
  ecginstruct build recipe.yaml --out out/x --limit 200                 # quick look

Rerunning into the same --out resumes: finished shards are skipped. Paths in the recipe may use
${VAR} (set it in the environment) and are relative to the recipe file.
"""


def add_build_options(p: argparse.ArgumentParser, default_executor: str) -> None:
    p.add_argument("--out", required=True, type=Path, help="output folder (created)")
    p.add_argument(
        "--executor",
        choices=("local", "ray"),
        default=default_executor,
        help=f"where shards run: ray (parallel) or local (in process); default {default_executor}",
    )
    p.add_argument("--workers", type=int, default=None, help="Ray workers (default: all CPUs)")
    p.add_argument("--address", default=None, help="address of an existing Ray cluster")
    p.add_argument("--limit", type=int, default=None, help="build at most N samples (same mix)")
    p.add_argument("--overwrite", action="store_true", help="replace a different build in --out")
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="FILE",
        help="exclusion list (source,record_id CSV; repeatable); see `ecginstruct exclusions`",
    )
    p.add_argument("--retries", type=int, default=2, help="retries of a failed shard (default 2)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "build",
        help="build a recipe into a Hugging Face Parquet dataset (resumable)",
        description=(
            "Plan the recipe into shards of work units, render/augment/generate every sample on "
            "the executor, write data/{split}-NNNNN-of-MMMMM.parquet, rejects.jsonl, "
            "summary.json and the dataset card README.md. Output bytes depend only on the recipe."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("recipe", type=Path, help="recipe YAML (manifests/recipes/*.yaml)")
    add_build_options(p, "ray")
    p.set_defaults(func=run)


def run_build(recipe, args) -> int:
    import os

    from ecginstruct.executors import build

    workers = args.workers or (os.cpu_count() or 1)
    report = build(
        recipe,
        args.out,
        executor=args.executor,
        workers=workers if args.executor == "ray" else 1,
        address=args.address,
        limit=args.limit,
        overwrite=args.overwrite,
        exclude=args.exclude,
        retries=args.retries,
        progress=not args.no_progress,
    )
    print(summary_text(report))
    if not report.ok:
        print(
            f"{len(report.failures)} shard(s) failed after retries; rerun the same command to "
            "resume:",
            file=sys.stderr,
        )
        for f in report.failures:
            print(f"  {f.shard} ({f.attempts} attempts): {f.error}", file=sys.stderr)
        return 1
    return 0


def summary_text(report) -> str:
    from collections import Counter

    from ecginstruct.progress import table

    rows = []
    per_split: dict[str, Counter] = {}
    for s in report.stats:
        c = per_split.setdefault(s["split"], Counter())
        c["shards"] += 1
        c["written"] += s["rows"]
        c["rejected"] += len(s["rejects"])
        c["bytes"] += s["bytes"]
    for split, c in per_split.items():
        rows.append((split, c["shards"], c["written"], c["rejected"], round(c["bytes"] / 1e6, 2)))
    t = report.totals()
    rows.append(
        (
            "total",
            len(report.stats),
            t["written"],
            t["rejected"],
            round(sum(s["bytes"] for s in report.stats) / 1e6, 2),
        )
    )
    by_source = Counter()
    for s in report.stats:
        by_source.update(s["counts"].get("source", {}))
    secs = report.seconds
    rate = (report.units_run / secs["build"]) if secs.get("build") else 0.0
    lines = [
        table(rows, ["split", "shards", "written", "rejected", "MB"]),
        "",
        table(sorted(by_source.items()), ["source", "written"]),
        "",
        f"input {t['input']:,} = written {t['written']:,} + rejected {t['rejected']:,}"
        f" (rejects in {report.out / 'rejects.jsonl'})",
        f"resumed {report.resumed_shards} finished shard(s); executor {report.executor}"
        f" x{report.workers}",
        f"time: plan {secs.get('plan', 0):.1f} s, build {secs.get('build', 0):.1f} s"
        f" ({report.units_run:,} units this run, {rate:.1f} samples/s), card {secs.get('finalize', 0):.1f} s",
        f"dataset: {report.out}  (card: {report.out / 'README.md'})",
    ]
    return "\n".join(lines)


def run(args) -> int:
    from ecginstruct.recipe import load_recipe

    return run_build(load_recipe(args.recipe), args)
