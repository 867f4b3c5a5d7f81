"""Any directory tree of WFDB records, cut into fixed-length windows; plus the WFDB reading
helpers that the PTB-XL and PhysioNet 2021 sources share.

Every read goes through ``wfdb.rdheader`` / ``wfdb.rdrecord`` (never by hand). Around them we
check what wfdb either guesses or reports with a bare exception:

* a record line without a sampling rate (WFDB silently assumes 250 Hz),
* why a read failed: malformed header, data file missing or shorter than the header says,
* header and data paths that lie outside the source root,
* leads whose units are not a voltage (uV and V are converted to mV).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import numpy as np
import wfdb

from ecginstruct.leads import normalise_lead_name
from ecginstruct.sources.base import (
    MIN_DURATION_S,
    check_fs,
    find_ref,
    make_record,
    safe_join,
    standardise,
)
from ecginstruct.types import (
    BadSignal,
    ConfigError,
    CorruptRecord,
    Demographics,
    ECGRecord,
    RecordError,
    RecordNotFound,
    RecordRef,
)

# Bytes per sample of the WFDB storage formats whose file size follows from the header.
_BYTES_PER_SAMPLE = {
    "8": 1.0,
    "16": 2.0,
    "61": 2.0,
    "80": 1.0,
    "160": 2.0,
    "24": 3.0,
    "32": 4.0,
    "212": 1.5,
    "310": 4 / 3,
    "311": 4 / 3,
}
_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3, "nv": 1e-6}


# --------------------------------------------------------------------------------------------
# shared WFDB helpers
# --------------------------------------------------------------------------------------------


def header_fs(hea: Path, *, source: str, record_id: str) -> float:
    """The sampling rate written on the record line, checked (wfdb would assume 250 Hz)."""
    try:
        lines = hea.read_text(encoding="latin-1").splitlines()
    except OSError as e:
        raise CorruptRecord(source, record_id, f"cannot read header {hea.name}: {e}") from None
    tokens = next((ln.split() for ln in lines if ln.strip() and not ln.startswith("#")), [])
    if len(tokens) < 3:
        raise BadSignal(source, record_id, f"sampling rate missing from header {hea.name}")
    return check_fs(tokens[2].split("/")[0], source=source, record_id=record_id)


def read_header(root: Path, rel: str, *, source: str, record_id: str):
    """``wfdb.rdheader`` of ``root/rel.hea`` (``rel``: record path without extension)."""
    hea = safe_join(root, rel + ".hea", source=source, record_id=record_id)
    if not hea.is_file():
        raise RecordNotFound(
            source, record_id, f"header file {rel}.hea is missing (not downloaded?)"
        )
    try:
        header = wfdb.rdheader(str(hea)[: -len(".hea")])
    except Exception as e:  # wfdb raises anything from HeaderSyntaxError to TypeError
        raise CorruptRecord(
            source, record_id, f"malformed header {rel}.hea ({type(e).__name__}: {e})"
        ) from None
    if not header.n_sig:
        raise CorruptRecord(source, record_id, f"header {rel}.hea declares no signals")
    return header


def _check_data_files(root: Path, rel: str, header, *, source: str, record_id: str) -> None:
    """Every data file exists inside the root and is at least as long as the header says."""
    if not hasattr(header, "file_name"):  # multi-segment: wfdb checks the segments itself
        return
    folder = posixpath.dirname(rel)
    per_file: dict[str, float] = {}
    for i, fname in enumerate(header.file_name):
        spf = (header.samps_per_frame or [1] * header.n_sig)[i] or 1
        bps = _BYTES_PER_SAMPLE.get(str(header.fmt[i]).split("x")[0])
        per_file[fname] = per_file.get(fname, 0.0) + (spf * bps if bps else float("nan"))
    for fname, frame_bytes in per_file.items():
        path = safe_join(root, posixpath.join(folder, fname), source=source, record_id=record_id)
        if not path.is_file():
            raise CorruptRecord(
                source, record_id, f"data file {fname} named in {rel}.hea is missing"
            )
        if header.sig_len and np.isfinite(frame_bytes):
            offsets = [
                (header.byte_offset or [0] * header.n_sig)[i] or 0
                for i, f in enumerate(header.file_name)
                if f == fname
            ]
            expected = int(np.ceil(frame_bytes * header.sig_len)) + max(offsets)
            size = path.stat().st_size
            if size < expected:
                raise CorruptRecord(
                    source,
                    record_id,
                    f"data file {fname} is truncated: {size} bytes, header implies {expected}",
                )


def _to_mv(units: list[str] | None, names: list[str], *, source: str, record_id: str):
    scale = np.ones(len(names))
    for i, name in enumerate(names):
        unit = str((units or ["mV"] * len(names))[i] or "mV").strip()
        if unit.lower() in _TO_MV:
            scale[i] = _TO_MV[unit.lower()]
        elif normalise_lead_name(name) is not None:
            raise BadSignal(source, record_id, f"lead {name} is in units {unit!r}, not a voltage")
    return scale


def read_signal(
    root: Path,
    rel: str,
    *,
    source: str,
    record_id: str,
    sampfrom: int = 0,
    sampto: int | None = None,
):
    """Read ``root/rel`` with wfdb: (channels (n_ch, n) in mV, channel names, fs, the
    ``wfdb.Record`` read). The header is parsed once, by ``rdrecord``; when that fails, the
    header and data files are examined to say why (malformed, missing, truncated)."""
    hea = safe_join(root, rel + ".hea", source=source, record_id=record_id)
    if not hea.is_file():
        raise RecordNotFound(
            source, record_id, f"header file {rel}.hea is missing (not downloaded?)"
        )
    try:
        rec = wfdb.rdrecord(str(hea)[: -len(".hea")], sampfrom=sampfrom, sampto=sampto)
    except Exception as e:  # wfdb/numpy raise ValueError, IndexError, OSError, TypeError...
        header = read_header(root, rel, source=source, record_id=record_id)
        _check_data_files(root, rel, header, source=source, record_id=record_id)
        raise CorruptRecord(
            source, record_id, f"cannot read the signal of {rel} ({type(e).__name__}: {e})"
        ) from None
    # wfdb assumes 250 Hz when the record line has no rate: read the line ourselves
    fs = header_fs(hea, source=source, record_id=record_id)
    if rec.p_signal is None or not rec.n_sig:
        raise CorruptRecord(source, record_id, f"{rel}: wfdb returned no physical signal")
    names = [str(n) for n in rec.sig_name]
    scale = _to_mv(rec.units, names, source=source, record_id=record_id)
    channels = rec.p_signal.T * scale[:, None]
    return channels, names, fs, rec


_AGE = re.compile(r"^\s*age\s*[:=]\s*(\S+)", re.IGNORECASE)
_SEX = re.compile(r"^\s*sex\s*[:=]\s*(\S+)", re.IGNORECASE)


def age_sex_from_comments(comments) -> Demographics:
    """Age and sex from header comments such as ``Age: 59`` / ``sex: female`` (else None)."""
    age = sex = None
    for c in comments or []:
        if m := _AGE.match(c):
            try:
                value = float(m.group(1).rstrip(","))
            except ValueError:
                value = float("nan")
            age = value if np.isfinite(value) and 0 <= value < 130 else None
        elif m := _SEX.match(c):
            s = m.group(1).rstrip(",").lower()
            sex = "M" if s in ("m", "male") else "F" if s in ("f", "female") else None
    return Demographics(age=age, sex=sex)


def check_root(root, source: str) -> Path:
    if root is None:
        raise ConfigError(f"{source}: a root folder is required")
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"{source}: root folder {root} does not exist")
    return root


# --------------------------------------------------------------------------------------------
# the source
# --------------------------------------------------------------------------------------------


class WFDBDirSource:
    """Every WFDB record (``.hea`` + data) under ``root``, cut into windows of ``window_s``.

    ``record_id`` is ``<record path relative to root>#w<index>``; windows start every ``step_s``
    seconds (default: ``window_s``, no overlap) and a tail shorter than a window is not used. A
    record shorter than one window gives one window of its full length (records under 2.5 s are
    listed and rejected at load, never dropped silently). ``patient_id`` is the record path, so
    windows of one record never land in different splits. The format has no labels.
    """

    name = "wfdb"

    def __init__(self, root=None, window_s: float = 10.0, step_s: float | None = None):
        self.root = check_root(root, self.name)
        self.window_s = float(window_s)
        self.step_s = float(step_s) if step_s is not None else self.window_s
        if self.window_s < MIN_DURATION_S:
            raise ConfigError(f"wfdb: window_s must be >= {MIN_DURATION_S} s (got {window_s})")
        if self.step_s <= 0:
            raise ConfigError(f"wfdb: step_s must be > 0 (got {step_s})")
        self._refs: list[RecordRef] | None = None

    def _record_paths(self) -> list[tuple[str, object]]:
        rels = sorted(p.relative_to(self.root).as_posix()[:-4] for p in self.root.rglob("*.hea"))
        headers = {}
        for rel in rels:
            try:
                headers[rel] = read_header(self.root, rel, source=self.name, record_id=rel)
            except RecordError:
                headers[rel] = None  # listed anyway: load() raises the typed error
        # Segments of multi-segment records are read through their master header, not alone.
        segments = {
            posixpath.join(posixpath.dirname(rel), seg)
            for rel, h in headers.items()
            if h is not None and hasattr(h, "seg_name")
            for seg in h.seg_name
            if seg != "~"
        }
        return [(rel, headers[rel]) for rel in rels if rel not in segments]

    def _windows(self, rel: str, header) -> list[tuple[int, int | None]]:
        try:
            hea = self.root / (rel + ".hea")
            fs = header_fs(hea, source=self.name, record_id=rel)
        except RecordError:
            return [(0, None)]
        n = header.sig_len if header is not None else None
        if not n:
            return [(0, None)]
        win = int(round(self.window_s * fs))
        step = max(1, int(round(self.step_s * fs)))
        if n < win:
            return [(0, n)]
        return [(s, s + win) for s in range(0, n - win + 1, step)]

    def refs(self) -> list[RecordRef]:
        """One ref per window; reads headers only (``wfdb.rdheader``), sorted by record path."""
        if self._refs is None:
            refs = []
            for rel, header in self._record_paths():
                n = getattr(header, "sig_len", None)
                for i, (start, stop) in enumerate(self._windows(rel, header)):
                    extra = {"record": rel, "window": i, "start": start, "stop": stop}
                    refs.append(
                        RecordRef(
                            self.name,
                            f"{rel}#w{i}",
                            patient_id=rel,
                            extra={**extra, "n_samples": n},
                        )
                    )
            self._refs = refs
        return list(self._refs)

    def load(self, ref: RecordRef) -> ECGRecord:
        if "record" not in ref.extra:
            ref = find_ref(self.refs(), ref.record_id, source=self.name)
        rel, start, stop = ref.extra["record"], int(ref.extra["start"]), ref.extra["stop"]
        rid = ref.record_id
        channels, names, fs, header = read_signal(
            self.root, rel, source=self.name, record_id=rid, sampfrom=start, sampto=stop
        )
        signal, fs, meta = standardise(channels, names, fs, source=self.name, record_id=rid)
        meta.update(
            {
                "record": rel,
                "window": int(ref.extra.get("window", 0)),
                "window_start_s": start / fs,
                "record_duration_s": n / fs if (n := ref.extra.get("n_samples")) else None,
            }
        )
        return make_record(
            source=self.name,
            record_id=rid,
            signal=signal,
            fs=fs,
            patient_id=ref.patient_id or rel,
            demographics=age_sex_from_comments(header.comments),
            meta=meta,
        )

    def load_id(self, record_id: str) -> ECGRecord:
        return self.load(find_ref(self.refs(), record_id, source=self.name))
