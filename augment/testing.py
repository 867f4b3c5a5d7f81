"""Small demo pages for tests, the gallery and the benchmark (synthetic source, no files)."""

from __future__ import annotations

from typing import Any

from ecginstruct.types import ECGRecord, Page


def demo_record(index: int = 1, seed: int = 0) -> ECGRecord:
    """Record ``syn-%08d`` of the synthetic source (pure function of index and seed)."""
    from ecginstruct.sources.synthetic import SyntheticSource

    return SyntheticSource(n_records=max(index + 1, 4), seed=seed).load_id(f"syn-{index:08d}")


def demo_page(
    dpi: int = 100, record: ECGRecord | None = None, **spec: Any
) -> tuple[ECGRecord, Page]:
    """(record, rendered page) at ``dpi`` with any other render-spec fields."""
    from renderers import render_page

    record = record if record is not None else demo_record()
    return record, render_page(record, {"dpi": dpi, **spec})
