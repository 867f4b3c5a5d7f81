"""Instruction templates: enough phrasings per task, only known placeholders, questions that
cannot leak the answer, stable ids, and fills that refuse to leave a placeholder behind."""

from __future__ import annotations

import numpy as np
import pytest

from ecginstruct.tasks import templates
from ecginstruct.types import ConfigError

QUESTION_KEYS = {
    "basic_feature": ("fill_blank", "mcq", "close_ended", "open_ended"),
    "rhythm": ("fill_blank", "mcq", "close_ended", "open_ended"),
    "morphology": ("fill_blank", "mcq", "close_ended", "open_ended"),
    "report": ("open_ended",),
    "ecgqa": ("single", "comparison"),
    "multi_turn": ("follow_up",),
}
# Placeholders each key may use. Question keys never get the answer ({value}, {letter},
# {answer}, {findings}); close-ended questions name the label asked about, not the truth.
FINDING_KEYS = {
    "mcq": {"options"},
    "mcq_answer": {"letter", "choice", "finding"},
    "fill_blank": set(),
    "close_ended": {"finding", "finding_cap"},
    "close_ended_yes": {"finding", "finding_cap"},
    "close_ended_no": {"finding", "finding_cap", "present"},
    "open_ended": set(),
    "open_ended_answer": {"findings", "findings_cap"},
    "open_ended_normal": {"findings", "findings_cap"},
}
ALLOWED = {
    "basic_feature": {
        "fill_blank": {"name", "name_cap", "unit"},
        "mcq": {"name", "name_cap", "unit", "options"},
        "mcq_answer": {"name", "name_cap", "unit", "value", "letter"},
        "close_ended": {"name", "name_cap", "unit", "statement"},
        "close_ended_answer": {"name", "name_cap", "unit", "value", "answer"},
        "open_ended": set(),
    },
    "rhythm": {k: v for k, v in FINDING_KEYS.items() if k != "open_ended_normal"},
    "morphology": FINDING_KEYS,
    "report": {"open_ended": set()},
    "ecgqa": {"single": {"question"}, "comparison": {"question"}},
    "multi_turn": {"follow_up": {"question", "question_lc"}},
}


def test_every_template_file_is_known_and_every_key_allowed():
    assert set(templates.files()) == set(ALLOWED)
    for file, allowed in ALLOWED.items():
        data = templates.load(file)
        assert set(data) == set(allowed), file
        for key, phrasings in data.items():
            assert len(set(phrasings)) == len(phrasings), f"{file}:{key} has duplicates"
            for text in phrasings:
                assert templates.fields(text) <= allowed[key], f"{file}:{key}: {text!r}"


@pytest.mark.parametrize("file", sorted(QUESTION_KEYS))
def test_at_least_six_question_phrasings_per_task(file):
    for key in QUESTION_KEYS[file]:
        phrasings = templates.load(file)[key]
        assert len(phrasings) >= 6, f"{file}:{key}"
        if key == "mcq":
            assert all("{options}" in p for p in phrasings)
        if key == "fill_blank":
            for p in phrasings:
                filled = p.format(name="PR interval", name_cap="PR interval", unit="ms")
                done = templates.completed(filled, "XYZ")
                assert "XYZ" in done and "___" not in done and done[0].isupper()


def test_template_ids_are_file_key_index_and_stable():
    ids = [templates.pick("rhythm", "mcq", np.random.default_rng(s))[0] for s in range(50)]
    n = len(templates.load("rhythm")["mcq"])
    assert set(ids) == {f"rhythm:mcq:{i}" for i in range(n)}
    again = [templates.pick("rhythm", "mcq", np.random.default_rng(s))[0] for s in range(50)]
    assert ids == again


def test_fill_refuses_missing_values_and_completed_needs_one_blank():
    with pytest.raises(ConfigError, match="options"):
        templates.fill("x:y:0", "Pick one:\n{options}")
    assert templates.fill("x:y:0", "Is it {a}?", a="b", unused=1) == "Is it b?"
    assert (
        templates.completed("Fill in the blank: the PR interval is ___ ms.", "160")
        == "The PR interval is 160 ms."
    )
    assert templates.completed('Complete: "Rhythm: ___"', "sinus rhythm") == "Rhythm: sinus rhythm."
    with pytest.raises(ConfigError, match="exactly one"):
        templates.completed("No blank here.", "x")


def test_bad_template_files_raise_config_errors(tmp_path, monkeypatch):
    monkeypatch.setattr(templates, "templates_dir", lambda: tmp_path)
    templates.load.cache_clear()
    try:
        (tmp_path / "bad.yaml").write_text("mcq: just text\n")
        with pytest.raises(ConfigError, match="non-empty list"):
            templates.load("bad")
        with pytest.raises(ConfigError, match="not found"):
            templates.load("missing")
    finally:
        templates.load.cache_clear()
