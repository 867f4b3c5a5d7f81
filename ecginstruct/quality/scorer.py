"""Scoring free-text answers of any model the way ECGBench does (see docs/quality.md).

Each test row becomes one or more *items* (a multi-turn row gives one per gpt turn); an item is
scored by the kind of truth it has:

* ``choice``   -- MCQ: the option letter(s) parsed from the answer must equal the key's ``correct``;
* ``yesno``    -- close-ended: the yes/no the answer starts with (or states) must match;
* ``numeric``  -- fill-in-the-blank / measurement answers: the first number of the answer (every
  value for open measurement answers) within tolerance of the key;
* ``qa``       -- ECG-QA items: every true answer string stated in the answer;
* ``multilabel`` -- open findings and reports: labels are extracted from the answer by string
  matching over the vocabulary's names and synonyms, then macro AUC / F1 / Hamming loss over the
  task's label space (the union of the true labels of its rows, as ECGBench's binarizer fits it).

Differences from ECGBench's own script (kept small on purpose, all documented):

* truth labels come from the dataset's ``answer_key``/``labels`` columns, not from string matching
  the reference answer;
* label matching is case-insensitive on whole words over names *and* synonyms, longest first, and
  a label named in a negated clause ("no atrial fibrillation") does not count;
* an MCQ answer without a parsable letter is wrong (ECGBench draws a random letter); when no letter
  is named, an answer quoting exactly one option's text counts as that letter;
* labels whose truth column is constant leave macro AUC (ECGBench puts NaN into the mean) and are
  listed. As in ECGBench, AUC is computed on the *binarised* predictions (free text has no scores),
  which makes it the mean of sensitivity and specificity.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecginstruct.quality.metrics import accuracy, binarize, multilabel_metrics
from ecginstruct.types import ConfigError

LETTERS = "ABCDEFGH"
# "B.", "B:", "B)", "(B)", "B" alone, "option B", "answer is B"
_LETTER_RE = re.compile(r"(?<![A-Za-z0-9'])\(?([A-H])(?:[.:)]|(?=\s*$)|(?=,))")
_LETTER_WORD_RE = re.compile(r"\b(?:option|answer|choice)(?: is)?:?\s*\(?([A-H])\b")
_NUMBER_RE = re.compile(r"[-+]?\d+(?:\.\d+)?")
_CLAUSE_RE = re.compile(r"[.;,\n!?]+")
_NEG_BEFORE = re.compile(
    r"\b(no|not|without|absent|absence of|negative for|rules? out|ruled out)\b"
)
_NEG_AFTER = re.compile(r"^\s*(is|are|was|were)?\s*(not|absent)\b")
# numeric tolerance: absolute by unit, or 10 % of the true value when larger
ABS_TOL = {"bpm": 5.0, "ms": 20.0, "deg": 15.0, "°": 15.0, "degrees": 15.0}
REL_TOL = 0.10


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()


# --------------------------------------------------------------------------------------------
# parsers
# --------------------------------------------------------------------------------------------


def parse_choice(text: str, options: dict[str, str] | None = None) -> set[str]:
    """The option letters an answer names ("C.", "The correct answer is D: ...", "(B)", "A").

    With no letter, an answer that quotes exactly one option's text names that option."""
    text = str(text or "").strip()
    if len(text) == 1 and text.upper() in LETTERS:
        return {text.upper()}
    found = set(_LETTER_RE.findall(text)) | set(_LETTER_WORD_RE.findall(text))
    if options:
        found &= set(options)
        if not found:
            said = f" {_norm(text)} "
            quoted = [k for k, v in options.items() if v and f" {_norm(v)} " in said]
            if len(quoted) == 1:
                found = set(quoted)
    return found


def parse_yes_no(text: str) -> str | None:
    """ "yes"/"no" from the first word, else from a lone yes/no word; None if undecidable."""
    words = _norm(text).split()
    if not words:
        return None
    if words[0] in ("yes", "no"):
        return words[0]
    has_yes, has_no = "yes" in words, "no" in words
    if has_yes != has_no:
        return "yes" if has_yes else "no"
    return None


def parse_numbers(text: str) -> list[float]:
    return [float(x) for x in _NUMBER_RE.findall(str(text or ""))]


def _aliases(code: str) -> frozenset[str]:
    try:
        from ecginstruct.tasks.base import aliases

        return aliases(code)
    except Exception:  # noqa: BLE001 -- a code outside the vocabulary: match the code itself
        return frozenset({_norm(code)})


