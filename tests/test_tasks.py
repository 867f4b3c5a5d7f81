"""Task generators: names, applicability, every task on real-looking records, balance of MCQ
letters and yes/no answers, measurements, reports, ECG-QA, multi-turn and the CLI."""

from __future__ import annotations

import json
import re
import sys
import types
from collections import Counter

import numpy as np
import pytest

from ecginstruct import tasks
from ecginstruct.labels import vocabulary
from ecginstruct.tasks import base, templates
from ecginstruct.types import Measurements, RecordError, TaskGenerator
from tests.test_tasks_helpers import record

RICH = dict(labels=("SR", "1AVB", "RBBB", "LAD"), report="Sinus rhythm. First-degree AV block.")


def rng(seed=0):
    return np.random.default_rng(seed)


def test_task_names_cover_every_category_and_format():
    assert tasks.TASKS[-2:] == ("multi_turn", "ecgqa")
    pairs = [t.split("/") for t in tasks.TASKS[:-2]]
    assert all(c in base.CATEGORIES and f in base.FORMATS for c, f in pairs)
    for cat in ("basic_feature", "rhythm", "morphology"):
        assert {f for c, f in pairs if c == cat} == set(base.FORMATS)
    assert ["report", "open_ended"] in pairs
    assert isinstance(tasks.TaskSuite(), TaskGenerator)


def test_every_task_on_a_rich_record_is_consistent():
    r = record(**RICH, language="en")
    applicable = tasks.applicable_tasks(r)
    assert applicable == [t for t in tasks.TASKS if t != "ecgqa"]
    for task in applicable:
        c = tasks.generate_task(r, task, rng(1))
        assert tasks.check(c, r) == []
        assert c.turns[0]["value"].startswith("<image>\n")
        assert c.template_id and c.answer_key and c.meta["task"] == task
        if task != "multi_turn":
            assert f"{c.category}/{c.format}" == task
            file, key, i = c.template_id.split(":")
            assert int(i) < len(templates.load(file)[key])
    assert len(tasks.generate(r, rng(1))) == len(applicable)
    assert len(tasks.TaskSuite(["rhythm/mcq"]).generate(r, rng(1))) == 1


def test_same_seed_same_conversations_different_seed_differs():
    r = record(**RICH)

    def run(seed):
        return [c.to_json() for c in tasks.generate(r, rng(seed))]

    assert json.dumps(run(5)) == json.dumps(run(5))
    assert json.dumps(run(5)) != json.dumps(run(6))


def test_not_applicable_is_a_typed_record_error_naming_the_record():
    r = record(labels=("NORM",), record_id="rec-7")
    with pytest.raises(tasks.TaskNotApplicable) as e:
        tasks.generate_task(r, "report/open_ended", rng())
    assert isinstance(e.value, RecordError)
    assert e.value.stage == "tasks" and "rec-7" in str(e.value) and "report" in e.value.reason
    for task in ("rhythm/mcq", "rhythm/open_ended", "morphology/mcq", "ecgqa"):
        with pytest.raises(tasks.TaskNotApplicable):
            tasks.generate_task(r, task, rng())
    # a normal ECG still gets a morphology description ("normal ECG") and basic features
    c = tasks.generate_task(r, "morphology/open_ended", rng())
    assert c.labels_used == ["NORM"] and "normal" in c.turns[1]["value"].lower()
    with pytest.raises(ValueError):
        tasks.generate_task(r, "rhythm/essay", rng())


@pytest.mark.parametrize(
    "labels",
    [("SR",), ("AFIB", "RBBB"), ("NORM", "SR"), ("SBRAD", "LVH", "STD_"), ("LBBB",), ()],
)
def test_applicable_tasks_are_exactly_the_generatable_ones(labels):
    labels = tuple(c for c in labels if c in vocabulary())
    r = record(labels=labels)
    applicable = set(tasks.applicable_tasks(r))
    for task in tasks.TASKS:
        if task in applicable:
            assert tasks.check(tasks.generate_task(r, task, rng(3)), r) == []
        else:
            with pytest.raises(tasks.TaskNotApplicable):
                tasks.generate_task(r, task, rng(3))


