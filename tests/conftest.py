"""Shared test set-up: offline, Ray kept inside the test's tmp dir, sample-data location."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DATA = Path(os.environ.get("ECGINSTRUCT_SAMPLE_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (or $ECGINSTRUCT_SAMPLE_DATA); the test is skipped when it is absent."""
    if not SAMPLE_DATA.is_dir():
        pytest.skip(
            f"real sample data not found at {SAMPLE_DATA} (set ECGINSTRUCT_SAMPLE_DATA to run this)"
        )
    return SAMPLE_DATA
