"""Heart rhythm analysis and morphology/pathological condition tasks, built from labels.

Both categories ask the same four kinds of question about different parts of the vocabulary
(``base.TASK_GROUPS``): rhythm labels, or conduction/morphology/hypertrophy/axis labels.
"""

from __future__ import annotations

import numpy as np

from ecginstruct.tasks import templates
from ecginstruct.tasks.base import (
    LETTERS,
    TaskNotApplicable,
    absent_in,
    cap,
    category_of,
    choose,
    clinical_name,
    format_options,
    join_names,
    make,
    present_in,
    vocab,
)
from ecginstruct.tasks.features import values_of
from ecginstruct.types import Conversation, ECGRecord

N_OPTIONS = 4


def _need_present(record: ECGRecord, category: str, task: str) -> list[str]:
    present = present_in(record, category)
    if not present:
        raise TaskNotApplicable(record, task, f"no {category} label")
    return present


def _findings(codes: list[str]) -> str:
    return join_names([clinical_name(c) for c in codes])


def mcq(record: ECGRecord, rng: np.random.Generator, category: str) -> Conversation:
    task = f"{category}/mcq"
    present = _need_present(record, category, task)
    # The correct option must have enough absent labels of its own vocabulary category.
    pools = {c: absent_in(record, category, same_category_as=c) for c in present}
    candidates = [c for c in present if len(pools[c]) >= N_OPTIONS - 1]
    if not candidates:
        raise TaskNotApplicable(record, task, "too few absent labels of the same category")
    correct = candidates[int(rng.integers(len(candidates)))]
    distractors = choose(rng, pools[correct], N_OPTIONS - 1)
    pos = int(rng.integers(N_OPTIONS))  # the correct letter is uniform over the options
    codes = distractors[:pos] + [correct] + distractors[pos:]
    texts = [cap(vocab()[c].name) for c in codes]
    letter = LETTERS[pos]
    tid, q = templates.render(category, "mcq", rng, options=format_options(texts))
    _, a = templates.render(
        category,
        "mcq_answer",
        rng,
        letter=letter,
        choice=texts[pos],
        finding=clinical_name(correct),
    )
    return make(
        q,
        a,
        category=category,
        format="mcq",
        template_id=tid,
        labels_used=[correct],
        answer_key={
            "correct": [letter],
            "options": dict(zip(LETTERS, texts)),
            "option_codes": dict(zip(LETTERS, codes)),
        },
    )


def fill_blank(record: ECGRecord, rng: np.random.Generator, category: str) -> Conversation:
    present = _need_present(record, category, f"{category}/fill_blank")
    findings = _findings(present)
    tid, q = templates.pick(category, "fill_blank", rng)
    a = templates.completed(q, findings)
    return make(
        q,
        a,
        category=category,
        format="fill_blank",
        template_id=tid,
        labels_used=present,
        answer_key={"codes": present},
    )


def close_ended(record: ECGRecord, rng: np.random.Generator, category: str) -> Conversation:
    task = f"{category}/close_ended"
    present = _need_present(record, category, task)
    absent = absent_in(record, category)
    if not absent:
        raise TaskNotApplicable(record, task, f"no absent {category} label to ask about")
    want_yes = bool(rng.integers(2))  # 50/50, decided before looking at what is available
    if want_yes:
        code = present[int(rng.integers(len(present)))]
        used = [code]
    else:
        # Prefer a label of the same vocabulary category as a present one: a harder "no".
        anchor = present[int(rng.integers(len(present)))]
        near = [c for c in absent if category_of(c) == category_of(anchor)]
        pool = near or absent
        code = pool[int(rng.integers(len(pool)))]
        used = present
    finding = clinical_name(code)
    slots = {"finding": finding, "finding_cap": cap(finding), "present": _findings(present)}
    tid, q = templates.render(category, "close_ended", rng, **slots)
    _, a = templates.render(
        category, "close_ended_yes" if want_yes else "close_ended_no", rng, **slots
    )
    return make(
        q,
        a,
        category=category,
        format="close_ended",
        template_id=tid,
        labels_used=used,
        answer_key={"answer": "yes" if want_yes else "no", "code": code},
    )


def open_ended(record: ECGRecord, rng: np.random.Generator, category: str) -> Conversation:
    task = f"{category}/open_ended"
    present = present_in(record, category)
    vals = values_of(record)
    extra, numbers = "", {}
    if present:
        findings = _findings(present)
        key = "open_ended_answer"
        used = present
        if category == "rhythm" and "hr_bpm" in vals:
            numbers["hr_bpm"] = vals["hr_bpm"]
            extra = f" The ventricular rate is about {vals['hr_bpm']} bpm."
        elif category == "morphology" and "qrs_ms" in vals:
            if any(category_of(c) == "conduction" for c in present):
                numbers["qrs_ms"] = vals["qrs_ms"]
                extra = f" The QRS duration is {vals['qrs_ms']} ms."
    elif category == "morphology" and "NORM" in record.labels:
        findings, key, used = clinical_name("NORM"), "open_ended_normal", ["NORM"]
    else:
        raise TaskNotApplicable(record, task, f"no {category} label")
    tid, q = templates.pick(category, "open_ended", rng)
    _, a = templates.render(category, key, rng, findings=findings, findings_cap=cap(findings))
    return make(
        q,
        a + extra,
        category=category,
        format="open_ended",
        template_id=tid,
        labels_used=used,
        answer_key={"codes": used, "values": numbers},
    )


def _bind(fn, category):
    def gen(record: ECGRecord, rng: np.random.Generator) -> Conversation:
        return fn(record, rng, category)

    gen.__name__ = f"{category}_{fn.__name__}"
    return gen


GENERATORS = {
    f"{cat}/{fn.__name__}": _bind(fn, cat)
    for cat in ("rhythm", "morphology")
    for fn in (mcq, fill_blank, close_ended, open_ended)
}
