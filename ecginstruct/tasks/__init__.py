"""Instruction/answer tasks: ECGInstruct-style conversations built from a record's labels,
measurements, report and ECG-QA item -- never from the image.

* :data:`TASKS` -- task names ``"<category>/<format>"`` plus ``"multi_turn"`` and ``"ecgqa"``;
* :func:`applicable_tasks` -- which apply to a record (cheap);
* :func:`generate_task` -- one conversation, checked by :func:`consistency.check`; raises
  :class:`TaskNotApplicable` (a RecordError, stage ``"tasks"``) when the record lacks what the
  task needs and :class:`InconsistentSample` if a check fails;
* :func:`generate` / :class:`TaskSuite` -- the TaskGenerator protocol: one conversation per
  applicable task.

Phrasings live in ``manifests/templates/*.yaml`` (``template_id = "<file>:<key>:<index>"``).
"""

from __future__ import annotations

import numpy as np

from ecginstruct.tasks import ecgqa, multiturn, registry
from ecginstruct.tasks.base import TaskNotApplicable
from ecginstruct.tasks.consistency import check
from ecginstruct.types import Conversation, ECGRecord, RecordError

__all__ = [
    "TASKS",
    "InconsistentSample",
    "TaskNotApplicable",
    "TaskSuite",
    "applicable_tasks",
    "check",
    "generate",
    "generate_task",
]

TASKS: tuple[str, ...] = (*registry.SINGLE, multiturn.TASK, ecgqa.TASK)


class InconsistentSample(RecordError):
    """A generated conversation failed a consistency check (a bug or contradictory input)."""

    kind = "inconsistent_sample"


def _why_not(record: ECGRecord, task: str) -> str | None:
    if task in registry.SINGLE:
        return registry.why_not(record, task)
    if task == multiturn.TASK:
        ok = len(multiturn.candidates(record)) >= 2
        return None if ok else "fewer than two task categories apply"
    if task == ecgqa.TASK:
        return ecgqa.why_not(record)
    raise ValueError(f"unknown task {task!r}; known: {', '.join(TASKS)}")


def applicable_tasks(record: ECGRecord) -> list[str]:
    """The tasks of :data:`TASKS` this record has what it takes for, in TASKS order."""
    return [t for t in TASKS if _why_not(record, t) is None]


def generate_task(
    record: ECGRecord, task: str, rng: np.random.Generator, *, verify: bool = True
) -> Conversation:
    """One conversation of kind ``task`` for ``record``; every choice drawn from ``rng``."""
    why = _why_not(record, task)
    if why is not None:
        raise TaskNotApplicable(record, task, why)
    if task == multiturn.TASK:
        conv = multiturn.generate(record, rng)
    elif task == ecgqa.TASK:
        conv = ecgqa.convert(record, rng)
    else:
        conv = registry.SINGLE[task](record, rng)
    conv.meta.setdefault("task", task)
    if verify:
        problems = check(conv, record)
        if problems:
            raise InconsistentSample(
                record.source, record.record_id, f"task {task}: {'; '.join(problems)}", "tasks"
            )
    return conv


def generate(record: ECGRecord, rng: np.random.Generator) -> list[Conversation]:
    """One conversation per applicable task, drawn in :data:`TASKS` order from ``rng``."""
    out = []
    for task in applicable_tasks(record):
        try:
            out.append(generate_task(record, task, rng))
        except TaskNotApplicable:
            continue  # e.g. measurements that turned out not to be computable
    return out


class TaskSuite:
    """The TaskGenerator protocol over a selection of tasks (all by default)."""

    name = "ecginstruct-tasks"

    def __init__(self, tasks: tuple[str, ...] | list[str] | None = None):
        unknown = set(tasks or ()) - set(TASKS)
        if unknown:
            raise ValueError(f"unknown task(s) {sorted(unknown)}; known: {', '.join(TASKS)}")
        self.tasks = tuple(tasks) if tasks else TASKS

    def generate(self, record: ECGRecord, rng: np.random.Generator) -> list[Conversation]:
        out = []
        for task in applicable_tasks(record):
            if task in self.tasks:
                try:
                    out.append(generate_task(record, task, rng))
                except TaskNotApplicable:
                    continue
        return out