def test_mcq_letters_are_balanced_and_distractors_safe():
    r = record(labels=("SR", "RBBB", "LVH"))
    letters = Counter()
    vocab = vocabulary()
    for seed in range(400):
        c = tasks.generate_task(r, "morphology/mcq" if seed % 2 else "rhythm/mcq", rng(seed))
        (letter,) = c.answer_key["correct"]
        letters[letter] += 1
        codes = c.answer_key["option_codes"]
        assert codes[letter] in r.labels
        assert sum(code in r.labels for code in codes.values()) == 1
        assert len({vocab[code].category for code in codes.values()}) == 1
        present_names = {n.lower() for p in r.labels for n in (vocab[p].name, *vocab[p].synonyms)}
        for code in codes.values():
            if code != codes[letter]:
                assert vocab[code].name.lower() not in present_names
        assert re.match(rf"^(The correct answer is )?{letter}[.:]", c.turns[1]["value"])
    assert set(letters) == set("ABCD")
    assert all(70 <= n <= 130 for n in letters.values()), letters


def test_close_ended_is_balanced_and_yes_only_for_present_labels():
    r = record(labels=("AFIB", "LBBB"))
    answers = Counter()
    for seed in range(400):
        task = ("rhythm", "morphology", "basic_feature")[seed % 3] + "/close_ended"
        c = tasks.generate_task(r, task, rng(seed))
        a = c.answer_key["answer"]
        answers[a] += 1
        assert c.turns[1]["value"].lower().startswith(a)
        if "code" in c.answer_key:
            assert (c.answer_key["code"] in r.labels) == (a == "yes")
    assert 160 <= answers["yes"] <= 240, answers


def test_basic_features_state_rounded_values_with_units():
    r = record(hr_bpm=58.6, pr_ms=212.4, qrs_ms=131.0, qtc_ms=455.0, sex="F")
    seen = {}
    for seed in range(60):
        c = tasks.generate_task(r, "basic_feature/fill_blank", rng(seed))
        k = c.answer_key
        seen[k["field"]] = c.turns[1]["value"]
        assert "___" in c.turns[0]["value"] and "___" not in c.turns[1]["value"]
    assert "59 bpm" in seen["hr_bpm"] and "212 ms" in seen["pr_ms"]
    assert "+45 degrees" in seen["qrs_axis_deg"]
    text = tasks.generate_task(r, "basic_feature/open_ended", rng()).turns[1]["value"]
    assert "59 bpm, in the bradycardic range" in text and "212 ms (prolonged)" in text
    assert "455 ms (normal)" in text  # women: QTc limit 460 ms
    male = record(qtc_ms=455.0, sex="M")
    assert (
        "455 ms (prolonged)"
        in tasks.generate_task(male, "basic_feature/open_ended", rng()).turns[1]["value"]
    )


def test_missing_measurements_are_computed_once_and_written_back(monkeypatch):
    calls = []

    def ensure(rec):
        calls.append(rec.record_id)
        import dataclasses

        return dataclasses.replace(
            rec,
            measurements=Measurements(hr_bpm=80.0, origin="computed"),
            meta={"measurement_origin": {"hr_bpm": "computed"}},
        )

    monkeypatch.setitem(
        sys.modules, "ecginstruct.measure", types.SimpleNamespace(ensure_measurements=ensure)
    )
    r = record()
    r.measurements = Measurements()
    assert "basic_feature/fill_blank" in tasks.applicable_tasks(r)
    c = tasks.generate_task(r, "basic_feature/fill_blank", rng())
    assert "80 bpm" in c.turns[1]["value"] and r.measurements.hr_bpm == 80.0
    tasks.generate_task(r, "basic_feature/mcq", rng())
    assert calls == ["r1"]
    assert r.meta["measurement_origin"] == {"hr_bpm": "computed"}


def test_report_keeps_the_original_language():
    text = "Sinusrhythmus. Linkstyp. Unspezifische ST-Strecken-Veraenderungen."
    r = record(report=text, language="de")
    c = tasks.generate_task(r, "report/open_ended", rng())
    assert c.turns[1]["value"] == text
    assert c.answer_key == {"language": "de"} and c.category == "report"


def _qa(question_type, attribute_type, answer, question="Does this ECG show X?"):
    return {
        "question": question,
        "answer": answer,
        "question_type": question_type,
        "attribute_type": attribute_type,
        "template_id": 26,
        "sample_id": 123,
    }


