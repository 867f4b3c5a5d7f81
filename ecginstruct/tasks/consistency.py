"""Consistency checks run on every generated conversation: does the answer say what the labels
and measurements it came from say?

``check(conversation, record) -> list[str]`` returns the problems found (empty when fine):

* form: turns alternate human/gpt, ``<image>`` opens the first human turn and only it, known
  category and format, a template id;
* no template placeholder left: ``{name}`` anywhere, ``___`` in an answer;
* every label in ``labels_used`` is one of the record's labels, every measurement name one of its
  measurements;
* per format: an MCQ has exactly one option that is true of the record, it is the letter in the
  answer key, and the answer names that letter and no other; a close-ended "yes" only for a present
  label (or a criterion that holds for the measured value), "no" only for a safely absent one; a
  fill-in-the-blank or open answer states the record's values and names its labels; a report
  answer is the record's report; an ECG-QA answer is the item's answer.
"""

from __future__ import annotations

import re

from ecginstruct.tasks import ecgqa, features
from ecginstruct.tasks.base import (
    CATEGORIES,
    FORMATS,
    IMAGE_TOKEN,
    blocked_by,
    category_of,
    clinical_name,
    vocab,
)
from ecginstruct.tasks.templates import BLANK, PLACEHOLDER_RE
from ecginstruct.types import Conversation, ECGRecord

_LETTER_RE = re.compile(r"(?<![A-Za-z0-9'])([A-E])(?=[.:,)]|\s*$)")


def answer_letters(text: str) -> set[str]:
    """Option letters an answer names ("B.", "is B:", "(C)")."""
    return set(_LETTER_RE.findall(text))


def _has_number(text: str, value: str) -> bool:
    return re.search(rf"(?<![\d.+-]){re.escape(value)}(?![\d.])", text) is not None


def check(conversation: Conversation, record: ECGRecord) -> list[str]:
    c = conversation
    problems = _form(c)
    if c.meta.get("multi_turn"):
        turns = c.meta.get("turns") or []
        if len(turns) * 2 != len(c.turns) or len(turns) < 2:
            problems.append("multi-turn meta['turns'] does not match the turns")
            return problems
        for i, t in enumerate(turns):
            sub = Conversation(
                turns=[
                    {"from": "human", "value": IMAGE_TOKEN + _strip(c.turns[2 * i]["value"])},
                    c.turns[2 * i + 1],
                ],
                category=t["category"],
                format=t["format"],
                template_id=t["template_id"],
                labels_used=t["labels_used"],
                answer_key=t["answer_key"],
                meta=t.get("meta") or {},
            )
            problems += [f"turn {i + 1}: {p}" for p in _content(sub, record)]
        return problems
    return problems + _content(c, record)


def _strip(text: str) -> str:
    return text.removeprefix(IMAGE_TOKEN)


def _form(c: Conversation) -> list[str]:
    out = []
    if not c.turns or len(c.turns) % 2:
        out.append(f"{len(c.turns)} turns: expected human/gpt pairs")
    for i, t in enumerate(c.turns):
        want = "human" if i % 2 == 0 else "gpt"
        if t.get("from") != want:
            out.append(f"turn {i} is from {t.get('from')!r}, expected {want!r}")
        value = t.get("value") or ""
        if not value.strip():
            out.append(f"turn {i} is empty")
        if (IMAGE_TOKEN.strip() in value) != (i == 0):
            out.append(f"turn {i}: <image> must open the first human turn and appear nowhere else")
        left = PLACEHOLDER_RE.findall(value)
        if left:
            out.append(f"turn {i}: unfilled placeholder(s) {sorted(set(left))}")
        if want == "gpt" and BLANK in value:
            out.append(f"turn {i}: answer contains a blank {BLANK!r}")
    if c.turns and not c.turns[0].get("value", "").startswith(IMAGE_TOKEN):
        out.append("first human turn does not start with '<image>\\n'")
    if c.category not in CATEGORIES:
        out.append(f"unknown category {c.category!r}")
    if c.format not in FORMATS:
        out.append(f"unknown format {c.format!r}")
    if not c.template_id:
        out.append("no template_id")
    return out


def _content(c: Conversation, record: ECGRecord) -> list[str]:
    answer = c.turns[1]["value"] if len(c.turns) > 1 else ""
    out = _labels_used(c, record)
    if c.meta.get("ecgqa") is not None or "verb" in c.answer_key:
        return out + _ecgqa(c, record, answer)
    if c.category == "report":
        return out + _report(c, record, answer)
    if c.category == "basic_feature":
        return out + _feature(c, record, answer)
    return out + _finding(c, record, answer)


def _labels_used(c: Conversation, record: ECGRecord) -> list[str]:
    vals = features.values_of(record)
    out = []
    for x in c.labels_used:
        if x in features.MEASURES:
            if x not in vals:
                out.append(f"measurement {x} used but the record has no usable value")
        elif x not in record.labels:
            out.append(f"label {x} used but not among the record's labels")
    return out


def _yes_no(answer: str, want: str) -> list[str]:
    said = answer.strip().lower()
    word = "yes" if said.startswith("yes") else "no" if said.startswith("no") else None
    if word != want:
        return [f"answer should start with {want!r}: {answer[:40]!r}"]
    return []


