"""Task generation cost per record (all applicable tasks) and per task, on one core.

Records are synthetic-looking ECGRecords with measurements, 1-4 labels, a report and (for a
quarter) an ECG-QA item; the signal is never read by tasks, so a tiny one is used. Target: well
under 5 % of rendering (~60-90 ms/page), i.e. < 2 ms per record for all tasks together.

    .venv/bin/python scripts/bench_tasks.py [--records 2000]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np

from ecginstruct import tasks
from ecginstruct.seeding import rng_for
from ecginstruct.types import Demographics, ECGRecord, Measurements

COMBOS = [
    ("NORM", "SR"),
    ("SR", "1AVB"),
    ("AFIB", "RBBB"),
    ("SBRAD", "LBBB"),
    ("STACH", "PVC"),
    ("SR", "LVH", "STD"),
    ("SR", "IMI", "LAD"),
    ("AFLT", "LAFB", "INVT"),
]


def make(i: int) -> ECGRecord:
    rng = rng_for(0, f"bench-{i}", "bench")
    labels = COMBOS[i % len(COMBOS)]
    meta = {}
    if i % 4 == 0:
        meta["ecgqa"] = {
            "question": "Does this ECG show sinus rhythm?",
            "answer": ["yes"],
            "question_type": "single-verify",
            "attribute_type": "scp_code",
        }
    hr = float(rng.uniform(45, 130))
    return ECGRecord(
        record_id=f"bench-{i}",
        source="bench",
        signal=np.zeros((12, 10), np.float32),
        fs=500.0,
        labels=tuple(sorted(labels)),
        report="Sinus rhythm. Normal ECG.",
        report_language="en",
        measurements=Measurements(
            hr_bpm=hr,
            rr_ms=60000 / hr,
            pr_ms=float(rng.uniform(110, 260)),
            qrs_ms=float(rng.uniform(70, 160)),
            qt_ms=380.0,
            qtc_ms=430.0,
            qrs_axis_deg=float(rng.uniform(-60, 120)),
            origin="synthetic",
        ),
        demographics=Demographics(age=60, sex="F"),
        meta=meta,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=2000)
    n = ap.parse_args().records
    records = [make(i) for i in range(n)]
    tasks.generate(records[0], rng_for(0, "warm", "tasks"))  # templates, vocabulary, caches
    per_task: dict[str, list[float]] = defaultdict(list)
    n_conv = 0
    t0 = time.perf_counter()
    for r in records:
        rng = rng_for(0, r.record_id, "tasks")
        for task in tasks.applicable_tasks(r):
            t = time.perf_counter()
            tasks.generate_task(r, task, rng)
            per_task[task].append(time.perf_counter() - t)
            n_conv += 1
    total = time.perf_counter() - t0
    t1 = time.perf_counter()
    for r in records:
        tasks.applicable_tasks(r)
    appl = time.perf_counter() - t1
    print(f"{n} records, {n_conv} conversations (checks included) in {total:.2f} s")
    print(f"all applicable tasks: {1000 * total / n:.3f} ms/record  (target < 2 ms)")
    print(f"applicable_tasks():   {1e6 * appl / n:.0f} us/record")
    print(f"{'task':28s} {'us/conversation':>16s} {'count':>7s}")
    for task in tasks.TASKS:
        ts = per_task.get(task)
        if ts:
            print(f"{task:28s} {1e6 * float(np.mean(ts)):16.0f} {len(ts):7d}")


if __name__ == "__main__":
    main()
