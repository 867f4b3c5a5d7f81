"""Text checks on every row: answer/label consistency, label/measurement agreement, duplicates,
distinct-n diversity, lengths, yes/no and correct-letter balance, placeholders, report language.

Answer/label consistency reuses :func:`ecginstruct.tasks.consistency.check` -- the same check the
build ran -- on a record rebuilt from the row's own columns (labels, measurements, demographics).
The row does not store the source report, so the report-equals-record check is replaced by: a
report answer may not state a finding that the row's labels lack (matched with the scorer's label
extraction).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from ecginstruct.quality.config import Check, QualityConfig, judge
from ecginstruct.seeding import rng_for

TEXT_COLUMNS = (
    "id",
    "conversations",
    "source",
    "record_id",
    "split",
    "category",
    "format",
    "template_id",
    "task",
    "labels",
    "labels_used",
    "answer_key",
    "measurements",
    "meta",
)

# Label/measurement rules: (code, field, predicate on the value, what it should be). Loose limits:
# machine measurements of real sources sit near the cut-offs; a violation means the label and the
# signal's numbers disagree plainly (a corrupted or shuffled label column).
LABEL_RULES: tuple[tuple[str, str, Any, str], ...] = (
    ("SBRAD", "hr_bpm", lambda v: v < 65, "heart rate < 65 bpm"),
    ("STACH", "hr_bpm", lambda v: v > 95, "heart rate > 95 bpm"),
    ("1AVB", "pr_ms", lambda v: v > 180, "PR > 180 ms"),
    ("RBBB", "qrs_ms", lambda v: v >= 105, "QRS >= 105 ms"),
    ("LBBB", "qrs_ms", lambda v: v >= 105, "QRS >= 105 ms"),
    ("NORM", "qrs_ms", lambda v: v < 125, "QRS < 125 ms"),
    ("NORM", "hr_bpm", lambda v: 45 <= v <= 110, "heart rate 45-110 bpm"),
    ("NORM", "pr_ms", lambda v: v <= 230, "PR <= 230 ms"),
)


def _words(text: str) -> list[str]:
    return str(text).lower().replace("<image>", " ").split()


def questions_answers(row: dict[str, Any]) -> tuple[list[str], list[str]]:
    q = [t["value"] for t in row["conversations"] or [] if t.get("from") == "human"]
    a = [t["value"] for t in row["conversations"] or [] if t.get("from") == "gpt"]
    return q, a


# --------------------------------------------------------------------------------------------
# consistency
# --------------------------------------------------------------------------------------------


def record_from_row(row: dict[str, Any]):
    """An :class:`ECGRecord` stand-in (no signal) carrying what consistency checks read."""
    from ecginstruct.types import Demographics, ECGRecord, Measurements

    meas = dict(row.get("measurements") or {})
    known = set(Measurements.__dataclass_fields__)
    meta = row.get("meta") or {}
    demo = meta.get("demographics") or {}
    return ECGRecord(
        record_id=str(row["record_id"]),
        source=str(row["source"]),
        signal=np.zeros((12, 1), dtype=np.float32),
        fs=float(meta.get("fs") or 500.0),
        labels=tuple(row.get("labels") or ()),
        report=None,
        report_language=meta.get("report_language"),
        measurements=Measurements(**{k: v for k, v in meas.items() if k in known}),
        demographics=Demographics(age=demo.get("age"), sex=demo.get("sex")),
        meta=dict(meta.get("record") or {}),
    )


def conversation_from_row(row: dict[str, Any]):
    from ecginstruct.types import Conversation

    return Conversation(
        turns=[dict(t) for t in row["conversations"] or []],
        category=row["category"],
        format=row["format"],
        template_id=row["template_id"],
        labels_used=list(row.get("labels_used") or []),
        answer_key=dict(row.get("answer_key") or {}),
        meta=dict((row.get("meta") or {}).get("conversation") or {}),
    )


def row_problems(row: dict[str, Any]) -> list[str]:
    """Consistency problems of one row (empty when fine)."""
    from ecginstruct.quality.scorer import extract_labels
    from ecginstruct.tasks.consistency import check

    rec = record_from_row(row)
    conv = conversation_from_row(row)
    problems = []
    if row["category"] == "report" and not conv.meta.get("multi_turn"):
        # the source report is not in the row: vouch for it with the labels instead
        _, answers = questions_answers(row)
        rec.report = answers[0] if answers else ""
        from ecginstruct.labels import vocabulary

        stated = extract_labels(rec.report, vocabulary())
        extra = sorted(stated - set(rec.labels) - _implied(rec.labels))
        if extra and rec.report_language in (None, "en"):
            problems.append(f"report states {', '.join(extra)}, absent from the labels")
    try:
        problems += check(conv, rec)
    except (KeyError, TypeError, ValueError, IndexError) as e:
        problems.append(f"answer key unreadable ({type(e).__name__}: {e})")
    return problems


def _implied(labels: Sequence[str]) -> set[str]:
    try:
        from ecginstruct.tasks.base import blocked_by

        return set(blocked_by(labels))
    except Exception:  # noqa: BLE001 -- no implication table: nothing implied
        return set()


def label_measurement_conflicts(row: dict[str, Any]) -> list[str]:
    meas = row.get("measurements") or {}
    out = []
    for code, fld, ok, want in LABEL_RULES:
        v = meas.get(fld)
        if code in (row.get("labels") or ()) and isinstance(v, (int, float)) and math.isfinite(v):
            if not ok(v):
                out.append(f"{code} but {fld}={v:g} (expected {want})")
    return out


# --------------------------------------------------------------------------------------------
# diversity
# --------------------------------------------------------------------------------------------


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Distinct n-grams / all n-grams over ``texts`` (NaN when there are none)."""
    grams: Counter = Counter()
    for t in texts:
        w = _words(t)
        grams.update(tuple(w[i : i + n]) for i in range(len(w) - n + 1))
    total = sum(grams.values())
    return len(grams) / total if total else math.nan


