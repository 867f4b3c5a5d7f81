"""Instruction templates: many phrasings per task, read from ``manifests/templates/*.yaml``.

Each file maps a key to a list of phrasings; a phrasing's stable id is ``"<file>:<key>:<index>"``
(the file name without ``.yaml``). Phrasings use ``str.format`` placeholders (``{name}``,
``{options}``...). :func:`fill` refuses a phrasing whose placeholders are not all given, so no
``{...}`` can reach a sample; the consistency checks look for leftovers once more.
"""

from __future__ import annotations

import functools
import re
import string
from pathlib import Path

import numpy as np
import yaml

from ecginstruct.types import ConfigError

# A placeholder left in text: "{name}" (format fields) -- what fill() must never let through.
PLACEHOLDER_RE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
BLANK = "___"


def manifests_dir() -> Path:
    try:  # the sources engineer's helper, when present, knows about installed layouts
        from ecginstruct.manifests import manifests_dir as _md

        return Path(_md())
    except ImportError:
        return Path(__file__).resolve().parents[2] / "manifests"


def templates_dir() -> Path:
    return manifests_dir() / "templates"


@functools.cache
def load(file: str) -> dict[str, tuple[str, ...]]:
    """The phrasings of ``manifests/templates/<file>.yaml`` (key -> tuple of strings)."""
    path = templates_dir() / f"{file}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"template file {path} not found") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"template file {path} is not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"template file {path}: expected a mapping of key -> list of phrasings")
    out: dict[str, tuple[str, ...]] = {}
    for key, items in data.items():
        if not isinstance(items, list) or not items or not all(isinstance(s, str) for s in items):
            raise ConfigError(f"template file {path}: key {key!r} must be a non-empty list of text")
        out[str(key)] = tuple(items)
    return out


def files() -> list[str]:
    return sorted(p.stem for p in templates_dir().glob("*.yaml"))


def fields(text: str) -> set[str]:
    """The placeholder names a phrasing uses."""
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def pick(file: str, key: str, rng: np.random.Generator) -> tuple[str, str]:
    """(template_id, phrasing) drawn uniformly from ``file:key``."""
    items = load(file).get(key)
    if not items:
        raise ConfigError(f"no templates under key {key!r} in manifests/templates/{file}.yaml")
    i = int(rng.integers(len(items)))
    return f"{file}:{key}:{i}", items[i]


def fill(template_id: str, text: str, /, **values: object) -> str:
    """``text.format(**values)``; a missing value is a template bug and raises ConfigError."""
    missing = fields(text) - values.keys()
    if missing:
        raise ConfigError(f"template {template_id} needs {sorted(missing)}, not given")
    return text.format(**values)


def completed(question: str, filler: str) -> str:
    """The statement of a fill-in-the-blank question with its blank filled: the quoted sentence
    if there is one, else the text after the last colon (``'Fill in the blank: the PR interval is
    ___ ms.'`` -> ``'The PR interval is 160 ms.'``)."""
    if question.count(BLANK) != 1:
        raise ConfigError(f"fill-in-the-blank question needs exactly one {BLANK!r}: {question!r}")
    quoted = re.search(r'"([^"]*___[^"]*)"', question)
    if quoted:
        statement = quoted.group(1)
    else:
        statement = question[question.rfind(": ", 0, question.index(BLANK)) + 2 :]
    statement = statement.replace(BLANK, filler).strip()
    if not statement.endswith((".", "!", "?")):
        statement += "."
    return statement[:1].upper() + statement[1:]


def render(file: str, key: str, rng: np.random.Generator, **values: object) -> tuple[str, str]:
    """Pick a phrasing and fill it: (template_id, text)."""
    tid, text = pick(file, key, rng)
    return tid, fill(tid, text, **values)
