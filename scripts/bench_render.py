"""Benchmark the paper renderer on one core: pages/s per layout, PNG and JPEG, vs a bare floor.

The floor copies the cached blank grid, draws 12 anti-aliased 2.5 s traces with the same stroke
code and encodes with the same codec settings -- the least any renderer must do. Targets: a
3x4+1 PNG page at 200 dpi in <= 1.3x the floor and <= 95 ms.

    python scripts/bench_render.py [--n 20] [--dpi 200] [--wfdb PATH] [--json out.json]

Extending (e.g. augmentation styles): write ``cases(args, record) -> [(name, fn)]`` and pass it
to ``main(extra_cases=[...])``, adding any flags with ``extra_arguments=[fn(parser)]``; every
case is timed by :func:`measure` and reported in the same table and JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ecginstruct.types import STANDARD_LEADS, ECGRecord  # noqa: E402
from renderers import RenderSpec, render_page  # noqa: E402
from renderers.encode import encode_jpeg, encode_png  # noqa: E402
from renderers.geometry import frame, px_per_mm  # noqa: E402
from renderers.grid import blank_grid  # noqa: E402
from renderers.spec import LAYOUTS  # noqa: E402
from renderers.traces import draw_polyline, polyline  # noqa: E402

Case = tuple[str, Callable[[], object]]


def one_core() -> str:
    """Pin this process (and OpenCV) to one core so numbers are per core."""
    cv2.setNumThreads(1)
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"core {core}"
    return "unpinned"


def measure(fn: Callable[[], object], n: int, warmup: int = 2) -> dict:
    """Time ``fn`` n times (after ``warmup`` calls): wall and CPU ms, pages per second of CPU
    (per core: the process is pinned to one), and the last result's size when it is bytes.

    CPU time is what a page costs a core; wall time also counts waiting for a shared core.
    """
    out = None
    for _ in range(warmup):
        out = fn()
    wall, cpu = [], []
    for _ in range(n):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        cpu.append((time.process_time() - c) * 1000.0)
        wall.append((time.perf_counter() - t) * 1000.0)
    res = {
        "n": n,
        "cpu_median_ms": statistics.median(cpu),
        "wall_median_ms": statistics.median(wall),
        "wall_min_ms": min(wall),
        "pages_per_s": 1000.0 / statistics.median(cpu),
    }
    if isinstance(out, (bytes, bytearray)):
        res["bytes"] = len(out)
    return res


def load_record(path: str | None) -> ECGRecord:
    if path:
        import wfdb

        from ecginstruct.leads import normalise_lead_name

        r = wfdb.rdrecord(path)
        names = [normalise_lead_name(n) for n in r.sig_name]
        sig = np.stack([r.p_signal[:, names.index(lead)] for lead in STANDARD_LEADS])
        return ECGRecord(Path(path).name, "wfdb", sig.astype(np.float32), float(r.fs))
    from ecginstruct.synthetic import simulate_record

    return simulate_record(np.random.default_rng(0), record_id="bench")


def floor_case(record: ECGRecord, dpi: int, encoder: Callable[[np.ndarray], bytes]) -> Callable:
    """Blank cached grid + 12 anti-aliased 2.5 s traces + encode: the least a page costs."""
    spec = RenderSpec(dpi=dpi)
    s = px_per_mm(dpi)
    fr = frame(spec.paper)
    n = int(2.5 * record.fs)
    width = spec.line_width_mm * s
    lines = []
    for k, lead in enumerate(STANDARD_LEADS):
        r, c = k % 3, k // 3
        x0 = (fr.leads_x0 + 62.5 * c) * s
        base = (fr.grid[1] + 22 + 44 * r) * s
        v = record.lead(lead)[c * n : (c + 1) * n]
        lines.append(polyline(v, record.fs, c * n, c * 2.5, x0, base, 25 * s, 10 * s))

    def run():
        img = blank_grid(spec.paper, dpi, spec.grid_color).copy()
        for pts in lines:
            draw_polyline(img, pts, width)
        return encoder(img)

    return run


def render_cases(args, record: ECGRecord) -> list[Case]:
    cases: list[Case] = [
        ("floor png", floor_case(record, args.dpi, encode_png)),
        ("floor jpeg", floor_case(record, args.dpi, encode_jpeg)),
    ]
    for layout in LAYOUTS:
        spec = RenderSpec(layout=layout, dpi=args.dpi)
        cases.append((f"{layout} render", lambda spec=spec: render_page(record, spec)))
        cases.append(
            (f"{layout} png", lambda spec=spec: encode_png(render_page(record, spec).image))
        )
        cases.append(
            (f"{layout} jpeg", lambda spec=spec: encode_jpeg(render_page(record, spec).image))
        )
    paired = ECGRecord(**{**record.__dict__, "meta": {"paired_record": record}})
    cases.append(
        ("pair png", lambda: encode_png(render_page(paired, RenderSpec(dpi=args.dpi)).image))
    )
    return cases


def base_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", type=int, default=20, help="timed repetitions per case")
    p.add_argument("--dpi", type=int, default=200)
    p.add_argument("--wfdb", default=None, help="WFDB record path (default: a synthetic record)")
    p.add_argument("--json", type=Path, default=None, help="save the numbers as JSON here")


def main(
    argv: list[str] | None = None,
    extra_cases: Iterable[Callable[[argparse.Namespace, ECGRecord], list[Case]]] = (),
    extra_arguments: Iterable[Callable[[argparse.ArgumentParser], None]] = (),
) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    base_arguments(p)
    for add in extra_arguments:
        add(p)
    args = p.parse_args(argv)
    pinned = one_core()
    record = load_record(args.wfdb)
    cases = render_cases(args, record)
    for more in extra_cases:
        cases += more(args, record)
    results = {}
    print(f"{'case':<18} {'cpu ms':>7} {'wall ms':>8} {'pages/s/core':>12} {'KiB':>6}")
    for name, fn in cases:
        r = measure(fn, args.n)
        results[name] = r
        kib = f"{r['bytes'] / 1024:6.0f}" if "bytes" in r else ""
        print(
            f"{name:<18} {r['cpu_median_ms']:7.1f} {r['wall_median_ms']:8.1f} "
            f"{r['pages_per_s']:12.1f} {kib}"
        )

    def ratio(a: str, b: str) -> float:
        return results[a]["cpu_median_ms"] / results[b]["cpu_median_ms"]

    summary = {
        "ratio_3x4+1_png_to_floor": ratio("3x4+1 png", "floor png"),
        "ratio_3x4+1_jpeg_to_floor": ratio("3x4+1 jpeg", "floor jpeg"),
        "3x4+1_png_cpu_ms": results["3x4+1 png"]["cpu_median_ms"],
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }
    for k, v in summary.items():
        print(f"{k}: {v:.2f}" if isinstance(v, float) else f"{k}: {v}")
    out = {
        "dpi": args.dpi,
        "record": {"id": record.record_id, "fs": record.fs, "duration_s": record.duration_s},
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "opencv": cv2.__version__,
            "cpu": pinned,
        },
        "cases": results,
        "summary": summary,
    }
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
