"""Basic feature recognition: questions about heart rate, RR, PR, QRS, QT/QTc and axis.

Answers come from ``record.measurements`` only (rounded to whole units, as read from paper);
when a record has none they are computed once with ``ecginstruct.measure.ensure_measurements``
and written back into the record, so the row, the answer and the checks see the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ecginstruct.tasks import templates
from ecginstruct.tasks.base import (
    LETTERS,
    TaskNotApplicable,
    cap,
    choose,
    format_options,
    join_names,
    make,
)
from ecginstruct.types import Conversation, ECGRecord

CATEGORY = "basic_feature"
FILE = "basic_feature"


@dataclass(frozen=True)
class Measure:
    field: str
    name: str  # as it reads in a sentence
    unit: str
    step: int  # spacing of MCQ distractors: clearly distinguishable on paper
    lo: float  # plausible range; values outside are treated as unknown (bad source data)
    hi: float


MEASURES: dict[str, Measure] = {
    m.field: m
    for m in (
        Measure("hr_bpm", "heart rate", "bpm", 15, 20, 300),
        Measure("rr_ms", "RR interval", "ms", 100, 200, 3000),
        Measure("pr_ms", "PR interval", "ms", 40, 50, 600),
        Measure("qrs_ms", "QRS duration", "ms", 30, 40, 300),
        Measure("qt_ms", "QT interval", "ms", 50, 150, 800),
        Measure("qtc_ms", "QTc interval", "ms", 50, 200, 800),
        Measure("qrs_axis_deg", "QRS axis", "degrees", 45, -180, 180),
    )
}


def fmt(field: str, value: int) -> str:
    """How a rounded value is written: axes signed ("+60", "-30"), the rest plain."""
    if field.endswith("_deg") and value > 0:
        return f"+{value}"
    return str(value)


def values_of(record: ECGRecord) -> dict[str, int]:
    """The record's usable measurements, rounded to whole units (field -> int)."""
    out = {}
    for f, m in MEASURES.items():
        v = getattr(record.measurements, f, None)
        if v is None:
            continue
        try:
            v = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(v) and m.lo <= v <= m.hi:
            out[f] = int(round(v))
    return out


def qtc_limit(record: ECGRecord) -> int:
    """Upper limit of normal QTc: 450 ms for men, 460 ms for women or when sex is unknown."""
    return 450 if (record.demographics.sex or "").upper() == "M" else 460


def predicates(field: str, record: ECGRecord) -> list[tuple[str, str]]:
    """Yes/no criteria for a measurement: (predicate id, statement). See :func:`holds`."""
    if field == "hr_bpm":
        return [
            ("hr_tachy", "the heart rate is above 100 bpm"),
            ("hr_brady", "the heart rate is below 60 bpm"),
            ("hr_normal", "the heart rate is within the normal range of 60 to 100 bpm"),
        ]
    if field == "pr_ms":
        return [
            ("pr_long", "the PR interval is prolonged beyond 200 ms"),
            ("pr_short", "the PR interval is shorter than 120 ms"),
            ("pr_normal", "the PR interval is within normal limits (120 to 200 ms)"),
        ]
    if field == "qrs_ms":
        return [
            ("qrs_wide", "the QRS complex is wide (120 ms or more)"),
            ("qrs_normal", "the QRS duration is normal (below 120 ms)"),
        ]
    if field == "qtc_ms":
        t = qtc_limit(record)
        return [
            ("qtc_long", f"the QTc is prolonged (above {t} ms)"),
            ("qtc_normal", f"the QTc is within normal limits (at most {t} ms)"),
        ]
    if field == "qrs_axis_deg":
        return [
            ("axis_normal", "the QRS axis is normal (between -30 and +90 degrees)"),
            ("axis_left", "there is left axis deviation (QRS axis more negative than -30 degrees)"),
            ("axis_right", "there is right axis deviation (QRS axis beyond +90 degrees)"),
        ]
    return []