def extract_labels(text: str, codes: Iterable[str]) -> set[str]:
    """The codes an answer states: names/synonyms matched on whole words, longest first (so
    "sinus bradycardia" is not also "bradycardia"), skipping negated clauses."""
    pats = sorted(
        ((a, c) for c in set(codes) for a in _aliases(c) if a),
        key=lambda ac: (-len(ac[0]), ac[1]),
    )
    found: set[str] = set()
    for clause in _CLAUSE_RE.split(str(text or "").lower()):
        work = f" {_norm(clause)} "
        for alias, code in pats:
            i = work.find(f" {alias} ")
            while i >= 0:
                before, after = work[:i], work[i + len(alias) + 1 :]
                if not (_NEG_BEFORE.search(before) or _NEG_AFTER.search(after)):
                    found.add(code)
                work = work[: i + 1] + "#" * len(alias) + work[i + len(alias) + 1 :]
                i = work.find(f" {alias} ")
    return found


def numeric_ok(pred: float | None, truth: float, unit: str | None) -> bool:
    if pred is None:
        return False
    tol = max(ABS_TOL.get(str(unit or "").lower(), 0.0), REL_TOL * abs(float(truth)))
    return abs(pred - float(truth)) <= tol + 1e-9


# --------------------------------------------------------------------------------------------
# items
# --------------------------------------------------------------------------------------------


@dataclass
class Item:
    """One scorable answer: a row's only gpt turn, or one turn of a multi-turn row."""

    id: str
    turn: int
    task: str
    kind: str
    answer_key: dict[str, Any]
    truth_labels: list[str] = field(default_factory=list)
    reference: str = ""


def _kind(fmt: str, category: str, key: dict[str, Any]) -> str:
    if key.get("correct"):
        return "choice"
    if "verb" in key or isinstance(key.get("answer"), list):
        return "qa"
    if str(key.get("answer", "")).lower() in ("yes", "no"):
        return "yesno"
    if "value" in key or isinstance(key.get("values"), dict):
        return "numeric"
    return "multilabel"


def items_of_row(row: dict[str, Any]) -> list[Item]:
    """Scorable items of a dataset row (JSON columns decoded)."""
    key = row.get("answer_key") or {}
    meta = (row.get("meta") or {}).get("conversation") or {}
    gpt = [t["value"] for t in row.get("conversations") or [] if t.get("from") == "gpt"]
    if meta.get("multi_turn") and meta.get("turns"):
        out = []
        for i, t in enumerate(meta["turns"]):
            k = t.get("answer_key") or {}
            out.append(
                Item(
                    row["id"],
                    i,
                    f"multi_turn:{t.get('category')}/{t.get('format')}",
                    _kind(t.get("format", ""), t.get("category", ""), k),
                    k,
                    list(k.get("codes") or t.get("labels_used") or row.get("labels") or []),
                    gpt[i] if i < len(gpt) else "",
                )
            )
        return out
    kind = _kind(row.get("format", ""), row.get("category", ""), key)
    truth = list(key.get("codes") or row.get("labels") or [])
    task = row.get("task") or f"{row.get('category')}/{row.get('format')}"
    return [Item(row["id"], 0, task, kind, key, truth, gpt[0] if gpt else "")]


def item_correct(item: Item, answer: str) -> bool | None:
    """Whether a non-multilabel item's answer is right (None for multilabel items)."""
    k = item.answer_key
    if item.kind == "choice":
        return parse_choice(answer, k.get("options")) == set(k.get("correct") or [])
    if item.kind == "yesno":
        return parse_yes_no(answer) == str(k.get("answer")).lower()
    if item.kind == "qa":
        truth = [str(a) for a in (k.get("answer") or [])]
        said = f" {_norm(answer)} "
        return bool(truth) and all(f" {_norm(a)} " in said for a in truth)
    if item.kind == "numeric":
        nums = parse_numbers(answer)
        if isinstance(k.get("values"), dict):
            return bool(k["values"]) and all(
                any(numeric_ok(x, v, None) for x in nums) for v in k["values"].values()
            )
        return numeric_ok(nums[0] if nums else None, k.get("value"), k.get("unit"))
    return None


# --------------------------------------------------------------------------------------------
# predictions and scoring
# --------------------------------------------------------------------------------------------

