"""Multi-turn conversations: 2-4 questions of different categories about the same ECG.

Each turn is a single-turn task; the first keeps ``<image>``, later ones are phrased as
follow-ups (``manifests/templates/multi_turn.yaml``). The conversation takes the first turn's
category and format; ``meta["turns"]`` keeps every turn's category, format, template id,
labels and answer key so each can be checked on its own.
"""

from __future__ import annotations

import numpy as np

from ecginstruct.tasks import registry, templates
from ecginstruct.tasks.base import IMAGE_TOKEN, TaskNotApplicable
from ecginstruct.types import Conversation, ECGRecord

TASK = "multi_turn"
MAX_TURNS = 4


def candidates(record: ECGRecord) -> dict[str, list[str]]:
    """Applicable single-turn tasks per category (categories with none left out)."""
    out: dict[str, list[str]] = {}
    for task in registry.SINGLE:
        if registry.why_not(record, task) is None:
            out.setdefault(task.split("/")[0], []).append(task)
    return out


def generate(record: ECGRecord, rng: np.random.Generator) -> Conversation:
    by_cat = candidates(record)
    if len(by_cat) < 2:
        raise TaskNotApplicable(record, TASK, "fewer than two task categories apply")
    cats = sorted(by_cat)
    n = int(rng.integers(2, min(MAX_TURNS, len(cats)) + 1))
    parts: list[tuple[str, Conversation]] = []
    for cat in (cats[int(i)] for i in rng.permutation(len(cats))[:n]):
        tasks = by_cat[cat]
        task = tasks[int(rng.integers(len(tasks)))]
        try:
            parts.append((task, registry.SINGLE[task](record, rng)))
        except TaskNotApplicable:
            continue  # e.g. measurements that could not be computed: the others still make sense
    if len(parts) < 2:
        raise TaskNotApplicable(record, TASK, "fewer than two turns could be generated")
    turns: list[dict[str, str]] = []
    follow_ids = []
    for i, (_, conv) in enumerate(parts):
        question = conv.turns[0]["value"].removeprefix(IMAGE_TOKEN)
        if i:
            tid, question = templates.render(
                "multi_turn",
                "follow_up",
                rng,
                question=question,
                question_lc=question[:1].lower() + question[1:],
            )
            follow_ids.append(tid)
        else:
            question = IMAGE_TOKEN + question
        turns += [{"from": "human", "value": question}, conv.turns[1]]
    first = parts[0][1]
    return Conversation(
        turns=turns,
        category=first.category,
        format=first.format,
        template_id=first.template_id,
        labels_used=sorted({c for _, conv in parts for c in conv.labels_used}),
        answer_key={"turns": [conv.answer_key for _, conv in parts]},
        meta={
            "multi_turn": True,
            "follow_up_templates": follow_ids,
            "turns": [
                {
                    "task": task,
                    "category": conv.category,
                    "format": conv.format,
                    "template_id": conv.template_id,
                    "labels_used": conv.labels_used,
                    "answer_key": conv.answer_key,
                    "meta": conv.meta,
                }
                for task, conv in parts
            ],
        },
    )
