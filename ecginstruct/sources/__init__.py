"""Sources: one per public repository. ``get_source(name, root, **options)`` builds one.

The table below is static on purpose (no global mutable registry): adding a source means adding
its module and one line here, plus a manifest in ``manifests/sources/``.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from ecginstruct.types import ConfigError, Source

# name -> "module:Class"
SOURCES: dict[str, str] = {
    "synthetic": "ecginstruct.sources.synthetic:SyntheticSource",
    "ptbxl": "ecginstruct.sources.ptbxl:PTBXLSource",
    "physionet2021": "ecginstruct.sources.physionet2021:PhysioNet2021Source",
    "wfdb": "ecginstruct.sources.wfdb_dir:WFDBDirSource",
    "mimic_iv_ecg": "ecginstruct.sources.mimic_iv_ecg:MimicIVECGSource",
    "code15": "ecginstruct.sources.code15:Code15Source",
    "cpsc2018": "ecginstruct.sources.cpsc2018:CPSC2018Source",
    "ecgqa": "ecginstruct.sources.ecgqa:ECGQASource",
}


def source_class(name: str) -> type:
    try:
        target = SOURCES[name]
    except KeyError:
        raise ConfigError(
            f"unknown source {name!r}; known sources: {', '.join(sorted(SOURCES))}"
        ) from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)


def get_source(name: str, root: str | None = None, **options: Any) -> Source:
    """Instantiate source ``name`` reading ``root`` (ignored by ``synthetic``)."""
    cls = source_class(name)
    params = inspect.signature(cls).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        bad = sorted(set(options) - set(params))
        if bad:
            allowed = ", ".join(k for k in params if k != "root") or "none"
            raise ConfigError(
                f"source {name!r} has no option(s) {', '.join(bad)}; its options: {allowed}"
            )
    return cls(root=root, **options)
