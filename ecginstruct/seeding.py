"""Deterministic seeds: every random choice in the toolkit starts here.

``seed_for(global_seed, record_id, stage)`` hashes its arguments with BLAKE2b, so the seed of a
record's render does not depend on which worker draws it, in what order, or on a resume.
"""

from __future__ import annotations

import hashlib

import numpy as np


def seed_for(global_seed: int, record_id: str, stage: str) -> int:
    """A 64-bit seed from (global seed, record id, stage name). Stable across Python versions."""
    h = hashlib.blake2b(digest_size=8)
    h.update(str(int(global_seed)).encode())
    h.update(b"\x00")
    h.update(str(record_id).encode())
    h.update(b"\x00")
    h.update(str(stage).encode())
    return int.from_bytes(h.digest(), "little")


def rng_for(global_seed: int, record_id: str, stage: str) -> np.random.Generator:
    """A fresh ``numpy.random.Generator`` (PCG64) seeded by :func:`seed_for`."""
    return np.random.default_rng(seed_for(global_seed, record_id, stage))
