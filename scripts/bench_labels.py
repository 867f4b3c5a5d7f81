"""Benchmark: label mapping cost per record (us) per source family, and measurement extraction
per record with neurokit2 (ms) at 100 and 500 Hz. One core; prints numbers, asserts nothing.

    .venv/bin/python scripts/bench_labels.py [--records 5]

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


def bench_measure(records: int) -> None:
    print("measurement extraction with neurokit2, per record (ms):")
    for fs in (100.0, 500.0):
        times = []
        for i in range(records):
            rec = simulate_record(np.random.default_rng(i), ["SR"], fs=fs, record_id=f"b{i}")
            rec = dataclasses.replace(rec, measurements=Measurements())
            t0 = time.perf_counter()
            ensure_measurements(rec)
            times.append((time.perf_counter() - t0) * 1000)
        print(
            f"  {fs:5.0f} Hz  median {np.median(times):7.1f}  max {max(times):7.1f}  (n={records})"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=5, help="records per sampling rate")
    args = ap.parse_args()
    bench_labels()
    bench_measure(args.records)


if __name__ == "__main__":
    main()