def _feature(c: Conversation, record: ECGRecord, answer: str) -> list[str]:
    vals = features.values_of(record)
    key = c.answer_key
    expect = key.get("values") if c.format == "open_ended" else {key.get("field"): key.get("value")}
    if not isinstance(expect, dict) or not expect:
        return ["answer key names no measurement"]
    out = []
    for field, v in expect.items():
        if field not in features.MEASURES:
            out.append(f"unknown measurement {field!r}")
            continue
        if vals.get(field) != v:
            out.append(f"{field}: answer key says {v}, the record says {vals.get(field)}")
        elif not _has_number(answer, features.fmt(field, v)):
            out.append(f"{field}: the answer does not state {features.fmt(field, v)}")
    if out:
        return out
    if c.format == "mcq":
        out += _mcq_letters(c, answer)
        field, v = key["field"], key["value"]
        true = [k for k, x in (key.get("option_values") or {}).items() if x == vals[field]]
        if true != list(key.get("correct", [])):
            out.append(
                f"options equal to the measured {field}: {true}, answer key {key.get('correct')}"
            )
    elif c.format == "close_ended":
        pid, field = key.get("predicate"), key.get("field")
        ids = {p for p, _ in features.predicates(field, record)}
        if pid not in ids:
            out.append(f"unknown criterion {pid!r} for {field}")
        else:
            truth = "yes" if features.holds(pid, vals[field], record) else "no"
            if key.get("answer") != truth:
                out.append(
                    f"criterion {pid} is {truth} for {vals[field]}, answer key {key.get('answer')}"
                )
            out += _yes_no(answer, truth)
    return out


def _mcq_letters(c: Conversation, answer: str) -> list[str]:
    correct = list(c.answer_key.get("correct") or [])
    options = c.answer_key.get("options") or {}
    out = []
    if len(correct) != 1:
        out.append(f"{len(correct)} correct options, expected exactly 1")
    if any(x not in options for x in correct):
        out.append(f"correct letter(s) {correct} not among the options {sorted(options)}")
    named = answer_letters(answer)
    if named != set(correct):
        out.append(f"the answer names option(s) {sorted(named)}, the key says {correct}")
    question = c.turns[0]["value"]
    for letter, text in options.items():
        if f"{letter}. {text}" not in question:
            out.append(f"option {letter} ({text!r}) is not in the question")
    return out


def _finding(c: Conversation, record: ECGRecord, answer: str) -> list[str]:
    key = c.answer_key
    out = []
    if c.format == "mcq":
        out += _mcq_letters(c, answer)
        codes = key.get("option_codes") or {}
        blocked = blocked_by(record.labels)
        true = sorted(k for k, code in codes.items() if code in blocked)
        if true != sorted(key.get("correct", [])):
            out.append(f"options true of the record: {true}, answer key {key.get('correct')}")
        cats = {category_of(code) for code in codes.values()}
        if len(cats) != 1:
            out.append(f"options mix vocabulary categories {sorted(map(str, cats))}")
        return out
    if c.format == "close_ended":
        code, said = key.get("code"), key.get("answer")
        if code not in vocab():
            return [f"asked label {code!r} is not in the vocabulary"]
        truth = "yes" if code in record.labels else "no"
        if said != truth:
            out.append(f"answer key says {said!r} about {code}, the labels say {truth!r}")
        if truth == "no" and code in blocked_by(record.labels):
            out.append(f"'no' about {code}, which a present label names or implies")
        if clinical_name(code).lower() not in c.turns[0]["value"].lower():
            out.append(f"the question does not name {code}")
        return out + _yes_no(answer, truth)
    codes = key.get("codes") or []
    if not codes:
        out.append("answer key lists no labels")
    for code in codes:
        if code not in record.labels:
            out.append(f"answer states {code}, absent from the record's labels")
        elif clinical_name(code).lower() not in answer.lower():
            out.append(f"answer does not name {code} ({clinical_name(code)!r})")
    vals = features.values_of(record)
    for field, v in (key.get("values") or {}).items():
        if vals.get(field) != v or not _has_number(answer, features.fmt(field, v)):
            out.append(f"{field}: answer says {v}, the record says {vals.get(field)}")
    return out


def _report(c: Conversation, record: ECGRecord, answer: str) -> list[str]:
    text = (record.report or "").strip()
    out = []
    if not text:
        out.append("report answer for a record without a report")
    elif answer.strip() != text:
        out.append("report answer differs from the record's report")
    if c.answer_key.get("language") != record.report_language:
        out.append(
            f"report language {c.answer_key.get('language')!r} != record's {record.report_language!r}"
        )
    return out


def _ecgqa(c: Conversation, record: ECGRecord, answer: str) -> list[str]:
    item = record.meta.get("ecgqa") or {}
    truth = [str(a) for a in item.get("answer") or []]
    out = []
    if c.answer_key.get("answer") != truth:
        out.append(f"ECG-QA answer key {c.answer_key.get('answer')} != item answer {truth}")
    for a in truth:
        if ecgqa.pretty(a).lower() not in answer.lower():
            out.append(f"ECG-QA answer {a!r} not stated")
    paired, _ = ecgqa.parse_type(item.get("question_type", ""))
    if bool(c.meta.get("paired")) != paired:
        out.append("comparison question not marked meta['paired'] (or the reverse)")
    if str(item.get("question", "")).strip() not in c.turns[0]["value"]:
        out.append("the ECG-QA question is not in the instruction")
    return out
