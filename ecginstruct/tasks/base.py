"""What every task generator shares: the error it raises, the label vocabulary seen from the
tasks' side (names, synonyms, task groups), option letters and the conversation builder."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import numpy as np

from ecginstruct.types import Conversation, ECGRecord, RecordError

IMAGE_TOKEN = "<image>\n"
CATEGORIES = ("basic_feature", "rhythm", "morphology", "report")
FORMATS = ("mcq", "fill_blank", "close_ended", "open_ended")
LETTERS = "ABCDE"

# Which vocabulary categories each label-based task category asks about. Axis deviation labels
# (LAD/RAD) are findings, so they go with morphology; the measured axis is a basic feature.
# Vocabulary category "other" (NORM, pacing, artefacts...) is never used for options.
TASK_GROUPS: dict[str, tuple[str, ...]] = {
    "rhythm": ("rhythm",),
    "morphology": ("conduction", "morphology", "hypertrophy", "axis"),
}

# A present label that makes another one (partly) true: the implied code is then neither a
# distractor nor a "no" question (sinus tachycardia *is* a sinus rhythm, LAFB comes with left axis
# deviation). Codes missing from the vocabulary are ignored.
IMPLIES: dict[str, tuple[str, ...]] = {
    "STACH": ("SR",),
    "SBRAD": ("SR", "BRADY"),
    "SARRH": ("SR",),
    "JUNCT": ("BRADY",),
    "IVR": ("BRADY",),
    "1AVB": ("LPR",),
    "LPR": ("1AVB",),
    "WPW": ("SPR",),
    "3AVB": ("AVD", "2AVB"),
    "AVD": ("3AVB",),
    "SVTAC": ("PSVT", "ATACH"),
    "PSVT": ("SVTAC", "ATACH"),
    "ATACH": ("SVTAC", "PSVT"),
    "BIGU": ("PVC", "PAC", "JPC", "TRIGU"),
    "TRIGU": ("PVC", "PAC", "JPC", "BIGU"),
    "VFLT": ("VTACH",),
    "AIVR": ("IVR",),
    "LAFB": ("LAD",),
    "LPFB": ("RAD",),
    "LVH": ("VCLVH", "HVOLT"),
    "VCLVH": ("LVH", "HVOLT"),
    "HVOLT": ("VCLVH",),
    "ILMI": ("IMI", "LMI"),
    "IPMI": ("IMI", "PMI"),
    "IPLMI": ("IMI", "PMI", "LMI", "ILMI", "IPMI"),
    "ALMI": ("AMI", "LMI"),
    "ASMI": ("AMI",),
    "ERP": ("STE",),
    "BRUG": ("STE",),
    "ANEUR": ("STE",),
    "DIG": ("STD",),
    "INVT": ("LOWT",),
}

# Umbrella statements ("bundle branch block", "abnormal QRS", "ischemic ST-T changes"): true of
# many specific findings, so never offered as absent (no distractor, no "no" question).
GENERIC = frozenset(
    {
        "BRADY",
        "SVARR",
        "PRC(S)",
        "AVB",
        "BBB",
        "MI",
        "ABQRS",
        "QWAVE",
        "PWAVE",
        "ISC_",
        "NST_",
        "NT_",
        "NDT",
        "TAB_",
        "ABNORM",
        "BORDER",
    }
)


class TaskNotApplicable(RecordError):
    """The record lacks what a task needs (no report, no rhythm label, no measurement...)."""

    kind = "task_not_applicable"

    def __init__(self, record: ECGRecord, task: str, reason: str):
        self.task = task
        super().__init__(record.source, record.record_id, f"task {task}: {reason}", stage="tasks")


@functools.lru_cache(maxsize=1)
def vocab() -> dict:
    """``ecginstruct.labels.vocabulary()`` (code -> LabelInfo), read once."""
    from ecginstruct.labels import vocabulary

    return dict(vocabulary())


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@functools.cache
def aliases(code: str) -> frozenset[str]:
    """Every normalised way of naming ``code``: the code, its name and its synonyms."""
    info = vocab().get(code)
    names = {code}
    if info is not None:
        names |= {info.name, *info.synonyms}
    return frozenset(_norm(n) for n in names if n)


def category_of(code: str) -> str | None:
    info = vocab().get(code)
    return info.category if info is not None else None


@functools.cache
def group_codes(task_category: str) -> tuple[str, ...]:
    """Vocabulary codes a label task category asks about, sorted."""
    cats = TASK_GROUPS[task_category]
    return tuple(sorted(c for c, info in vocab().items() if info.category in cats))


# Words that stay capitalised in running text (eponyms, abbreviations are kept by the rule below).
_PROPER = {"wolff", "brugada", "mobitz", "wenckebach", "lown", "ganong", "levine"}


def clinical_name(code: str) -> str:
    """The label's clinical name as it reads inside a sentence ("atrial fibrillation",
    "ST depression", "Wolff-Parkinson-White pattern")."""
    info = vocab().get(code)
    name = info.name if info is not None else code
    first = name.split(" ", 1)[0]
    stem = re.split(r"[-/]", first)[0]
    if stem[1:].islower() and stem.lower() not in _PROPER:
        name = name[0].lower() + name[1:]
    return name


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def join_names(names: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def present_in(record: ECGRecord, task_category: str) -> list[str]:
    """The record's labels of a task category, sorted (vocabulary order)."""
    group = set(group_codes(task_category))
    return sorted(c for c in record.labels if c in group)


def blocked_by(labels: Iterable[str]) -> frozenset[str]:
    """Codes that must not be offered as absent because a present label names or implies them."""
    return _blocked(tuple(sorted(set(labels))))


@functools.lru_cache(maxsize=4096)
def _blocked(labels: tuple[str, ...]) -> frozenset[str]:
    labels = tuple(c for c in labels if c in vocab())
    present_aliases = set().union(*(aliases(c) for c in labels)) if labels else set()
    blocked = set(labels) | GENERIC
    for c in labels:
        blocked.update(IMPLIES.get(c, ()))
    for c in vocab():
        if aliases(c) & present_aliases:
            blocked.add(c)
    return frozenset(blocked)


def absent_in(
    record: ECGRecord, task_category: str, same_category_as: str | None = None
) -> list[str]:
    """Codes of a task category that are safely absent: not present, not a synonym of a present
    label, not implied by one. With ``same_category_as``, only codes of that code's vocabulary
    category (so distractors for RBBB are other conduction disorders)."""
    blocked = blocked_by(record.labels)
    codes = group_codes(task_category)
    if same_category_as is not None:
        cat = category_of(same_category_as)
        codes = tuple(c for c in codes if category_of(c) == cat)
    return [c for c in codes if c not in blocked]


def choose(rng: np.random.Generator, items: list, k: int = 1) -> list:
    """``k`` distinct items, uniformly, in draw order."""
    idx = rng.choice(len(items), size=k, replace=False)
    return [items[int(i)] for i in idx]


def format_options(options: list[str]) -> str:
    return "\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(options))


def make(
    question: str,
    answer: str,
    *,
    category: str,
    format: str,
    template_id: str,
    labels_used: list[str],
    answer_key: dict,
    meta: dict | None = None,
) -> Conversation:
    """A one-turn conversation with the image token in front of the question."""
    return Conversation(
        turns=[
            {"from": "human", "value": IMAGE_TOKEN + question},
            {"from": "gpt", "value": answer},
        ],
        category=category,
        format=format,
        template_id=template_id,
        labels_used=list(labels_used),
        answer_key=answer_key,
        meta=dict(meta or {}),
    )