_ID_KEYS = ("id", "question_id")
_ANSWER_KEYS = ("answer", "text", "response", "prediction")


def read_predictions(path: str | Path) -> dict[str, list[str]]:
    """``{id: [answer per gpt turn]}`` from JSONL lines ``{"id": ..., "answer": str | [str]}``
    (ECGBench's ``question_id``/``text`` keys are accepted too)."""
    out: dict[str, list[str]] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise ConfigError(f"cannot read predictions {path}: {e.strerror}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except ValueError:
            raise ConfigError(f"{path}:{n}: not a JSON line") from None
        rid = next((d[k] for k in _ID_KEYS if k in d), None)
        ans = next((d[k] for k in _ANSWER_KEYS if k in d), None)
        if rid is None or ans is None:
            raise ConfigError(f"{path}:{n}: needs an id and an answer (keys id, answer)")
        out[str(rid)] = [str(a) for a in ans] if isinstance(ans, list) else [str(ans)]
    return out


@dataclass
class TaskScore:
    task: str
    kind: str
    n: int = 0
    missing: int = 0
    unparsed: int = 0
    accuracy: float = math.nan
    macro_auc: float = math.nan
    macro_f1: float = math.nan
    hamming_loss: float = math.nan
    left_out: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def score(rows: Sequence[dict[str, Any]], predictions: dict[str, list[str]]) -> list[TaskScore]:
    """Per-task scores of ``predictions`` on ``rows`` (rows without a prediction count as
    ``missing`` and are not scored)."""
    groups: dict[tuple[str, str], list[tuple[Item, str]]] = defaultdict(list)
    missing: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        answers = predictions.get(str(row["id"]))
        for item in items_of_row(row):
            g = (item.task, item.kind)
            if answers is None or item.turn >= len(answers):
                missing[g] += 1
                continue
            groups[g].append((item, answers[item.turn]))
    out = []
    for g in sorted(set(groups) | set(missing)):
        ts = TaskScore(task=g[0], kind=g[1], missing=missing.get(g, 0))
        pairs = groups.get(g, [])
        ts.n = len(pairs)
        if g[1] == "multilabel":
            space = sorted({c for it, _ in pairs for c in it.truth_labels})
            preds = [extract_labels(a, space) for _, a in pairs]
            ts.unparsed = sum(1 for p in preds if not p)
            if pairs:
                m = multilabel_metrics(
                    binarize([it.truth_labels for it, _ in pairs], space),
                    binarize(preds, space),
                    space,
                )
                ts.macro_auc, ts.macro_f1 = m["macro_auc"], m["macro_f1"]
                ts.hamming_loss, ts.left_out = m["hamming_loss"], m["left_out"]
        else:
            verdicts = [item_correct(it, a) for it, a in pairs]
            ts.accuracy = accuracy([bool(v) for v in verdicts])
            ts.unparsed = sum(
                1 for (it, a), v in zip(pairs, verdicts) if not v and _unparsed(it, a)
            )
        out.append(ts)
    return out


def _unparsed(item: Item, answer: str) -> bool:
    if item.kind == "choice":
        return not parse_choice(answer, item.answer_key.get("options"))
    if item.kind == "yesno":
        return parse_yes_no(answer) is None
    if item.kind == "numeric":
        return not parse_numbers(answer)
    return False


def reference_predictions(rows: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """The dataset's own answers as predictions (a perfect model; used to check the scorer)."""
    out = {}
    for row in rows:
        out[str(row["id"])] = [
            t["value"] for t in row.get("conversations") or [] if t.get("from") == "gpt"
        ]
    return out


def render_table(scores: Sequence[TaskScore]) -> str:
    """Plain-text table: task, kind, n, missing, unparsed, accuracy, AUC, F1, HL."""
    head = ("task", "kind", "n", "missing", "unparsed", "accuracy", "macro_auc", "macro_f1", "HL")

    def f(x):
        return "-" if isinstance(x, float) and math.isnan(x) else f"{x:.3f}"

    rows = [
        (s.task, s.kind, str(s.n), str(s.missing), str(s.unparsed))
        + tuple(f(v) for v in (s.accuracy, s.macro_auc, s.macro_f1, s.hamming_loss))
        for s in scores
    ]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    left = [f"{s.task}: {', '.join(s.left_out)}" for s in scores if s.left_out]
    if left:
        lines.append("labels left out of macro AUC (constant truth): " + "; ".join(left))
    return "\n".join(lines)
