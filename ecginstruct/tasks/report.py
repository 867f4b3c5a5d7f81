"""Clinical report generation: the answer is the source's report, in its original language.

PTB-XL reports are partly German: they are kept as written and marked with their language
(``answer_key["language"]``) rather than machine-translated here; translation is an optional
LLM step (``ecginstruct.llm``). MIMIC-IV-ECG machine statements arrive already joined to fluent
text by the source.
"""

from __future__ import annotations

import numpy as np

from ecginstruct.tasks import templates
from ecginstruct.tasks.base import TaskNotApplicable, make
from ecginstruct.types import Conversation, ECGRecord


def report_text(record: ECGRecord) -> str | None:
    text = (record.report or "").strip()
    return text or None


def open_ended(record: ECGRecord, rng: np.random.Generator) -> Conversation:
    text = report_text(record)
    if text is None:
        raise TaskNotApplicable(record, "report/open_ended", "record has no report")
    tid, q = templates.pick("report", "open_ended", rng)
    lang = record.report_language
    return make(
        q,
        text,
        category="report",
        format="open_ended",
        template_id=tid,
        labels_used=[],
        answer_key={"language": lang},
        meta={"report_language": lang},
    )


GENERATORS = {"report/open_ended": open_ended}
