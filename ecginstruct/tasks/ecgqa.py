"""ECG-QA items (``record.meta["ecgqa"]``, set by the ``ecgqa`` source) as conversations.

Question verbs map to formats: ``verify`` -> close_ended (yes / no / not sure), ``choose`` ->
close_ended (one of the options the question names), ``query`` -> open_ended (the answer list
joined in prose). Attribute types map to categories (see :data:`CATEGORY_OF`). Comparison
questions (two ECGs; the second in ``meta["paired_record"]``, drawn below the first on one page)
set ``meta["paired"] = True``.
"""

from __future__ import annotations

import re

import numpy as np

from ecginstruct.tasks import templates
from ecginstruct.tasks.base import TaskNotApplicable, cap, join_names, make
from ecginstruct.types import Conversation, ECGRecord

TASK = "ecgqa"

CATEGORY_OF = {
    "scp_code": "morphology",  # SCP statements: diagnoses, form and conduction findings
    "noise": "morphology",  # signal quality per lead: a waveform question
    "stage_of_infarction": "morphology",
    "extra_systole": "rhythm",  # ectopic beats
    "heart_axis": "basic_feature",
    "numeric_feature": "basic_feature",  # intervals, durations, amplitudes
}
FORMAT_OF = {"verify": "close_ended", "choose": "close_ended", "query": "open_ended"}

# Lower-case abbreviations in ECG-QA answers written the clinical way.
_UPPER = {"qrs", "qt", "qtc", "pr", "rr", "st", "av", "ecg", "p", "t", "st/t", "lbbb", "rbbb"}
_LEADS = {f"v{i}": f"V{i}" for i in range(1, 7)} | {"avr": "aVR", "avl": "aVL", "avf": "aVF"}


def pretty(answer: str) -> str:
    """An ECG-QA answer string with abbreviations and lead names cased ("qrs duration" ->
    "QRS duration", "lead v1" -> "lead V1")."""

    def word(m: re.Match) -> str:
        w = m.group(0)
        return _LEADS.get(w, w.upper() if w in _UPPER else w)

    return re.sub(r"[a-z0-9/]+", word, str(answer))


def parse_type(question_type: str) -> tuple[bool, str]:
    """(is comparison, verb) from e.g. ``comparison_consecutive-verify`` or ``single-query``."""
    scope, _, verb = str(question_type).rpartition("-")
    return scope.startswith("comparison"), verb


def answer_text(verb: str, answers: list[str]) -> str:
    items = [pretty(a) for a in answers]
    if verb == "verify" and len(items) == 1:
        return cap(items[0]) + "."
    return cap(join_names(items)) + "."


def why_not(record: ECGRecord) -> str | None:
    """Why the record's ECG-QA item cannot become a conversation (``None`` when it can)."""
    item = record.meta.get("ecgqa")
    if not isinstance(item, dict):
        return "record carries no ECG-QA item"
    answers = item.get("answer")
    if not str(item.get("question") or "").strip() or not isinstance(answers, list) or not answers:
        return "ECG-QA item without question or answer"
    paired, verb = parse_type(item.get("question_type", ""))
    attr = item.get("attribute_type")
    if verb not in FORMAT_OF or attr not in CATEGORY_OF:
        return f"unknown ECG-QA question type {item.get('question_type')!r} / {attr!r}"
    if paired and record.meta.get("paired_record") is None:
        # Unanswerable from the image: the page would show only one of the two ECGs.
        return "comparison question without meta['paired_record']"
    return None


def convert(record: ECGRecord, rng: np.random.Generator) -> Conversation:
    why = why_not(record)
    if why is not None:
        raise TaskNotApplicable(record, TASK, why)
    item = record.meta["ecgqa"]
    question = str(item["question"]).strip()
    answers = item["answer"]
    paired, verb = parse_type(item.get("question_type", ""))
    attr = item["attribute_type"]
    tid, q = templates.render(TASK, "comparison" if paired else "single", rng, question=question)
    return make(
        q,
        answer_text(verb, [str(a) for a in answers]),
        category=CATEGORY_OF[attr],
        format=FORMAT_OF[verb],
        template_id=tid,
        labels_used=[],
        answer_key={"answer": [str(a) for a in answers], "verb": verb, "attribute_type": attr},
        meta={
            "paired": paired,
            "ecgqa": {
                k: item.get(k)
                for k in ("template_id", "question_id", "sample_id", "question_type", "split")
                if k in item
            },
        },
    )


GENERATORS = {TASK: convert}
