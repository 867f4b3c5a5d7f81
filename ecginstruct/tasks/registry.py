"""The single-turn tasks and when each applies (cheap checks, no generation, no computation)."""

from __future__ import annotations

from ecginstruct.tasks import features, findings, report
from ecginstruct.tasks.base import CATEGORIES, FORMATS, absent_in, present_in
from ecginstruct.types import ECGRecord

_ALL = {**features.GENERATORS, **findings.GENERATORS, **report.GENERATORS}
# task name -> generator(record, rng), ordered by category then format (display, generate()).
SINGLE = {f"{c}/{f}": _ALL[f"{c}/{f}"] for c in CATEGORIES for f in FORMATS if f"{c}/{f}" in _ALL}

_CLOSE_FIELDS = ("hr_bpm", "pr_ms", "qrs_ms", "qtc_ms", "qrs_axis_deg")


def why_not(record: ECGRecord, task: str) -> str | None:
    """Why ``task`` cannot be generated for ``record`` (``None`` when it can).

    Basic-feature tasks count as applicable for a record with no measurements at all when it has
    a signal: they are computed on first use (which may still fail and raise TaskNotApplicable).
    """
    category, fmt = task.split("/")
    if category == "basic_feature":
        vals = features.values_of(record)
        if not vals:
            if _has_measurements(record) or getattr(record, "signal", None) is None:
                return "no usable measurements"
            return None
        if fmt == "close_ended" and not any(f in vals for f in _CLOSE_FIELDS):
            return "no rate, PR, QRS, QTc or axis value"
        return None
    if category == "report":
        return None if report.report_text(record) else "record has no report"
    present = present_in(record, category)
    if fmt == "open_ended":
        ok = present or (category == "morphology" and "NORM" in record.labels)
        return None if ok else f"no {category} label"
    if not present:
        return f"no {category} label"
    if fmt == "close_ended" and not absent_in(record, category):
        return f"no absent {category} label to ask about"
    if fmt == "mcq" and not any(
        len(absent_in(record, category, same_category_as=c)) >= findings.N_OPTIONS - 1
        for c in present
    ):
        return "too few absent labels of the same category"
    return None


def _has_measurements(record: ECGRecord) -> bool:
    """Some measurement is set (even if unusable): then nothing is recomputed."""
    return any(getattr(record.measurements, f, None) is not None for f in features.MEASURES)
