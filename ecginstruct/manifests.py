"""Reading the declarative data in ``manifests/`` (per-source descriptions for now).

The folder lives next to the packages in the checkout (the project is installed editable), so it
is found relative to this file rather than through an environment variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ecginstruct.types import ConfigError

# Keys every manifests/sources/<name>.yaml has (checked by tests/test_manifests.py).
SOURCE_MANIFEST_KEYS = (
    "name",
    "title",
    "citation",
    "license",
    "homepage",
    "download",
    "layout",
    "sampling_rate",
    "label_vocabulary",
    "notes",
)


def manifests_dir() -> Path:
    """The repository's ``manifests/`` folder."""
    d = Path(__file__).resolve().parents[1] / "manifests"
    if not d.is_dir():
        raise ConfigError(f"manifests folder not found at {d} (install the project editable)")
    return d


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML ({e})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def load_source_manifest(name: str) -> dict[str, Any]:
    """The parsed ``manifests/sources/<name>.yaml``."""
    path = manifests_dir() / "sources" / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(p.stem for p in sorted(path.parent.glob("*.yaml")))
        raise ConfigError(f"no manifest for source {name!r} (manifests exist for: {known})")
    return _read_yaml(path)


def list_source_manifests() -> list[dict[str, Any]]:
    """Every source manifest, sorted by file name."""
    return [_read_yaml(p) for p in sorted((manifests_dir() / "sources").glob("*.yaml"))]