@pytest.mark.parametrize(
    "qtype,attr,answer,category,fmt,text",
    [
        ("single-verify", "noise", ["no"], "morphology", "close_ended", "No."),
        (
            "single-choose",
            "scp_code",
            ["sinus rhythm"],
            "morphology",
            "close_ended",
            "Sinus rhythm.",
        ),
        (
            "single-query",
            "numeric_feature",
            ["qrs duration", "rr interval"],
            "basic_feature",
            "open_ended",
            "QRS duration and RR interval.",
        ),
        ("single-query", "extra_systole", ["none"], "rhythm", "open_ended", "None."),
        ("single-verify", "heart_axis", ["yes"], "basic_feature", "close_ended", "Yes."),
    ],
)
def test_ecgqa_items_become_conversations(qtype, attr, answer, category, fmt, text):
    r = record(meta={"ecgqa": _qa(qtype, attr, answer)})
    c = tasks.generate_task(r, "ecgqa", rng())
    assert (c.category, c.format, c.turns[1]["value"]) == (category, fmt, text)
    assert "Does this ECG show X?" in c.turns[0]["value"] and c.meta["paired"] is False
    assert c.answer_key["answer"] == answer


def test_ecgqa_comparison_needs_the_paired_record():
    item = _qa("comparison_irrelevant-query", "numeric_feature", ["p duration"], "What changed?")
    with pytest.raises(tasks.TaskNotApplicable, match="paired"):
        tasks.generate_task(record(meta={"ecgqa": item}), "ecgqa", rng())
    r = record(meta={"ecgqa": item, "paired_record": record(record_id="r2")})
    c = tasks.generate_task(r, "ecgqa", rng())
    assert c.meta["paired"] is True and "second" in c.turns[0]["value"].lower()
    assert c.turns[1]["value"] == "P duration."


def test_multi_turn_mixes_categories_with_one_image_token():
    r = record(**RICH)
    lengths = set()
    for seed in range(30):
        c = tasks.generate_task(r, "multi_turn", rng(seed))
        assert c.meta["multi_turn"] is True
        cats = [t["category"] for t in c.meta["turns"]]
        assert 2 <= len(cats) <= 4 and len(set(cats)) == len(cats)
        assert [t["from"] for t in c.turns] == ["human", "gpt"] * len(cats)
        assert sum("<image>" in t["value"] for t in c.turns) == 1
        assert (c.category, c.format) == (cats[0], c.meta["turns"][0]["format"])
        lengths.add(len(cats))
    assert lengths == {2, 3, 4}


def test_questions_never_reveal_the_answer():
    r = record(labels=("AFIB", "LBBB", "LVH"), qrs_ms=148.0)
    for seed in range(40):
        for task in (
            "rhythm/fill_blank",
            "rhythm/open_ended",
            "morphology/fill_blank",
            "morphology/open_ended",
            "basic_feature/fill_blank",
            "basic_feature/open_ended",
        ):
            c = tasks.generate_task(r, task, rng(seed))
            q = c.turns[0]["value"].lower()
            for code in r.labels:
                assert base.clinical_name(code).lower() not in q
            assert "148" not in q


def _cli(argv):
    """``ecginstruct tasks ARGV`` through the command's own parser (other commands may be
    mid-change in this checkout; cli.COMMANDS is checked separately)."""
    import argparse

    from ecginstruct.commands import tasks as cmd

    parser = argparse.ArgumentParser(prog="ecginstruct")
    cmd.add_parser(parser.add_subparsers())
    args = parser.parse_args(["tasks", *argv])
    return args.func(args)


def test_cli_prints_conversations_for_a_synthetic_record(capsys):
    pytest.importorskip("ecginstruct.sources.synthetic")
    from ecginstruct.cli import COMMANDS

    assert "tasks" in COMMANDS
    base_args = ["--source", "synthetic", "--record", "syn-00000001"]
    assert _cli([*base_args, "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines and all(x["turns"][0]["value"].startswith("<image>\n") for x in lines)
    assert {"rhythm", "report"} <= {x["category"] for x in lines}
    assert _cli([*base_args, "--task", "rhythm/mcq"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("== rhythm/mcq") and "\nA: " in out
    assert _cli([*base_args, "--task", "rhythm/mcq"]) == 0 and capsys.readouterr().out == out
    assert _cli([*base_args, "--task", "ecgqa"]) == 1  # not applicable: says so, exit 1
    assert "not applicable" in capsys.readouterr().out
