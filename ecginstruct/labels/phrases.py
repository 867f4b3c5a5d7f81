"""Phrase rules for free-text machine statements (MIMIC-IV-ECG), read from
``manifests/labels/mimic_statements.yaml`` (that file documents the rules' semantics).

A statement line is lower-cased and cut into clauses; ordered regex rules match inside each clause
and blank what they matched so a later, more general rule cannot match it again. Negation and
weak-uncertainty cues are looked for in the same clause (before the match; negation also after).
Results are cached per line: the same few hundred statements make up most of MIMIC.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from ecginstruct.labels.mappings import table_for
from ecginstruct.labels.vocabulary import vocabulary
from ecginstruct.types import ConfigError

FAMILY = "mimic_statements"


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    codes: tuple[str, ...]


@dataclass(frozen=True)
class LineResult:
    """What one statement line says: codes present, uncertain and negated, and whether any rule
    or ignore pattern understood it (``recognised``; False = unmapped)."""

    present: frozenset[str]
    uncertain: frozenset[str]
    negated: frozenset[str]
    recognised: bool


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as e:
        raise ConfigError(f"{where}: bad regular expression {pattern!r}: {e}") from e


class PhraseRules:
    """Compiled phrase rules of one family file."""

    def __init__(self, data: dict[str, Any], where: str):
        vocab = vocabulary()
        self.uncertain_policy = str(data.get("uncertain", "drop"))
        if self.uncertain_policy not in ("drop", "keep"):
            raise ConfigError(f"{where}: uncertain must be 'drop' or 'keep'")
        self.split = _compile(data.get("clause_split") or r"[,;]", where)
        self.neg_before = _compile(data["negation_before"], where)
        self.neg_after = _compile(data["negation_after"], where)
        self.weak = _compile(data["weak_cues"], where)
        self.ignore = [_compile(p, where) for p in data.get("ignore") or ()]
        self.rules: list[Rule] = []
        for i, r in enumerate(data.get("rules") or ()):
            if not isinstance(r, dict) or "match" not in r or "to" not in r:
                raise ConfigError(f"{where}: rules[{i}] needs 'match' and 'to'")
            codes = tuple(str(c) for c in (r["to"] or ()))
            bad = [c for c in codes if c not in vocab]
            if bad:
                raise ConfigError(
                    f"{where}: rules[{i}] ({r['match']!r}) maps to {bad}, not in the vocabulary"
                )
            self.rules.append(Rule(_compile(r["match"], f"{where}: rules[{i}]"), codes))
        if not self.rules:
            raise ConfigError(f"{where}: no rules")
        self.parse_line = functools.lru_cache(maxsize=65536)(self._parse_line)

    def _parse_line(self, line: str) -> LineResult:
        text = " ".join(str(line).lower().split())
        present: set[str] = set()
        uncertain: set[str] = set()
        negated: set[str] = set()
        matched = False
        for clause in self.split.split(text):
            clause = clause.strip()
            if not clause:
                continue
            work = clause
            for rule in self.rules:
                for m in rule.pattern.finditer(work):
                    if m.end() == m.start():
                        continue
                    matched = True
                    a, b = m.span()
                    work = work[:a] + "\x00" * (b - a) + work[b:]
                    before, after = clause[:a], clause[b:]
                    if self.neg_before.search(before) or self.neg_after.search(after):
                        negated.update(rule.codes)
                    elif self.weak.search(before):
                        uncertain.update(rule.codes)
                    else:
                        present.update(rule.codes)
        if not matched:
            matched = any(p.search(text) for p in self.ignore)
        # a code stated plainly in one clause stays present even if hedged in another
        uncertain -= present
        negated -= present | uncertain
        return LineResult(frozenset(present), frozenset(uncertain), frozenset(negated), matched)

    def table(self) -> list[dict[str, Any]]:
        rows = [
            {"pattern": r.pattern.pattern, "codes": list(r.codes), "note": ""} for r in self.rules
        ]
        rows += [
            {"pattern": p.pattern, "codes": [], "note": "ignored (administrative line)"}
            for p in self.ignore
        ]
        return rows


@functools.lru_cache(maxsize=1)
def phrase_rules() -> PhraseRules:
    """The MIMIC statement rules (compiled once)."""
    t = table_for(FAMILY)
    if t is None:
        raise ConfigError(f"manifests/labels has no {FAMILY}.yaml (family {FAMILY!r})")
    return PhraseRules(t.raw, str(t.path))
