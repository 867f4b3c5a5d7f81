"""Records for task tests (no tests here): built directly -- tasks never look at the signal."""

from __future__ import annotations

import numpy as np

from ecginstruct.types import Demographics, ECGRecord, Measurements

NORMAL_MEASUREMENTS = dict(
    hr_bpm=72.4, rr_ms=829.0, pr_ms=164.0, qrs_ms=92.0, qt_ms=380.0, qtc_ms=417.6, qrs_axis_deg=45.0
)


def record(
    labels=("SR",),
    *,
    report=None,
    language=None,
    meta=None,
    sex="M",
    record_id="r1",
    **measurements,
) -> ECGRecord:
    m = dict(NORMAL_MEASUREMENTS)
    m.update(measurements)
    return ECGRecord(
        record_id=record_id,
        source="test",
        signal=np.zeros((12, 50), np.float32),
        fs=500.0,
        labels=tuple(sorted(labels)),
        report=report,
        report_language=language,
        measurements=Measurements(**m, origin="source"),
        demographics=Demographics(age=61, sex=sex),
        meta=dict(meta or {}),
    )
