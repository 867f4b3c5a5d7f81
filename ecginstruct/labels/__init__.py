"""Harmonised condition labels. ``harmonise(source, source_labels)`` maps a source's own codes to
the toolkit's vocabulary (``manifests/labels/``).

NOTE: scaffolding -- the full vocabulary and per-source mappings are being written (issue 4);
until then codes pass through unchanged.
"""

from __future__ import annotations


def harmonise(source: str, source_labels: dict) -> tuple[tuple[str, ...], list[str]]:
    """(harmonised codes sorted, source codes that map to nothing)."""
    return tuple(sorted(str(k) for k in source_labels)), []
