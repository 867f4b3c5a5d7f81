"""Benchmark the synthetic source on one core: records/s over N records of the default mix, then
the time per record of each condition. Prints numbers; asserts nothing.

    .venv/bin/python scripts/bench_synthetic.py [--n 500] [--fs 500] [--duration 10]
"""

from __future__ import annotations

import argparse
import os
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # one core, as the brief's target says

import numpy as np  # noqa: E402

from ecginstruct.sources.synthetic import SyntheticSource  # noqa: E402
from ecginstruct.synthetic import simulate  # noqa: E402

CONDITIONS = ["NORM", "SBRAD", "STACH", "AFIB", "1AVB", "RBBB", "LBBB", "PVC", "AFIB+RBBB+PVC"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500, help="records for the mix benchmark")
    ap.add_argument("--fs", type=float, default=500.0)
    ap.add_argument("--duration", type=float, default=10.0)
    args = ap.parse_args()

    src = SyntheticSource(n_records=args.n, fs=args.fs, duration_s=args.duration)
    refs = list(src.refs())
    src.load(refs[0])  # warm-up (imports, caches)
    t0, c0 = time.perf_counter(), time.process_time()
    for r in refs:
        src.load(r)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"default mix: {args.n} records ({args.fs:g} Hz x {args.duration:g} s) in {dt:.2f} s "
        f"= {args.n / dt:.0f} records/s wall ({1000 * dt / args.n:.2f} ms/record); "
        f"{args.n / cpu:.0f} records/s of CPU time (other load on the machine excluded)"
    )
    k = max(50, args.n // 10)
    for c in CONDITIONS:
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        for _ in range(k):
            simulate(rng, conditions=c, fs=args.fs, duration_s=args.duration)
        dt = time.perf_counter() - t0
        print(f"  {c:<16} {1000 * dt / k:6.2f} ms/record  ({k / dt:5.0f} records/s)")


if __name__ == "__main__":
    main()
