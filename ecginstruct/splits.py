"""Patient-level train/val/test splits, decided from refs alone (no signal read).

Rules, per source (``split_by`` in the recipe):

* ``strat_fold``: PTB-XL's ``strat_fold`` (in ``ref.extra``) -- folds listed under
  ``splits.strat_fold`` (default 9 -> val, 10 -> test) and everything else train;
* ``source``: the source's own split (``ref.extra["split"]``, e.g. ECG-QA's train/valid/test);
* ``hash``: a stable hash of (patient namespace, patient id) against the ``val``/``test`` fractions;
* ``auto`` (default): ``strat_fold`` if the ref has one, else ``source`` if it has a split, else
  ``hash``.

Then the split of a patient is made consistent across every record of every source sharing its
*patient namespace* (ptbxl and ecgqa share "ptbxl"): the most held-out split any of its records
got wins (test > val > train), so no patient is ever in two splits. A record without a patient
id is its own patient.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ecginstruct.types import RecordRef

ORDER = {"train": 0, "val": 1, "test": 2}
# Sources whose patients live in another source's id space.
DEFAULT_NAMESPACES = {"ecgqa": "ptbxl"}
_SOURCE_SPLIT_NAMES = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "dev": "val",
    "test": "test",
}


def namespace_for(source: str, override: str | None = None) -> str:
    return override or DEFAULT_NAMESPACES.get(source, source)


def patient_key(ref: RecordRef) -> str:
    return str(ref.patient_id) if ref.patient_id not in (None, "") else f"record:{ref.record_id}"


def hash_fraction(namespace: str, patient: str) -> float:
    """A uniform number in [0, 1) from (namespace, patient): stable across runs and machines."""
    h = hashlib.blake2b(f"{namespace}\x00{patient}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "little") / 2.0**64


def hash_split(namespace: str, patient: str, val: float, test: float) -> str:
    u = hash_fraction(namespace, patient)
    if u < test:
        return "test"
    if u < test + val:
        return "val"
    return "train"


def direct_split(ref: RecordRef, namespace: str, rule: str, splits: dict) -> str:
    """The split of one ref by its source's rule, before patient consolidation."""
    extra = ref.extra or {}
    fold = extra.get("strat_fold")
    src_split = extra.get("split")
    if rule == "auto":
        rule = "strat_fold" if fold is not None else ("source" if src_split else "hash")
    if rule == "strat_fold" and fold is not None:
        for name in ("test", "val", "train"):
            if int(fold) in [int(f) for f in splits.get("strat_fold", {}).get(name, [])]:
                return name
        return "train"
    if rule == "source" and src_split:
        mapped = _SOURCE_SPLIT_NAMES.get(str(src_split).lower())
        if mapped:
            return mapped
    return hash_split(namespace, patient_key(ref), splits.get("val", 0.1), splits.get("test", 0.1))


def assign_splits(entries: Sequence[tuple[RecordRef, str, str]], splits: dict) -> list[str]:
    """Splits for ``entries`` = [(ref, namespace, rule)], consistent per (namespace, patient)."""
    direct = [direct_split(ref, ns, rule, splits) for ref, ns, rule in entries]
    strongest: dict[tuple[str, str], str] = {}
    for (ref, ns, _), s in zip(entries, direct):
        k = (ns, patient_key(ref))
        if k not in strongest or ORDER[s] > ORDER[strongest[k]]:
            strongest[k] = s
    return [strongest[(ns, patient_key(ref))] for ref, ns, _ in entries]
