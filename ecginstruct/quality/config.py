"""Thresholds and settings of the quality report (``manifests/quality.yaml`` by default).

A check's verdict is decided here and only here (:func:`judge`), so the Markdown report, the HTML
report and the exit code can never disagree.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ecginstruct.types import ConfigError

PASS, FAIL, SKIP = "pass", "fail", "skip"
_BOUND_KEYS = {"min", "max", "min_n"}


def default_config_path() -> Path:
    from ecginstruct.manifests import manifests_dir

    return manifests_dir() / "quality.yaml"


@dataclass
class QualityConfig:
    """``checks``: check name -> {"min", "max", "min_n"}; ``probe``, ``fidelity``, ``text``: the
    settings of those parts (plain dicts, read with defaults where used)."""

    checks: dict[str, dict[str, float]] = field(default_factory=dict)
    probe: dict[str, Any] = field(default_factory=dict)
    fidelity: dict[str, Any] = field(default_factory=dict)
    text: dict[str, Any] = field(default_factory=dict)
    path: str | None = None

    def bounds(self, name: str) -> dict[str, float]:
        return self.checks.get(name, {})


def load_config(path: str | Path | None = None) -> QualityConfig:
    """Read and check a quality config (default: ``manifests/quality.yaml``)."""
    path = Path(path) if path is not None else default_config_path()
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as e:
        raise ConfigError(f"cannot read quality config {path}: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"quality config {path}: invalid YAML: {e}") from None
    return parse_config(data or {}, where=str(path))


def parse_config(data: dict[str, Any], where: str = "quality config") -> QualityConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the top level must be a mapping")
    unknown = set(data) - {"checks", "probe", "fidelity", "text"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}")
    checks = {}
    for name, b in (data.get("checks") or {}).items():
        if not isinstance(b, dict) or not b or set(b) - _BOUND_KEYS:
            raise ConfigError(
                f"{where}: checks[{name!r}] must map some of {sorted(_BOUND_KEYS)} to numbers"
            )
        for k, v in b.items():
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                raise ConfigError(f"{where}: checks[{name!r}].{k} = {v!r} is not a number")
        checks[str(name)] = {k: float(v) for k, v in b.items()}
    parts = {}
    for part in ("probe", "fidelity", "text"):
        v = data.get(part) or {}
        if not isinstance(v, dict):
            raise ConfigError(f"{where}: {part} must be a mapping")
        parts[part] = copy.deepcopy(v)
    return QualityConfig(checks=checks, path=where, **parts)


@dataclass
class Check:
    """One line of the verdict table."""

    name: str
    value: float | None
    status: str
    bounds: dict[str, float]
    n: int | None = None
    detail: str = ""

    @property
    def threshold_text(self) -> str:
        b = self.bounds
        parts = []
        if "min" in b:
            parts.append(f">= {b['min']:g}")
        if "max" in b:
            parts.append(f"<= {b['max']:g}")
        return " and ".join(parts) or "(report only)"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "status": self.status,
            "bounds": self.bounds,
            "n": self.n,
            "detail": self.detail,
        }


def judge(
    config: QualityConfig, name: str, value: float | None, *, n: int | None = None, detail=""
) -> Check:
    """Pass/fail/skip of ``value`` against the bounds of check ``name``.

    Skip when the value is missing (NaN/None) or ``n`` is below the check's ``min_n``; a check with
    no bounds in the config is reported with status pass ("report only")."""
    b = config.bounds(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Check(name, None, SKIP, b, n, detail or "not computable")
    if n is not None and n < b.get("min_n", 0):
        why = f"only {n} row(s), the check needs {int(b['min_n'])}"
        return Check(name, float(value), SKIP, b, n, f"{detail}; {why}" if detail else why)
    ok = ("min" not in b or value >= b["min"]) and ("max" not in b or value <= b["max"])
    return Check(name, float(value), PASS if ok else FAIL, b, n, detail)
