"""Benchmark: label mapping cost per record (us) per source family, and measurement extraction
per record (CPU ms) with its errors against exact synthetic measurements at 500 and 100 Hz.
One core; prints numbers, asserts nothing.

    .venv/bin/python scripts/bench_labels.py [--records 40] [--seed 0]

Rendering a page takes ~50-90 ms, so label mapping must stay well under 5 % of that (2.5 ms).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from ecginstruct.labels import harmonise  # noqa: E402
from ecginstruct.labels.phrases import phrase_rules  # noqa: E402
from ecginstruct.measure import ensure_measurements  # noqa: E402
from ecginstruct.synthetic.generator import simulate_record  # noqa: E402
from ecginstruct.types import Measurements  # noqa: E402

EXAMPLES = {
    "ptbxl": {"NORM": 100.0, "IRBBB": 100.0, "SBRAD": 0.0},
    "physionet2021": {"284470004": None, "427084000": None, "55827005": None, "164934002": None},
    "cpsc2018": {"AF": 100.0, "RBBB": 100.0},
    "code15": {"1dAVb": 100.0, "RBBB": 100.0},
    "mimic_iv_ecg": {
        "Sinus rhythm with 1st degree A-V block": None,
        "Possible inferior infarct - age undetermined": None,
        "T wave abnormality, consider lateral ischemia": None,
        "Abnormal ECG": None,
    },
    "synthetic": {"SR": 100.0, "1AVB": 100.0},
}


def per_call_us(fn, n: int) -> float:
    fn()  # warm caches (manifests are read once per process)
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def bench_labels(n: int = 20000) -> None:
    print("label mapping, per record (us):")
    for source, labels in EXAMPLES.items():
        us = per_call_us(lambda s=source, lab=labels: harmonise(s, lab), n)
        print(f"  {source:<14} {us:8.1f}")
    rules = phrase_rules()

    def cold():
        rules.parse_line.cache_clear()
        harmonise("mimic_iv_ecg", EXAMPLES["mimic_iv_ecg"])

    print(f"  {'mimic (uncached lines)':<14} {per_call_us(cold, 2000):8.1f}")


MEASURE_CONDITIONS = (
    ["SR"], ["SBRAD"], ["STACH"], ["SR", "1AVB"], ["SR", "RBBB"], ["SR", "LBBB"], ["SR", "PVC"],
    ["AFIB"], ["SR", "1AVB", "RBBB"], ["SBRAD", "LBBB"],
)  # fmt: skip
TOLERANCE = {"hr_bpm": 3.0, "pr_ms": 30.0, "qrs_ms": 20.0, "qt_ms": 40.0, "qrs_axis_deg": 15.0}


def bench_measure(records: int, seed: int) -> None:
    """CPU time (time.process_time: the machine is shared) and absolute errors against the exact
    synthetic measurements, conditions cycling through MEASURE_CONDITIONS."""
    print("measurement extraction (median beat), per record:")
    for fs in (500.0, 100.0):
        times, errors = [], {f: [] for f in TOLERANCE}
        for i in range(records):
            cond = MEASURE_CONDITIONS[i % len(MEASURE_CONDITIONS)]
            truth = simulate_record(np.random.default_rng(seed + i), cond, fs=fs, record_id=f"b{i}")
            rec = dataclasses.replace(truth, measurements=Measurements(), meta={}, labels=())
            t0 = time.process_time()
            got = ensure_measurements(rec).measurements
            times.append((time.process_time() - t0) * 1000)
            for f in TOLERANCE:
                want, value = getattr(truth.measurements, f), getattr(got, f)
                if want is not None:
                    e = np.inf if value is None else value - want
                    if f == "qrs_axis_deg" and value is not None:
                        e = (e + 180.0) % 360.0 - 180.0
                    errors[f].append(abs(e))
        t = np.asarray(times[1:] or times)  # the first call imports and warms up
        print(
            f"  {fs:5.0f} Hz  CPU ms median {np.median(t):6.1f}  max {t.max():6.1f}  (n={records})"
        )
        for f, e in errors.items():
            e = np.asarray(e)
            print(
                f"    {f:<13} |error| median {np.median(e):5.1f}  p90 {np.percentile(e, 90):6.1f}"
                f"  within {TOLERANCE[f]:g}: {100 * np.mean(e <= TOLERANCE[f]):5.1f} %"
                f"  unknown {int(np.isinf(e).sum())}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=40, help="records per sampling rate")
    ap.add_argument("--seed", type=int, default=0, help="first synthetic seed")
    args = ap.parse_args()
    bench_labels()
    bench_measure(args.records, args.seed)


if __name__ == "__main__":
    main()
