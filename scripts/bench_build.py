"""Benchmark of the build: samples/s end to end for the demo recipe with 1 and 2 Ray workers,
Ray start-up overhead, peak RSS per worker, and a projection to ECGInstruct's 1.16 M samples.

    python scripts/bench_build.py --samples 1000 10000 --workers 1 2 [--json out.json]

The demo recipe is scaled to N samples (same source/task/style mix). Every run builds into a
fresh temporary folder with the Ray executor. Peak RSS per worker comes from the shard markers
(``max_rss_mb``, getrusage in the worker process).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ECGINSTRUCT_TOTAL = 1_156_110


def scaled_demo(n: int, sources_root: Path):
    from ecginstruct.commands.demo import demo_recipe_path
    from ecginstruct.plan import largest_remainder
    from ecginstruct.recipe import load_recipe

    r = load_recipe(demo_recipe_path(), variables={"DEMO_SOURCES": str(sources_root)})
    weights = {s.id: float(s.samples) for s in r.sources}
    counts = largest_remainder(n, weights)
    sources = [dataclasses.replace(s, samples=counts[s.id]) for s in r.sources]
    return dataclasses.replace(r, sources=sources, samples_per_shard=max(16, n // 40))


def ray_startup(workers: int, tmp: str) -> float:
    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, _temp_dir=tmp, log_to_driver=False)
    ray.get(ray.remote(lambda: 1).remote())
    dt = time.perf_counter() - t0
    return dt


def run(n: int, workers: int, sources_root: Path) -> dict:
    import ray

    from ecginstruct.executors import build

    tmp = tempfile.mkdtemp(prefix="rb", dir="/tmp")
    out = Path(tmp) / "ds"
    try:
        startup = ray_startup(workers, tmp)
        t0 = time.perf_counter()
        rep = build(
            scaled_demo(n, sources_root),
            out,
            executor="ray",
            workers=workers,
            progress=False,
            card=False,
        )
        wall = time.perf_counter() - t0
        ray.shutdown()
        rss_by_pid: dict[int, float] = {}
        for s in rep.stats:
            rss_by_pid[s["pid"]] = max(rss_by_pid.get(s["pid"], 0.0), s["max_rss_mb"])
        t = rep.totals()
        return {
            "samples": n,
            "workers": workers,
            "written": t["written"],
            "rejected": t["rejected"],
            "ray_startup_s": round(startup, 2),
            "build_s": round(rep.seconds["build"], 2),
            "wall_s": round(wall, 2),
            "samples_per_s": round(t["input"] / rep.seconds["build"], 3),
            "peak_rss_mb_per_worker": sorted(rss_by_pid.values()),
            "bytes": sum(s["bytes"] for s in rep.stats),
        }
    finally:
        if ray.is_initialized():
            ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--cores", type=int, default=64, help="cluster size of the projection")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    from ecginstruct.commands.demo import write_demo_sources

    src = Path(tempfile.mkdtemp(prefix="bench-src-"))
    write_demo_sources(src)
    results = []
    for n in args.samples:
        for w in args.workers:
            r = run(n, w, src)
            results.append(r)
            print(json.dumps(r), flush=True)
    shutil.rmtree(src, ignore_errors=True)

    print("\nsamples  workers  samples/s  build s  ray start s  peak RSS MB/worker")
    for r in results:
        print(
            f"{r['samples']:>7}  {r['workers']:>7}  {r['samples_per_s']:>9.2f}  "
            f"{r['build_s']:>7.1f}  {r['ray_startup_s']:>11.1f}  {r['peak_rss_mb_per_worker']}"
        )
    summary = {"runs": results}
    for n in args.samples:
        by_w = {r["workers"]: r for r in results if r["samples"] == n}
        if 1 in by_w and 2 in by_w:
            ratio = by_w[2]["samples_per_s"] / by_w[1]["samples_per_s"]
            summary[f"speedup_2_over_1_at_{n}"] = round(ratio, 3)
            print(f"speed-up 2 workers / 1 worker at {n}: {ratio:.2f} (target >= 1.8)")
    one = [r for r in results if r["workers"] == 1]
    if one:
        per_core = max(r["samples_per_s"] for r in one)
        eff = min(1.0, summary.get(f"speedup_2_over_1_at_{args.samples[-1]}", 2.0) / 2)
        rate = per_core * args.cores * eff
        hours = ECGINSTRUCT_TOTAL / rate / 3600
        summary["projection"] = {
            "cores": args.cores,
            "per_core_samples_per_s": per_core,
            "parallel_efficiency": round(eff, 3),
            "hours_for_1_16M": round(hours, 2),
        }
        print(
            f"projection: {ECGINSTRUCT_TOTAL:,} samples on {args.cores} cores at {per_core:.2f} "
            f"samples/s/core x efficiency {eff:.2f} -> {hours:.1f} h"
        )
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
