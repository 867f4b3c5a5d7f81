"""``harmonise(source, source_labels)``: a source's own codes -> harmonised vocabulary codes.

Unknown codes are never dropped: they come back as *unmapped* (``make_record`` keeps them raw in
``source_labels`` and lists them in ``meta["unmapped_labels"]``) and :class:`UnmappedCounter`
counts them over a run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ecginstruct.labels.mappings import table_for
from ecginstruct.labels.phrases import PhraseRules, phrase_rules
from ecginstruct.labels.vocabulary import vocabulary


@dataclass(frozen=True)
class Harmonised:
    """Full result of a mapping: ``codes`` (sorted harmonised codes), ``unmapped`` (source codes
    that map to nothing, in input order), ``uncertain`` (codes only hedged -- "possible",
    likelihood < 50 -- and left out of ``codes`` unless the family keeps them) and ``absent``
    (codes listed by the source but negated or switched off, e.g. CODE-15 flags at 0)."""

    codes: tuple[str, ...]
    unmapped: tuple[str, ...] = ()
    uncertain: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()


def harmonise_detailed(source: str, source_labels: Mapping[str, Any]) -> Harmonised:
    """Map ``source_labels`` of ``source`` (see :func:`harmonise`) keeping the uncertain and
    absent codes apart."""
    table = table_for(source)
    if table is None:
        return _pass_through(source_labels)
    if table.presence == "phrases":
        return _phrases(phrase_rules(), source_labels)
    codes: set[str] = set()
    uncertain: set[str] = set()
    unmapped: list[str] = []
    absent: list[str] = []
    for raw, value in source_labels.items():
        key = str(raw).strip()
        targets = table.codes.get(key)
        if targets is None:
            unmapped.append(str(raw))
        elif table.present(value):
            codes.update(targets)
        elif table.presence == "likelihood":
            uncertain.update(targets)
        else:
            absent.append(key)
    return Harmonised(
        tuple(sorted(codes)), tuple(unmapped), tuple(sorted(uncertain - codes)), tuple(absent)
    )


def _pass_through(source_labels: Mapping[str, Any]) -> Harmonised:
    """Sources whose codes already are harmonised (synthetic, WFDB folders): keep the known ones,
    report the rest as unmapped (for synthetic records, that is a generator bug)."""
    vocab = vocabulary()
    codes = sorted({str(k) for k in source_labels if str(k) in vocab})
    unmapped = tuple(str(k) for k in source_labels if str(k) not in vocab)
    return Harmonised(tuple(codes), unmapped)


def _phrases(rules: PhraseRules, source_labels: Mapping[str, Any]) -> Harmonised:
    present: set[str] = set()
    uncertain: set[str] = set()
    negated: set[str] = set()
    unmapped: list[str] = []
    for line in source_labels:
        r = rules.parse_line(str(line))
        if not r.recognised:
            unmapped.append(str(line))
        present |= r.present
        uncertain |= r.uncertain
        negated |= r.negated
    uncertain -= present
    negated -= present | uncertain
    codes = present | uncertain if rules.uncertain_policy == "keep" else present
    return Harmonised(
        tuple(sorted(codes)), tuple(unmapped), tuple(sorted(uncertain)), tuple(sorted(negated))
    )


def harmonise(source: str, source_labels: dict) -> tuple[tuple[str, ...], list[str]]:
    """(sorted harmonised codes, source codes that map to nothing).

    ``source`` picks the mapping family (``ptbxl``/``ecgqa``: SCP-ECG with PTB-XL likelihoods;
    ``physionet2021``: SNOMED CT; ``cpsc2018``; ``code15``; ``mimic_iv_ecg``: phrase rules over
    statement lines); any other source's codes must already be harmonised codes."""
    h = harmonise_detailed(source, source_labels)
    return h.codes, list(h.unmapped)


class UnmappedCounter:
    """Counts unmapped source codes over a run, per source: ``add(source, codes)`` or
    ``add_record(record)``; ``counts`` is a Counter of ``(source, code)``."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.records = 0
        self.records_with_unmapped = 0

    def add(self, source: str, codes: Iterable[str]) -> None:
        codes = list(codes)
        self.records += 1
        if codes:
            self.records_with_unmapped += 1
        self.counts.update((str(source), str(c)) for c in codes)

    def add_record(self, record: Any) -> None:
        self.add(record.source, record.meta.get("unmapped_labels") or ())

    def most_common(self, n: int | None = None) -> list[tuple[tuple[str, str], int]]:
        return self.counts.most_common(n)

    def to_json(self) -> dict[str, Any]:
        by_source: dict[str, dict[str, int]] = {}
        for (s, c), n in sorted(self.counts.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1])):
            by_source.setdefault(s, {})[c] = n
        return {
            "records": self.records,
            "records_with_unmapped": self.records_with_unmapped,
            "unmapped": by_source,
        }


def count_unmapped(items: Iterable[Any]) -> Counter[tuple[str, str]]:
    """Counter of ``(source, unmapped code)`` over records (their ``meta["unmapped_labels"]``) or
    ``(source, source_labels)`` pairs (harmonised here)."""
    c = UnmappedCounter()
    for item in items:
        if hasattr(item, "meta") and hasattr(item, "source"):
            c.add_record(item)
        else:
            source, source_labels = item
            c.add(source, harmonise(source, source_labels)[1])
    return c.counts
