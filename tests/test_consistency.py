"""Consistency checks: a property test over random records finds no problem in anything the
generators make, and deliberately broken conversations are caught (each check can fail)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecginstruct import tasks
from ecginstruct.labels import vocabulary
from ecginstruct.tasks import check
from ecginstruct.types import Demographics, ECGRecord, Measurements
from tests.test_tasks_helpers import record

CODES = sorted(vocabulary())
RANGES = {
    "hr_bpm": (10, 320),
    "rr_ms": (150, 3200),
    "pr_ms": (30, 650),
    "qrs_ms": (20, 320),
    "qt_ms": (100, 850),
    "qtc_ms": (150, 850),
    "qrs_axis_deg": (-200, 200),
}
# Reports: letters (umlauts too), digits and clinical punctuation; braces and underscores are
# template syntax and are flagged by the checks on purpose.
REPORT_TEXT = st.text(
    alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters=" .,;:-()/%'"),
    min_size=1,
    max_size=80,
).filter(lambda s: s.strip())
QA_TYPES = [
    "single-verify",
    "single-choose",
    "single-query",
    "comparison_consecutive-verify",
    "comparison_consecutive-query",
    "comparison_irrelevant-verify",
    "comparison_irrelevant-query",
]
QA_ATTRS = [
    "scp_code",
    "noise",
    "stage_of_infarction",
    "extra_systole",
    "heart_axis",
    "numeric_feature",
]
QA_ANSWERS = [
    "yes",
    "no",
    "not sure",
    "none",
    "qrs duration",
    "lead v1",
    "sinus rhythm",
    "early stage",
]


@st.composite
def records(draw):
    meas = {
        f: draw(st.one_of(st.none(), st.floats(lo, hi, allow_nan=False)))
        for f, (lo, hi) in RANGES.items()
    }
    if all(v is None for v in meas.values()):
        meas["hr_bpm"] = draw(st.floats(30, 200))
    meta = {}
    if draw(st.booleans()):
        qtype = draw(st.sampled_from(QA_TYPES))
        meta["ecgqa"] = {
            "question": draw(REPORT_TEXT) + "?",
            "answer": draw(
                st.lists(st.sampled_from(QA_ANSWERS), min_size=1, max_size=3, unique=True)
            ),
            "question_type": qtype,
            "attribute_type": draw(st.sampled_from(QA_ATTRS)),
        }
        if qtype.startswith("comparison") and draw(st.booleans()):
            meta["paired_record"] = "second ECG"
    return ECGRecord(
        record_id=draw(st.text("abc0123456789-", min_size=1, max_size=8)),
        source="prop",
        signal=np.zeros((12, 10), np.float32),
        fs=500.0,
        labels=tuple(sorted(draw(st.lists(st.sampled_from(CODES), max_size=6, unique=True)))),
        report=draw(st.one_of(st.none(), REPORT_TEXT)),
        report_language=draw(st.sampled_from([None, "en", "de"])),
        measurements=Measurements(**meas, origin="source"),
        demographics=Demographics(age=50, sex=draw(st.sampled_from([None, "M", "F"]))),
        meta=meta,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(r=records(), seed=st.integers(0, 2**32 - 1))
def test_everything_generated_for_random_records_passes_the_checks(r, seed):
    applicable = tasks.applicable_tasks(r)
    for task in applicable:
        # generate_task runs the checks itself and raises InconsistentSample on any problem
        c = tasks.generate_task(r, task, np.random.default_rng(seed))
        assert check(c, r) == []
        again = tasks.generate_task(r, task, np.random.default_rng(seed))
        assert again.to_json() == c.to_json()
    for task in set(tasks.TASKS) - set(applicable):
        with pytest.raises(tasks.TaskNotApplicable):
            tasks.generate_task(r, task, np.random.default_rng(seed))


R = record(
    labels=("STACH", "RBBB", "LVH"),
    report="Sinus tachycardia. Right bundle branch block.",
    language="en",
    hr_bpm=112.0,
    meta={
        "ecgqa": {
            "question": "Does this ECG show noise?",
            "answer": ["no"],
            "question_type": "single-verify",
            "attribute_type": "noise",
        }
    },
)


def _gen(task, seed=0, **want):
    """A valid conversation of ``task`` whose answer key matches ``want``."""
    for s in range(seed, seed + 200):
        c = tasks.generate_task(R, task, np.random.default_rng(s))
        if all(c.answer_key.get(k) == v for k, v in want.items()):
            assert check(c, R) == []
            return copy.deepcopy(c)
    raise AssertionError(f"no {task} with {want}")


def _answer(c, text):
    c.turns[1]["value"] = text
    return c


def _other_letter(c):
    return next(x for x in "ABCD" if x not in c.answer_key["correct"])


def _two_true(c):
    other = _other_letter(c)
    c.answer_key["option_codes"][other] = (
        "STACH" if "STACH" not in c.answer_key["option_codes"].values() else "RBBB"
    )
    return c


def _no_about_implied(c):
    c.answer_key.update(code="SR")  # sinus tachycardia *is* a sinus rhythm
    c.turns[0]["value"] = "<image>\nDoes this ECG show sinus rhythm?"
    return c


BROKEN = {
    "mcq key points at a wrong option": (
        "rhythm/mcq",
        {},
        lambda c: c.answer_key.update(correct=[_other_letter(c)]) or c,
        "answer key",
    ),
    "mcq answer names another letter": (
        "morphology/mcq",
        {},
        lambda c: _answer(c, f"{_other_letter(c)}. Something."),
        "names option",
    ),
    "mcq with two true options": ("morphology/mcq", {}, _two_true, "true of the record"),
    "mcq with two correct letters": (
        "basic_feature/mcq",
        {},
        lambda c: c.answer_key.update(correct=["A", "B"]) or c,
        "exactly 1",
    ),
    "numeric mcq option moved": (
        "basic_feature/mcq",
        {},
        lambda c: c.answer_key["option_values"].update({c.answer_key["correct"][0]: -1}) or c,
        "measured",
    ),
    "yes for an absent label": (
        "rhythm/close_ended",
        {"answer": "no"},
        lambda c: _answer(c, "Yes.") and c.answer_key.update(answer="yes") or c,
        "labels say",
    ),
    "no for a present label": (
        "morphology/close_ended",
        {"answer": "yes"},
        lambda c: _answer(c, "No."),
        "start with",
    ),
    "no about an implied label": (
        "rhythm/close_ended",
        {"answer": "no"},
        _no_about_implied,
        "implies",
    ),
    "unfilled placeholder in an answer": (
        "rhythm/fill_blank",
        {},
        lambda c: _answer(c, "The rhythm is {findings}."),
        "placeholder",
    ),
    "blank left in an answer": (
        "basic_feature/fill_blank",
        {},
        lambda c: _answer(c, "The heart rate is ___ bpm."),
        "blank",
    ),
    "placeholder in a question": (
        "report/open_ended",
        {},
        lambda c: c.turns[0].update(value="<image>\nDescribe {lead}.") or c,
        "placeholder",
    ),
    "wrong measured value": (
        "basic_feature/fill_blank",
        {},
        lambda c: c.answer_key.update(value=c.answer_key["value"] + 7) or c,
        "record says",
    ),
    "value not stated": (
        "basic_feature/open_ended",
        {},
        lambda c: _answer(c, "It is normal."),
        "does not state",
    ),
    "criterion answered wrongly": (
        "basic_feature/close_ended",
        {"answer": "yes"},
        lambda c: c.answer_key.update(answer="no") or c,
        "criterion",
    ),
    "label absent from the record": (
        "morphology/open_ended",
        {},
        lambda c: c.answer_key["codes"].append("LBBB") or c,
        "absent",
    ),
    "label not named in the answer": (
        "morphology/fill_blank",
        {},
        lambda c: _answer(c, "Findings: none."),
        "does not name",
    ),
    "labels_used has an absent label": (
        "rhythm/open_ended",
        {},
        lambda c: c.labels_used.append("AFIB") or c,
        "not among",
    ),
    "report altered": ("report/open_ended", {}, lambda c: _answer(c, "Normal ECG."), "differs"),
    "report language wrong": (
        "report/open_ended",
        {},
        lambda c: c.answer_key.update(language="de") or c,
        "language",
    ),
    "image token missing": (
        "rhythm/mcq",
        {},
        lambda c: c.turns[0].update(value=c.turns[0]["value"][8:]) or c,
        "<image>",
    ),
    "image token in an answer": (
        "rhythm/open_ended",
        {},
        lambda c: _answer(c, "<image>\nSinus tachycardia."),
        "<image>",
    ),
    "unknown format": (
        "rhythm/open_ended",
        {},
        lambda c: setattr(c, "format", "essay") or c,
        "format",
    ),
    "ecgqa answer changed": ("ecgqa", {}, lambda c: _answer(c, "Yes."), "not stated"),
    "ecgqa paired flag wrong": ("ecgqa", {}, lambda c: c.meta.update(paired=True) or c, "paired"),
    "multi-turn with a broken turn": (
        "multi_turn",
        {},
        lambda c: c.turns[3].update(value="Maybe {x}.") or c,
        "turn 3",
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_conversations_are_caught(name):
    task, want, breaker, expect = BROKEN[name]
    c = breaker(_gen(task, **want))
    problems = check(c, R)
    assert problems, f"{name}: not caught"
    assert any(expect in p for p in problems), problems


def test_generate_task_refuses_an_inconsistent_sample(monkeypatch):
    from ecginstruct.tasks import registry

    good = registry.SINGLE["rhythm/fill_blank"]

    def bad(record, rng):
        c = good(record, rng)
        c.turns[1]["value"] = "The rhythm is atrial fibrillation."
        return c

    monkeypatch.setitem(registry.SINGLE, "rhythm/fill_blank", bad)
    with pytest.raises(tasks.InconsistentSample) as e:
        tasks.generate_task(R, "rhythm/fill_blank", np.random.default_rng(0))
    assert e.value.stage == "tasks" and "does not name" in e.value.reason
    c = tasks.generate_task(R, "rhythm/fill_blank", np.random.default_rng(0), verify=False)
    assert check(c, R)
