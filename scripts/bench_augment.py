"""Benchmark the augmentation presets: CPU ms per page on one core, per style and intensity, with
PNG and JPEG encoding, plus the cost of every transform alone and the peak RSS.

    .venv/bin/python scripts/bench_augment.py [--dpi 200] [--pages 6] [--json out.json]

CPU time (``time.process_time``) is reported next to wall time because the machine may be shared:
it counts only this process's work. The process is pinned to one core and OpenCV to one thread.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from pathlib import Path

import cv2
import numpy as np


def _pin() -> int | None:
    if hasattr(os, "sched_setaffinity"):
        core = sorted(os.sched_getaffinity(0))[0]
        os.sched_setaffinity(0, {core})
        return core
    return None


def _time(fn, repeat: int):
    cpu, wall, out = [], [], None
    for i in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn(i)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return statistics.median(cpu), statistics.median(wall), out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--pages", type=int, default=6, help="seeds per preset (median reported)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    core = _pin()
    cv2.setNumThreads(1)

    import augment
    from augment.testing import demo_page
    from renderers.encode import encode_jpeg, encode_png

    record, page = demo_page(args.dpi)
    augment.apply_style(page, "photographed", "heavy", np.random.default_rng(0))  # warm-up
    results: dict[str, dict] = {}
    print(f"page {page.width}x{page.height} at {args.dpi} dpi, core {core}")
    print(f"{'preset':26s} {'aug cpu':>8s} {'+png':>8s} {'+jpeg':>8s} {'wall+png':>9s}  out size")
    for style in augment.STYLES:
        for inten in augment.INTENSITIES:

            def run(i, style=style, inten=inten):
                return augment.apply_style(page, style, inten, np.random.default_rng(100 + i))

            aug_cpu, aug_wall, out = _time(run, args.pages)
            outs = [run(i) for i in range(args.pages)]
            png_cpu, png_wall, _ = _time(lambda i, o=outs: encode_png(o[i].image), args.pages)
            jpg_cpu, _, _ = _time(lambda i, o=outs: encode_jpeg(o[i].image), args.pages)
            key = f"{style}/{inten}"
            results[key] = {
                "augment_cpu_ms": aug_cpu,
                "augment_wall_ms": aug_wall,
                "with_png_cpu_ms": aug_cpu + png_cpu,
                "with_jpeg_cpu_ms": aug_cpu + jpg_cpu,
                "with_png_wall_ms": aug_wall + png_wall,
                "size": [out.width, out.height],
            }
            r = results[key]
            print(
                f"{key:26s} {aug_cpu:8.1f} {r['with_png_cpu_ms']:8.1f} {r['with_jpeg_cpu_ms']:8.1f}"
                f" {r['with_png_wall_ms']:9.1f}  {out.width}x{out.height}"
            )
    per_transform = {}
    for name in sorted(augment.TRANSFORMS):
        t = augment.get_transform(name, 0.6)
        params = [t.sample(np.random.default_rng(i), page) for i in range(args.pages)]
        cpu, _, _ = _time(lambda i, t=t, params=params: t.apply(page, params[i]), args.pages)
        per_transform[name] = cpu
    slow = sorted(per_transform.items(), key=lambda kv: -kv[1])
    print("transforms, slowest first (cpu ms):")
    print("  " + ", ".join(f"{k} {v:.1f}" for k, v in slow))
    summary = {
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    print(
        f"peak RSS {summary['peak_rss_mib']:.0f} MiB, load average {summary['load_average_1min']}"
    )
    out = {"dpi": args.dpi, "presets": results, "transforms_cpu_ms": per_transform, **summary}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
