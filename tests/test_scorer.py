"""The free-text answer scorer (``ecginstruct eval``) against hand-computed ECGBench metrics."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecginstruct.cli import main
from ecginstruct.quality import scorer
from ecginstruct.quality.metrics import multilabel_metrics
from ecginstruct.types import ConfigError

OPTIONS = {"A": "Sinus rhythm", "B": "Sinus bradycardia", "C": "Atrial fibrillation"}


def _row(rid, task, fmt, key, labels, answer="", question="<image>\nQ?"):
    category = task.split("/")[0]
    return {
        "id": rid,
        "task": task,
        "category": category,
        "format": fmt,
        "answer_key": key,
        "labels": labels,
        "meta": {"conversation": {"task": task}},
        "split": "test",
        "conversations": [{"from": "human", "value": question}, {"from": "gpt", "value": answer}],
    }


def hand_rows():
    mcq = {"correct": ["C"], "options": OPTIONS}
    return [
        _row("m1", "rhythm/mcq", "mcq", mcq, ["AFIB"], "C. Atrial fibrillation"),
        _row("m2", "rhythm/mcq", "mcq", mcq, ["AFIB"], "C."),
        _row("m3", "rhythm/mcq", "mcq", mcq, ["AFIB"], "C"),
        _row(
            "y1",
            "rhythm/close_ended",
            "close_ended",
            {"answer": "yes", "code": "AFIB"},
            ["AFIB"],
            "Yes.",
        ),
        _row(
            "y2",
            "rhythm/close_ended",
            "close_ended",
            {"answer": "yes", "code": "AFIB"},
            ["AFIB"],
            "Yes.",
        ),
        _row(
            "y3",
            "rhythm/close_ended",
            "close_ended",
            {"answer": "yes", "code": "AFIB"},
            ["AFIB"],
            "Yes.",
        ),
        _row(
            "f1",
            "basic_feature/fill_blank",
            "fill_blank",
            {"field": "pr_ms", "unit": "ms", "value": 142},
            [],
            "The PR interval is 142 ms.",
        ),
        _row(
            "f2",
            "basic_feature/fill_blank",
            "fill_blank",
            {"field": "pr_ms", "unit": "ms", "value": 142},
            [],
            "The PR interval is 142 ms.",
        ),
        _row(
            "f3",
            "basic_feature/fill_blank",
            "fill_blank",
            {"field": "pr_ms", "unit": "ms", "value": 142},
            [],
            "The PR interval is 142 ms.",
        ),
        _row(
            "r1",
            "report/open_ended",
            "open_ended",
            {"language": "en"},
            ["AFIB"],
            "Atrial fibrillation.",
        ),
        _row("r2", "report/open_ended", "open_ended", {"language": "en"}, ["RBBB"], "RBBB."),
        _row(
            "r3",
            "report/open_ended",
            "open_ended",
            {"language": "en"},
            ["AFIB", "RBBB"],
            "Atrial fibrillation. Right bundle branch block.",
        ),
        _row("r4", "report/open_ended", "open_ended", {"language": "en"}, ["RBBB"], "RBBB."),
    ]


HAND_PREDS = {
    "m1": ["C. Atrial fibrillation"],
    "m2": ["The correct answer is B: sinus bradycardia."],
    "m3": ["I would say atrial fibrillation."],  # no letter, quotes option C
    "y1": ["Yes, atrial fibrillation is present."],
    "y2": ["No."],
    "y3": ["Maybe."],  # undecidable: wrong, counted as unparsed
    "f1": ["142 ms"],
    "f2": ["The PR interval is 160 ms."],  # within 20 ms
    "f3": ["210"],
    "r1": ["Atrial fibrillation."],
    "r2": ["Atrial fibrillation. Right bundle branch block."],
    "r3": ["Sinus rhythm."],
    "r4": ["Right bundle branch block."],
}


def test_scores_match_hand_computed_values():
    by_task = {s.task: s for s in scorer.score(hand_rows(), HAND_PREDS)}
    assert by_task["rhythm/mcq"].accuracy == pytest.approx(2 / 3)
    assert by_task["rhythm/close_ended"].accuracy == pytest.approx(1 / 3)
    assert by_task["rhythm/close_ended"].unparsed == 1
    assert by_task["basic_feature/fill_blank"].accuracy == pytest.approx(2 / 3)
    rep = by_task["report/open_ended"]
    assert rep.kind == "multilabel" and rep.n == 4
    # AFIB: truth 1010, pred 1100 -> sens 1/2, spec 1/2 -> AUC 0.5, F1 2*1/(2+1+1) = 0.5
    # RBBB: truth 0111, pred 0101 -> sens 2/3, spec 1 -> AUC 5/6, F1 4/5
    assert rep.macro_auc == pytest.approx((0.5 + 5 / 6) / 2)
    assert rep.macro_f1 == pytest.approx((0.5 + 0.8) / 2)
    assert rep.hamming_loss == pytest.approx(3 / 8)
    assert math.isnan(rep.accuracy) and math.isnan(by_task["rhythm/mcq"].macro_auc)


def test_reference_answers_score_perfectly_and_missing_rows_are_counted():
    rows = hand_rows()
    perfect = scorer.score(rows, scorer.reference_predictions(rows))
    for s in perfect:
        if s.kind == "multilabel":
            assert (s.macro_auc, s.macro_f1, s.hamming_loss) == (1.0, 1.0, 0.0)
        else:
            assert s.accuracy == 1.0, s
    preds = {k: v for k, v in HAND_PREDS.items() if k != "m1"}
    mcq = next(s for s in scorer.score(rows, preds) if s.task == "rhythm/mcq")
    assert (mcq.n, mcq.missing) == (2, 1) and mcq.accuracy == pytest.approx(1 / 2)


@pytest.mark.parametrize(
    "text,want",
    [
        ("C. Atrial fibrillation", {"C"}),
        ("The correct answer is D: sinus rhythm.", {"D"}),
        ("(B)", {"B"}),
        ("A", {"A"}),
        ("Answer: B", {"B"}),
        ("A. Sinus rhythm and C. Atrial fibrillation", {"A", "C"}),
        ("A sinus rhythm is seen.", set()),
        ("I cannot tell.", set()),
    ],
)
def test_parse_choice(text, want):
    assert scorer.parse_choice(text) == want


def test_parse_choice_falls_back_to_option_text_only_when_unambiguous():
    assert scorer.parse_choice("looks like sinus bradycardia", OPTIONS) == {"B"}
    # "sinus rhythm" and "sinus bradycardia" both quoted: no answer
    assert scorer.parse_choice("sinus rhythm or sinus bradycardia", OPTIONS) == set()


@pytest.mark.parametrize(
    "text,want",
    [("Yes, it is.", "yes"), ("no.", "no"), ("The answer is yes", "yes"), ("Hard to say", None)],
)
def test_parse_yes_no(text, want):
    assert scorer.parse_yes_no(text) == want


def test_label_extraction_prefers_longest_names_and_skips_negations():
    codes = ["SBRAD", "BRADY", "1AVB", "AFIB", "SR"]
    got = scorer.extract_labels("Sinus bradycardia with first-degree AV block.", codes)
    assert got == {"SBRAD", "1AVB"}
    assert scorer.extract_labels("No atrial fibrillation. Sinus rhythm.", codes) == {"SR"}
    assert scorer.extract_labels("Atrial fibrillation is not present", codes) == set()


def test_multilabel_metrics_lists_labels_without_auc():
    y = np.array([[1, 0], [0, 0], [1, 0], [0, 0]])
    s = np.array([[0.9, 0.2], [0.1, 0.4], [0.8, 0.1], [0.3, 0.9]])
    m = multilabel_metrics(y, s, ["AFIB", "PVC"], min_positives=1)
    assert m["macro_auc"] == 1.0 and m["left_out"] == ["PVC"]
    # PVC: never true, predicted once at 0.5 -> F1 0; AFIB perfect -> F1 1
    assert m["macro_f1"] == pytest.approx(0.5)
    assert m["hamming_loss"] == pytest.approx(1 / 8)


def test_read_predictions_accepts_ecgbench_keys_and_rejects_junk(tmp_path):
    p = tmp_path / "p.jsonl"
    p.write_text('{"question_id": "a", "text": "B."}\n\n{"id": "b", "answer": ["x", "y"]}\n')
    assert scorer.read_predictions(p) == {"a": ["B."], "b": ["x", "y"]}
    p.write_text('{"id": "a"}\n')
    with pytest.raises(ConfigError, match="needs an id and an answer"):
        scorer.read_predictions(p)
    p.write_text("not json\n")
    with pytest.raises(ConfigError, match=":1: not a JSON line"):
        scorer.read_predictions(p)


def _write_dataset(root, rows):
    cols = {k: [r[k] for r in rows] for k in rows[0]}
    for k in ("answer_key", "meta"):
        cols[k] = [json.dumps(v) for v in cols[k]]
    (root / "data").mkdir(parents=True)
    pq.write_table(pa.table(cols), root / "data" / "test-00000-of-00001.parquet")


def test_eval_command_prints_per_task_scores(tmp_path, capsys):
    _write_dataset(tmp_path / "ds", hand_rows())
    preds = tmp_path / "preds.jsonl"
    preds.write_text(
        "".join(json.dumps({"id": k, "answer": v}) + "\n" for k, v in HAND_PREDS.items())
    )
    out_json = tmp_path / "scores.json"
    rc = main(
        [
            "eval",
            "--dataset",
            str(tmp_path / "ds"),
            "--predictions",
            str(preds),
            "--json",
            str(out_json),
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "rhythm/mcq" in text and "0.667" in text and "0.375" in text
    saved = {s["task"]: s for s in json.loads(out_json.read_text())}
    assert saved["report/open_ended"]["hamming_loss"] == pytest.approx(0.375)
    assert saved["rhythm/mcq"]["macro_auc"] is None


def test_eval_model_hook_needs_transformers_only_when_used(tmp_path):
    _write_dataset(
        tmp_path / "ds", [dict(r, image={"bytes": b"", "path": "x.png"}) for r in hand_rows()]
    )
    pytest.importorskip("pytest")
    try:
        import transformers  # noqa: F401

        pytest.skip("transformers is installed here")
    except ImportError:
        pass
    rc = main(
        [
            "eval",
            "--dataset",
            str(tmp_path / "ds"),
            "--predictions",
            str(tmp_path / "p.jsonl"),
            "--model",
            "x/y",
        ]
    )
    assert rc == 2  # ConfigError naming what to install, not an ImportError at import time