def _sample(rows: Sequence[dict], k: int) -> list[dict]:
    if len(rows) <= k:
        return list(rows)
    idx = rng_for(0, "quality", "distinct-sample").choice(len(rows), size=k, replace=False)
    return [rows[i] for i in sorted(idx)]


def _length_stats(lengths: list[int]) -> dict[str, float]:
    if not lengths:
        return {}
    a = np.asarray(lengths)
    return {
        "min": int(a.min()),
        "p50": float(np.median(a)),
        "p95": float(np.percentile(a, 95)),
        "max": int(a.max()),
        "mean": float(a.mean()),
    }


# --------------------------------------------------------------------------------------------
# all text checks
# --------------------------------------------------------------------------------------------


def text_checks(rows: Sequence[dict[str, Any]], config: QualityConfig) -> tuple[list[Check], dict]:
    """Every text check over ``rows`` (JSON columns decoded). Returns (checks, details)."""
    from ecginstruct.language import detect_language
    from ecginstruct.tasks.templates import BLANK, PLACEHOLDER_RE

    n = len(rows)
    inconsistent, conflicts, placeholder, empty = [], [], [], []
    lang_bad, lang_n = [], 0
    seen_q: set[str] = set()
    seen_sample: set[tuple] = set()
    dup_q = dup_sample = 0
    yes_no: Counter = Counter()
    letters: Counter = Counter()
    q_len, a_len = [], []
    for row in rows:
        qs, ans = questions_answers(row)
        p = row_problems(row)
        if p:
            inconsistent.append((row["id"], p))
        c = label_measurement_conflicts(row)
        if c:
            conflicts.append((row["id"], c))
        bad_form = [
            t
            for i, t in enumerate(row["conversations"] or [])
            if PLACEHOLDER_RE.search(t["value"])
            or (t.get("from") == "gpt" and BLANK in t["value"])
            or (("<image>" in t["value"]) != (i == 0))
        ]
        if bad_form or not qs or not qs[0].startswith("<image>"):
            placeholder.append(row["id"])
        if not ans or any(not a.strip() for a in ans):
            empty.append(row["id"])
        q = "\n".join(qs)
        dup_q += q in seen_q
        seen_q.add(q)
        key = (row["source"], row["record_id"], tuple(qs), tuple(ans))
        dup_sample += key in seen_sample
        seen_sample.add(key)
        q_len += [len(_words(x)) for x in qs]
        a_len += [len(_words(x)) for x in ans]
        k = row.get("answer_key") or {}
        if row["format"] == "close_ended" and str(k.get("answer", "")).lower() in ("yes", "no"):
            yes_no[str(k["answer"]).lower()] += 1
        for letter in k.get("correct") or []:
            letters[letter] += 1
        if row["category"] == "report" and ans:
            want = k.get("language") or (row.get("meta") or {}).get("report_language")
            got = detect_language(ans[0])
            if want and got:
                lang_n += 1
                if got != want:
                    lang_bad.append((row["id"], f"answer reads as {got!r}, tagged {want!r}"))
    sample = _sample(rows, int(config.text.get("distinct_sample", 2000)))
    sq = [q for r in sample for q in questions_answers(r)[0]]
    sa = [a for r in sample for a in questions_answers(r)[1]]
    n_yn = sum(yes_no.values())
    n_letters = sum(letters.values())
    details = {
        "rows": n,
        "inconsistent": inconsistent[:50],
        "label_measurement_conflicts": conflicts[:50],
        "placeholder_rows": placeholder[:50],
        "empty_answer_rows": empty[:50],
        "report_language_mismatches": lang_bad[:50],
        "distinct": {
            f"{w}_distinct{k}": distinct_n(t, k)
            for w, t in (("questions", sq), ("answers", sa))
            for k in (1, 2, 3)
        },
        "question_words": _length_stats(q_len),
        "answer_words": _length_stats(a_len),
        "answer_word_lengths": a_len,
        "question_word_lengths": q_len,
        "yes_no": dict(yes_no),
        "correct_letters": dict(sorted(letters.items())),
        "templates": len({r["template_id"] for r in rows}),
    }
    d = details["distinct"]
    checks = [
        judge(config, "text.inconsistent_rate", len(inconsistent) / n if n else None, n=n),
        judge(
            config,
            "text.label_measurement_conflict_rate",
            len(conflicts) / n if n else None,
            n=n,
            detail="; ".join(f"{i}: {c[0]}" for i, c in conflicts[:3]),
        ),
        judge(config, "text.placeholder_rows", len(placeholder), n=n),
        judge(config, "text.empty_answer_rows", len(empty), n=n),
        judge(config, "text.duplicate_sample_rate", dup_sample / n if n else None, n=n),
        judge(config, "text.duplicate_instruction_rate", dup_q / n if n else None, n=n),
        judge(config, "text.distinct2_questions", d["questions_distinct2"], n=len(sample)),
        judge(config, "text.distinct2_answers", d["answers_distinct2"], n=len(sample)),
        judge(config, "text.yes_share", yes_no["yes"] / n_yn if n_yn else None, n=n_yn),
        judge(
            config,
            "text.top_letter_share",
            max(letters.values()) / n_letters if n_letters else None,
            n=n_letters,
            detail=", ".join(f"{k}: {v}" for k, v in sorted(letters.items())),
        ),
        judge(
            config,
            "text.report_language_mismatch_rate",
            len(lang_bad) / lang_n if lang_n else None,
            n=lang_n,
        ),
    ]
    if inconsistent:
        checks[0].detail = "; ".join(f"{i}: {p[0]}" for i, p in inconsistent[:3])
    return checks, details