def holds(pred: str, value: int, record: ECGRecord) -> bool:
    """Whether predicate ``pred`` is true of the rounded ``value``."""
    t = qtc_limit(record)
    return {
        "hr_tachy": lambda v: v > 100,
        "hr_brady": lambda v: v < 60,
        "hr_normal": lambda v: 60 <= v <= 100,
        "pr_long": lambda v: v > 200,
        "pr_short": lambda v: v < 120,
        "pr_normal": lambda v: 120 <= v <= 200,
        "qrs_wide": lambda v: v >= 120,
        "qrs_normal": lambda v: v < 120,
        "qtc_long": lambda v: v > t,
        "qtc_normal": lambda v: v <= t,
        "axis_normal": lambda v: -30 <= v <= 90,
        "axis_left": lambda v: v < -30,
        "axis_right": lambda v: v > 90,
    }[pred](value)


def ensure_values(record: ECGRecord, task: str) -> dict[str, int]:
    """Rounded measurements, computing them from the signal once when the record has none."""
    vals = values_of(record)
    if vals:
        return vals
    from ecginstruct.measure import ensure_measurements

    try:
        done = ensure_measurements(record)
    except Exception as e:  # a failed delineation is a missing input for this task, not a crash
        raise TaskNotApplicable(record, task, f"no measurements and none computable ({e})") from e
    record.measurements = done.measurements
    if "measurement_origin" in done.meta:
        record.meta["measurement_origin"] = done.meta["measurement_origin"]
    vals = values_of(record)
    if not vals:
        raise TaskNotApplicable(record, task, "no usable measurements")
    return vals


def _slots(m: Measure, value: int) -> dict[str, str]:
    return {"name": m.name, "name_cap": cap(m.name), "unit": m.unit, "value": fmt(m.field, value)}


def fill_blank(record: ECGRecord, rng: np.random.Generator) -> Conversation:
    vals = ensure_values(record, "basic_feature/fill_blank")
    field = sorted(vals)[int(rng.integers(len(vals)))]
    m, v = MEASURES[field], vals[field]
    slots = _slots(m, v)
    tid, q = templates.render(FILE, "fill_blank", rng, **slots)
    a = templates.completed(q, slots["value"])
    return make(
        q,
        a,
        category=CATEGORY,
        format="fill_blank",
        template_id=tid,
        labels_used=[field],
        answer_key={"field": field, "value": v, "unit": m.unit},
    )


def _numeric_options(m: Measure, value: int, rng: np.random.Generator) -> list[int]:
    """Three distractors whole steps away from ``value``, inside the plausible range."""
    for reach in (3, 5, 8):
        offs = [k for k in range(-reach, reach + 1) if k and m.lo <= value + k * m.step <= m.hi]
        if len(offs) >= 3:
            return [value + k * m.step for k in choose(rng, offs, 3)]
    raise ValueError("no room for distractors")  # unreachable for the ranges above


def mcq(record: ECGRecord, rng: np.random.Generator) -> Conversation:
    vals = ensure_values(record, "basic_feature/mcq")
    field = sorted(vals)[int(rng.integers(len(vals)))]
    m, v = MEASURES[field], vals[field]
    distractors = _numeric_options(m, v, rng)
    pos = int(rng.integers(4))  # the correct letter is uniform over A-D
    values = distractors[:pos] + [v] + distractors[pos:]
    texts = [f"{fmt(field, x)} {m.unit}" for x in values]
    letter = LETTERS[pos]
    slots = _slots(m, v)
    tid, q = templates.render(FILE, "mcq", rng, options=format_options(texts), **slots)
    _, a = templates.render(FILE, "mcq_answer", rng, letter=letter, **slots)
    return make(
        q,
        a,
        category=CATEGORY,
        format="mcq",
        template_id=tid,
        labels_used=[field],
        answer_key={
            "correct": [letter],
            "options": dict(zip(LETTERS, texts)),
            "option_values": dict(zip(LETTERS, values)),
            "field": field,
            "value": v,
        },
    )


