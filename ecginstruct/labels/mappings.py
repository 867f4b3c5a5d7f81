"""Per-source-family mappings (``manifests/labels/<family>.yaml``) onto the vocabulary.

Two kinds of family:

* code tables (SCP-ECG, SNOMED CT, CPSC 2018, CODE-15%): ``codes`` is a list of
  ``{code, name, to: [harmonised codes]}``; ``presence`` says how a source value decides whether a
  code counts (``key``: listed = present; ``truthy``: 0/False = absent; ``likelihood``: PTB-XL's
  0-100 likelihoods, see :func:`present`);
* phrase rules (MIMIC-IV-ECG machine statements): ``presence: phrases``, handled by
  :mod:`ecginstruct.labels.phrases`.

Every file names the ``sources`` it serves; a source in no file passes harmonised codes through
(synthetic records, WFDB folders).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecginstruct.labels.vocabulary import labels_dir, read_yaml, vocabulary
from ecginstruct.types import ConfigError

PRESENCE_RULES = ("key", "truthy", "likelihood", "phrases")


@dataclass(frozen=True)
class CodeTable:
    """One family's code table (or, with ``presence == "phrases"``, its phrase-rule file)."""

    family: str
    sources: tuple[str, ...]
    key: str
    presence: str
    path: Path
    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    not_mapped: dict[str, str] = field(default_factory=dict)  # code -> why
    min_likelihood: float = 50.0
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def present(self, value: Any) -> bool:
        """Whether a source value means the code applies (see the module docstring)."""
        if self.presence == "truthy":
            return value is None or bool(value)
        if self.presence == "likelihood":
            # PTB-XL: 0 = "unknown likelihood" (form/rhythm statements), still present.
            if value is None:
                return True
            try:
                v = float(value)
            except (TypeError, ValueError):
                return True
            return v == 0.0 or v >= self.min_likelihood
        return True


def _as_targets(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{where}: 'to' must be a code or a list of codes, got {value!r}")
    return tuple(str(v) for v in value)


def parse_table(data: dict[str, Any], path: Path) -> CodeTable:
    where = str(path)
    for k in ("family", "sources", "presence"):
        if not data.get(k):
            raise ConfigError(f"{where}: missing key {k!r}")
    presence = str(data["presence"])
    if presence not in PRESENCE_RULES:
        raise ConfigError(f"{where}: presence {presence!r} is not one of {PRESENCE_RULES}")
    codes: dict[str, tuple[str, ...]] = {}
    names: dict[str, str] = {}
    for i, entry in enumerate(data.get("codes") or ()):
        if not isinstance(entry, dict) or "code" not in entry or "to" not in entry:
            raise ConfigError(f"{where}: codes[{i}] needs 'code' and 'to'")
        code = str(entry["code"])
        if set(entry) - {"code", "name", "to"}:
            raise ConfigError(
                f"{where}: {code!r} has unknown key(s) {sorted(set(entry) - {'code', 'name', 'to'})}"
            )
        if code in codes:
            raise ConfigError(f"{where}: source code {code!r} is mapped twice")
        codes[code] = _as_targets(entry["to"], f"{where}: {code}")
        names[code] = str(entry.get("name") or "")
    not_mapped = {}
    for entry in data.get("not_mapped") or ():
        code = str(entry["code"])
        if set(entry) - {"code", "name", "why"}:
            raise ConfigError(
                f"{where}: {code!r} has unknown key(s) {sorted(set(entry) - {'code', 'name', 'why'})}"
            )
        if code in codes:
            raise ConfigError(f"{where}: {code!r} is both mapped and listed in not_mapped")
        not_mapped[code] = str(entry.get("why") or "")
        names[code] = str(entry.get("name") or "")
    if presence != "phrases" and not codes:
        raise ConfigError(f"{where}: no codes")
    return CodeTable(
        family=str(data["family"]),
        sources=tuple(str(s) for s in data["sources"]),
        key=str(data.get("key") or "source code"),
        presence=presence,
        path=path,
        codes=codes,
        names=names,
        not_mapped=not_mapped,
        min_likelihood=float(data.get("min_likelihood", 50)),
        raw=data,
    )


@functools.lru_cache(maxsize=1)
def tables() -> dict[str, CodeTable]:
    """family -> :class:`CodeTable` for every ``manifests/labels/*.yaml`` but the vocabulary.

    Validated on load: families and sources unique, every target a vocabulary code."""
    vocab = vocabulary()
    out: dict[str, CodeTable] = {}
    seen_sources: dict[str, str] = {}
    for path in sorted(labels_dir().glob("*.yaml")):
        if path.name == "vocabulary.yaml":
            continue
        t = parse_table(read_yaml(path), path)
        if t.family in out:
            raise ConfigError(f"{path}: family {t.family!r} also defined in {out[t.family].path}")
        for s in t.sources:
            if s in seen_sources:
                raise ConfigError(f"{path}: source {s!r} is already served by {seen_sources[s]}")
            seen_sources[s] = t.family
        for code, targets in t.codes.items():
            bad = [c for c in targets if c not in vocab]
            if bad:
                raise ConfigError(
                    f"{path}: {code!r} maps to {', '.join(bad)}, not in the vocabulary"
                )
        out[t.family] = t
    return out


def table_for(source: str) -> CodeTable | None:
    """The table serving ``source`` (a source name like ``ptbxl`` or a family name), or None."""
    all_tables = tables()
    if source in all_tables:
        return all_tables[source]
    for t in all_tables.values():
        if source in t.sources:
            return t
    return None


def mapping_table(source: str) -> list[dict[str, Any]]:
    """Rows describing how ``source`` (or a family) maps to the vocabulary, for the CLI and docs.

    Code tables: ``{source_code, source_name, codes, note}`` (``codes`` empty for codes that are
    deliberately not mapped). Phrase rules: ``{pattern, codes, note}`` in the order they apply.
    Pass-through sources: one row per vocabulary code."""
    t = table_for(source)
    if t is None:
        return [
            {"source_code": c, "source_name": info.name, "codes": [c], "note": "pass-through"}
            for c, info in vocabulary().items()
        ]
    if t.presence == "phrases":
        from ecginstruct.labels.phrases import phrase_rules

        return phrase_rules().table()
    rows = [
        {"source_code": c, "source_name": t.names.get(c, ""), "codes": list(to), "note": ""}
        for c, to in t.codes.items()
    ]
    rows += [
        {"source_code": c, "source_name": t.names.get(c, ""), "codes": [], "note": why}
        for c, why in t.not_mapped.items()
    ]
    return rows


def families() -> dict[str, tuple[str, ...]]:
    """family -> the sources it serves."""
    return {f: t.sources for f, t in tables().items()}
