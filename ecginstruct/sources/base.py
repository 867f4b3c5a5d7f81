"""What every source shares: turning raw channels into a checked 12-lead ``ECGRecord``.

Sources read their own formats; they then call :func:`standardise` which puts the channels in the
standard order, converts to float32 mV and raises a typed :class:`RecordError` naming the record
for every kind of bad signal. Keeping those checks here means every source rejects the same
things for the same reasons.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ecginstruct.leads import is_known_extra, normalise_lead_name
from ecginstruct.types import STANDARD_LEADS, BadSignal, RecordNotFound, RecordRef, UnsafePath

# Sampling rates outside this range are not 12-lead diagnostic ECGs (or a broken header).
MIN_FS = 50.0
MAX_FS = 20000.0
# A lead whose peak-to-peak amplitude is below this (mV) over the whole record carries no signal.
FLAT_PTP_MV = 0.01
# Records shorter than this cannot fill a 2.5 s panel of a standard page.
MIN_DURATION_S = 2.5


def safe_join(root: Path, rel: str, *, source: str, record_id: str) -> Path:
    """``root / rel``, refusing any path (from an index file) that escapes ``root``."""
    root = Path(root).resolve()
    if os.path.isabs(rel):
        raise UnsafePath(source, record_id, f"path {rel!r} in the index is absolute")
    p = (root / rel).resolve()
    try:
        p.relative_to(root)
    except ValueError:
        raise UnsafePath(
            source, record_id, f"path {rel!r} in the index escapes the source root {root}"
        ) from None
    return p


def check_fs(fs, *, source: str, record_id: str) -> float:
    try:
        fs = float(fs)
    except (TypeError, ValueError):
        raise BadSignal(source, record_id, f"sampling rate {fs!r} is not a number") from None
    if not np.isfinite(fs) or fs <= 0:
        raise BadSignal(source, record_id, f"sampling rate missing or invalid ({fs!r})")
    if not (MIN_FS <= fs <= MAX_FS):
        raise BadSignal(
            source, record_id, f"sampling rate {fs:g} Hz is outside [{MIN_FS:g}, {MAX_FS:g}] Hz"
        )
    return fs


def standardise(
    channels: np.ndarray,
    names: Sequence[str],
    fs,
    *,
    source: str,
    record_id: str,
    channels_last: bool = False,
) -> tuple[np.ndarray, float, dict]:
    """Reorder channels to :data:`STANDARD_LEADS`, check them and return (signal, fs, meta).

    ``channels`` is (n_channels, n_samples) in mV (or (n_samples, n_channels) with
    ``channels_last``). Channels that are not one of the 12 leads but are known (Frank leads,
    right-sided leads) go to ``meta["extra_channels"]``; unknown ones are dropped and listed in
    ``meta["dropped_channels"]``. Raises :class:`BadSignal` for: absurd sampling rate, a missing
    lead, a lead name that maps to nothing when fewer than 12 leads are found, NaN/inf samples, a
    flat lead, a record too short for a page.
    """
    fs = check_fs(fs, source=source, record_id=record_id)
    x = np.asarray(channels)
    if x.ndim != 2:
        raise BadSignal(source, record_id, f"signal has {x.ndim} dimensions, expected 2")
    if channels_last:
        x = x.T
    if x.shape[0] != len(names):
        raise BadSignal(source, record_id, f"{x.shape[0]} channels but {len(names)} channel names")
    index: dict[str, int] = {}
    extra: dict[str, np.ndarray] = {}
    unknown: list[str] = []
    for i, name in enumerate(names):
        std = normalise_lead_name(name)
        if std is None:
            if is_known_extra(name):
                extra[str(name)] = x[i].astype(np.float32)
            else:
                unknown.append(str(name))
            continue
        if std in index:
            raise BadSignal(source, record_id, f"lead {std} appears twice (channel {name!r})")
        index[std] = i
    missing = [lead for lead in STANDARD_LEADS if lead not in index]
    if missing:
        why = f"missing lead(s) {', '.join(missing)}"
        if unknown:
            why += f"; channel name(s) {', '.join(map(repr, unknown))} map to no standard lead"
        raise BadSignal(source, record_id, why)
    sig = np.ascontiguousarray(x[[index[lead] for lead in STANDARD_LEADS]], dtype=np.float32)
    if sig.shape[1] / fs < MIN_DURATION_S:
        raise BadSignal(
            source,
            record_id,
            f"record is {sig.shape[1] / fs:.2f} s long, shorter than {MIN_DURATION_S} s",
        )
    bad = ~np.isfinite(sig)
    if bad.any():
        leads = [STANDARD_LEADS[i] for i in np.flatnonzero(bad.any(axis=1))]
        raise BadSignal(
            source,
            record_id,
            f"{int(bad.sum())} NaN/inf sample(s) in lead(s) {', '.join(leads)}",
        )
    ptp = sig.max(axis=1) - sig.min(axis=1)
    flat = [STANDARD_LEADS[i] for i in np.flatnonzero(ptp < FLAT_PTP_MV)]
    if flat:
        raise BadSignal(
            source,
            record_id,
            f"flat lead(s) {', '.join(flat)} (peak-to-peak < {FLAT_PTP_MV} mV)",
        )
    meta: dict = {}
    if extra:
        meta["extra_channels"] = {k: v.tolist() for k, v in extra.items()}
    if unknown:
        meta["dropped_channels"] = unknown
    return sig, fs, meta


def find_ref(refs, record_id: str, *, source: str) -> RecordRef:
    """The ref with this id, or :class:`RecordNotFound` naming the source and id."""
    for r in refs:
        if r.record_id == str(record_id):
            return r
    raise RecordNotFound(source, str(record_id), "record id not in the source's index")


def make_record(
    *,
    source: str,
    record_id: str,
    signal: np.ndarray,
    fs: float,
    source_labels: dict | None = None,
    labels: tuple[str, ...] | None = None,
    **fields,
):
    """Build an :class:`ECGRecord`, filling ``labels`` from ``source_labels`` through
    :func:`ecginstruct.labels.harmonise` unless given. Source codes that map to nothing are kept
    raw in ``source_labels`` and listed in ``meta["unmapped_labels"]`` (counted, never dropped)."""
    from ecginstruct.labels import harmonise
    from ecginstruct.types import ECGRecord

    source_labels = dict(source_labels or {})
    meta = dict(fields.pop("meta", {}) or {})
    if labels is None:
        labels, unmapped = harmonise(source, source_labels)
        if unmapped:
            meta["unmapped_labels"] = list(unmapped)
    return ECGRecord(
        record_id=str(record_id),
        source=source,
        signal=signal,
        fs=float(fs),
        source_labels=source_labels,
        labels=tuple(labels),
        meta=meta,
        **fields,
    )