def close_ended(record: ECGRecord, rng: np.random.Generator) -> Conversation:
    vals = ensure_values(record, "basic_feature/close_ended")
    want_yes = bool(rng.integers(2))  # 50/50 yes/no, then a criterion with that truth
    pool = [
        (f, pid, text)
        for f in sorted(vals)
        for pid, text in predicates(f, record)
        if holds(pid, vals[f], record) == want_yes
    ]
    if not pool:
        raise TaskNotApplicable(record, "basic_feature/close_ended", "no rate, interval or axis")
    field, pid, statement = pool[int(rng.integers(len(pool)))]
    m, v = MEASURES[field], vals[field]
    answer = "Yes" if want_yes else "No"
    tid, q = templates.render(FILE, "close_ended", rng, statement=statement, **_slots(m, v))
    _, a = templates.render(FILE, "close_ended_answer", rng, answer=answer, **_slots(m, v))
    return make(
        q,
        a,
        category=CATEGORY,
        format="close_ended",
        template_id=tid,
        labels_used=[field],
        answer_key={"answer": answer.lower(), "field": field, "value": v, "predicate": pid},
    )


def _interpretation(field: str, v: int, record: ECGRecord) -> str:
    words = {
        "hr_tachy": "in the tachycardic range",
        "hr_brady": "in the bradycardic range",
        "hr_normal": "within normal limits",
        "pr_long": "prolonged",
        "pr_short": "short",
        "pr_normal": "normal",
        "qrs_wide": "wide",
        "qrs_normal": "normal",
        "qtc_long": "prolonged",
        "qtc_normal": "normal",
        "axis_normal": "a normal axis",
        "axis_left": "left axis deviation",
        "axis_right": "right axis deviation",
    }
    for pid, _ in predicates(field, record):
        if holds(pid, v, record):
            return words[pid]
    return ""


def summary(record: ECGRecord, vals: dict[str, int]) -> str:
    """Fluent sentences stating every known measurement with its unit and a plain reading."""

    def part(f: str) -> str:
        m = MEASURES[f]
        why = _interpretation(f, vals[f], record)
        return f"the {m.name} is {fmt(f, vals[f])} {m.unit}" + (f" ({why})" if why else "")

    sentences = []
    if "hr_bpm" in vals:
        s = f"The heart rate is {vals['hr_bpm']} bpm"
        why = _interpretation("hr_bpm", vals["hr_bpm"], record)
        s += f", {why}" if why else ""
        if "rr_ms" in vals:
            s += f", with a mean RR interval of {vals['rr_ms']} ms"
        sentences.append(s + ".")
    elif "rr_ms" in vals:
        sentences.append(f"The mean RR interval is {vals['rr_ms']} ms.")
    intervals = [part(f) for f in ("pr_ms", "qrs_ms", "qt_ms", "qtc_ms") if f in vals]
    if intervals:
        sentences.append(cap(join_names(intervals)) + ".")
    if "qrs_axis_deg" in vals:
        v = vals["qrs_axis_deg"]
        why = _interpretation("qrs_axis_deg", v, record)
        sentences.append(f"The frontal QRS axis is {fmt('qrs_axis_deg', v)} degrees ({why}).")
    return " ".join(sentences)


def open_ended(record: ECGRecord, rng: np.random.Generator) -> Conversation:
    vals = ensure_values(record, "basic_feature/open_ended")
    tid, q = templates.pick(FILE, "open_ended", rng)
    return make(
        q,
        summary(record, vals),
        category=CATEGORY,
        format="open_ended",
        template_id=tid,
        labels_used=sorted(vals),
        answer_key={"values": dict(vals)},
    )


GENERATORS = {
    "basic_feature/mcq": mcq,
    "basic_feature/fill_blank": fill_blank,
    "basic_feature/close_ended": close_ended,
    "basic_feature/open_ended": open_ended,
}
