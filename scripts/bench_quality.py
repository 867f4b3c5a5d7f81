"""Benchmark of the quality loop: build a 2k-sample synthetic dataset, run `ecginstruct quality` on
it (probe included), then on a copy whose label column was shuffled, and print the numbers.

    .venv/bin/python scripts/bench_quality.py --out out/bench_quality            # everything
    .venv/bin/python scripts/bench_quality.py --out out/bench_quality --skip-build

Prints: build time, probe wall time (decode + training + control), macro AUC on printed / scanned /
photographed test pages, the shuffled-control AUC, and the verdict on the corrupted copy. Run it on
an otherwise idle machine for timings (the build uses one core, the probe torch.set_num_threads(2)).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")

RECIPE = {
    "name": "quality-bench-2k",
    "description": "2k synthetic samples for the learnability probe benchmark",
    "seed": 2024,
    "samples_per_shard": 250,
    "row_group_size": 32,
    "styles": {"printed": 0.34, "scanned": 0.33, "photographed": 0.33},
    "intensities": {"light": 0.4, "medium": 0.4, "heavy": 0.2},
    "render": {"dpi": 100},
    "image": {"format": "jpeg", "jpeg_quality": 85},
    "splits": {"val": 0.15, "test": 0.15},
    "sources": [
        {
            "id": "synthetic",
            "source": "synthetic",
            "options": {"n_records": 2000, "seed": 11},
            "samples": 2000,
            "tasks": {
                "rhythm/mcq": 1,
                "rhythm/close_ended": 1,
                "basic_feature/fill_blank": 1,
                "basic_feature/mcq": 1,
                "report/open_ended": 1,
            },
        }
    ],
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, default=Path("out/bench_quality"))
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--skip-build", action="store_true", help="reuse OUT/dataset")
    ap.add_argument("--no-corrupt", action="store_true", help="skip the corrupted-label run")
    ap.add_argument("--epochs", type=int, default=None)
    args = ap.parse_args(argv)

    from ecginstruct.executors import build
    from ecginstruct.quality.config import load_config
    from ecginstruct.quality.corrupt import shuffle_labels
    from ecginstruct.quality.run import run_quality
    from ecginstruct.recipe import load_recipe

    args.out.mkdir(parents=True, exist_ok=True)
    ds = args.out / "dataset"
    if not args.skip_build:
        recipe = dict(RECIPE)
        src = dict(recipe["sources"][0], samples=args.samples)
        src["options"] = dict(src["options"], n_records=args.samples)
        recipe["sources"] = [src]
        path = args.out / "recipe.yaml"
        path.write_text(yaml.safe_dump(recipe, sort_keys=False))
        t = time.perf_counter()
        rep = build(
            load_recipe(path), ds, executor="local", progress=False, overwrite=True, card=False
        )
        print(f"build: {rep.totals()} in {time.perf_counter() - t:.0f} s (local executor, 1 core)")
        if not rep.ok:
            print("build failed:", rep.failures, file=sys.stderr)
            return 1
    cfg = load_config()

    def say(msg):
        print("  " + msg, flush=True)

    t = time.perf_counter()
    res = run_quality(ds, args.out / "report", config=cfg, epochs=args.epochs, progress=say)
    wall = time.perf_counter() - t
    probe = res.details["probe"]
    real, ctrl = probe["real"], probe["control"]
    styles = {k: m["macro_auc"] for k, m in real["by_group"]["style"].items()}
    print(
        f"quality run: {wall:.0f} s (probe {res.seconds['probe']:.0f} s: decode "
        f"{probe['decode_s']:.0f} s, train {real['seconds']:.0f} s, control {ctrl['seconds']:.0f} s)"
    )
    print(
        f"probe macro AUC (test): all {real['test']['macro_auc']:.3f}; "
        + ", ".join(f"{k} {v:.3f}" for k, v in styles.items())
    )
    print("drop from printed: " + ", ".join(f"{k} {v:.3f}" for k, v in probe["style_drop"].items()))
    print(
        f"shuffled-label control AUC: {ctrl['test']['macro_auc']:.3f}; margin {probe['margin']:.3f}"
    )
    print(
        f"verdict (clean): {res.verdict}; failed: "
        f"{[c.name for c in res.checks if c.status == 'fail'] or 'none'}"
    )
    if not args.no_corrupt:
        bad = shuffle_labels(ds, args.out / "corrupted")
        t = time.perf_counter()
        res2 = run_quality(
            bad,
            args.out / "report_corrupted",
            config=cfg,
            epochs=args.epochs,
            fidelity=False,
            progress=say,
        )
        p2 = res2.details["probe"]
        print(
            f"corrupted labels: verdict {res2.verdict} in {time.perf_counter() - t:.0f} s; probe AUC "
            f"{p2['real']['test']['macro_auc']:.3f} vs control {p2['control']['test']['macro_auc']:.3f}; "
            f"failed: {[c.name for c in res2.checks if c.status == 'fail']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
