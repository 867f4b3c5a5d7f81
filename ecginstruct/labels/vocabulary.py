"""The harmonised condition vocabulary (``manifests/labels/vocabulary.yaml``).

One :class:`LabelInfo` per condition code. Codes follow SCP-ECG (as in PTB-XL) where a statement
exists, so PTB-XL users recognise them; every other source is mapped onto them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ecginstruct.types import ConfigError

CATEGORIES: tuple[str, ...] = (
    "rhythm",
    "conduction",
    "morphology",  # morphology, ST-T changes, ischemia and infarction
    "hypertrophy",
    "axis",
    "other",
)


@dataclass(frozen=True)
class LabelInfo:
    """One harmonised condition."""

    code: str
    name: str
    category: str
    synonyms: tuple[str, ...] = ()
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "category": self.category,
            "synonyms": list(self.synonyms),
            "description": self.description,
        }


def labels_dir() -> Path:
    """``manifests/labels/`` of the checkout."""
    from ecginstruct.manifests import manifests_dir

    return manifests_dir() / "labels"


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as e:
        raise ConfigError(f"cannot read label manifest {path}: {e}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"label manifest {path} is not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"label manifest {path} must be a mapping at the top level")
    return data


def parse_vocabulary(data: dict[str, Any], where: str = "vocabulary") -> dict[str, LabelInfo]:
    """Check and build the vocabulary from the parsed YAML (split out for tests)."""
    cats = tuple(data.get("categories") or ())
    if cats != CATEGORIES:
        raise ConfigError(f"{where}: categories must be {list(CATEGORIES)}, got {list(cats)}")
    out: dict[str, LabelInfo] = {}
    for i, entry in enumerate(data.get("labels") or ()):
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: labels[{i}] is not a mapping")
        missing = [k for k in ("code", "name", "category") if not entry.get(k)]
        if missing:
            raise ConfigError(f"{where}: labels[{i}] lacks {', '.join(missing)}")
        code = str(entry["code"])
        if code in out:
            raise ConfigError(f"{where}: code {code!r} is defined twice")
        if entry["category"] not in CATEGORIES:
            raise ConfigError(
                f"{where}: code {code!r} has category {entry['category']!r}, "
                f"not one of {', '.join(CATEGORIES)}"
            )
        unknown = set(entry) - {"code", "name", "category", "synonyms", "description"}
        if unknown:
            raise ConfigError(f"{where}: code {code!r} has unknown key(s) {sorted(unknown)}")
        out[code] = LabelInfo(
            code=code,
            name=str(entry["name"]),
            category=str(entry["category"]),
            synonyms=tuple(str(s) for s in entry.get("synonyms") or ()),
            description=str(entry.get("description") or ""),
        )
    if not out:
        raise ConfigError(f"{where}: no labels defined")
    return out


@functools.lru_cache(maxsize=1)
def vocabulary() -> dict[str, LabelInfo]:
    """code -> :class:`LabelInfo`, in the file's order (read once, cached).

    Callers must not mutate the returned dict (it is shared)."""
    path = labels_dir() / "vocabulary.yaml"
    return parse_vocabulary(read_yaml(path), where=str(path))


def codes_in_category(category: str) -> list[str]:
    """The codes of one category, in vocabulary order."""
    if category not in CATEGORIES:
        raise ConfigError(f"unknown label category {category!r}; known: {', '.join(CATEGORIES)}")
    return [c for c, info in vocabulary().items() if info.category == category]


def label_info(code: str) -> LabelInfo:
    """The :class:`LabelInfo` of a harmonised code (``ConfigError`` naming it when unknown)."""
    try:
        return vocabulary()[code]
    except KeyError:
        raise ConfigError(f"{code!r} is not a harmonised label code") from None
