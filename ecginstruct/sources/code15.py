"""CODE-15% (Zenodo 10.5281/zenodo.4916206): 345,779 Brazilian telehealth ECGs in HDF5.

Layout::

    exams.csv            exam_id, age, is_male, nn_predicted_age, 1dAVb, RBBB, LBBB, SB, ST, AF,
                         patient_id, death, timey, normal_ecg, trace_file
    exams_partN.hdf5     tracings (N, 4096, 12) float32, exam_id (N,)

Tracings are 400 Hz, zero-padded (centred) to 4096 samples; leads DI, DII, DIII, AVR, AVL, AVF,
V1..V6. Units: the maintainers' own conversion to WFDB for the PhysioNet Challenge 2025
(``prepare_code15_data.py``) writes the values unchanged with unit "mV"; the older README wording
"scale 1e-4V" contradicts its own "if in V multiply by 1000" -- so values are read as mV, and
``scale=`` is there to override (see docs/sources_more.md).

``refs()`` reads exams.csv only; HDF5 files are opened lazily on ``load``, the exam_id -> row index
of each file is built once, and ``close()`` / pickling drop the open handles (Ray workers reopen).
``death`` and ``timey`` are outcome data and never reach a record.
"""

from __future__ import annotations

import math
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from ecginstruct.sources.base import find_ref, make_record, safe_join, standardise
from ecginstruct.types import (
    BadLabel,
    BadSignal,
    ConfigError,
    CorruptRecord,
    Demographics,
    ECGRecord,
    RecordNotFound,
    RecordRef,
)

NAME = "code15"
FS = 400.0
# File order of the 12 leads (DI/DII/DIII are I/II/III in Portuguese notation).
FILE_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
LABEL_COLUMNS = ("1dAVb", "RBBB", "LBBB", "SB", "ST", "AF", "normal_ecg")
_TRUE = {"1", "1.0", "true"}
_FALSE = {"0", "0.0", "false"}


def parse_flag(value, *, column: str, record_id: str) -> bool:
    """A 0/1/True/False cell of exams.csv; anything else is a :class:`BadLabel`."""
    v = str(value).strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise BadLabel(NAME, record_id, f"exams.csv column {column} has value {value!r}, not 0/1")


def signal_extent(tracing: np.ndarray) -> tuple[int, int]:
    """(start, end) of the samples that are not zero padding in a (samples, leads) tracing.

    CODE-15% centres short records in the 4096-sample window; a sample belongs to the record when
    any lead is non-zero. (0, 0) when the tracing is all zeros.
    """
    nonzero = np.flatnonzero(np.any(tracing != 0, axis=1))
    if nonzero.size == 0:
        return 0, 0
    return int(nonzero[0]), int(nonzero[-1]) + 1


class Code15Source:
    """CODE-15% on local disk: ``Code15Source("/data/code15")``.

    ``scale`` multiplies the stored values to get mV (1.0: they are mV already).
    """

    name = NAME

    def __init__(self, root, *, scale: float = 1.0):
        if root is None:
            raise ConfigError("source code15 needs root= (the folder with exams.csv)")
        self.root = Path(root)
        self.scale = float(scale)
        self._df: pd.DataFrame | None = None
        self._bad: list[RecordRef] = []
        self._refs: list[RecordRef] | None = None
        self._by_id: dict[str, RecordRef] | None = None
        self._files: dict[Path, h5py.File] = {}
        self._row_of: dict[Path, dict[int, int]] = {}

    # -- pickling / closing: HDF5 handles do not cross processes ------------------------------

    def __getstate__(self) -> dict:
        # Workers get no open handles and re-read the index themselves (cheaper than pickling it).
        state = self.__dict__.copy()
        state.update(_files={}, _row_of={}, _df=None, _bad=[], _refs=None, _by_id=None)
        return state

    def close(self) -> None:
        """Close the open HDF5 files (they reopen on the next ``load``)."""
        for f in self._files.values():
            try:
                f.close()
            except Exception:  # closing a half-broken file must not mask the real error
                pass
        self._files.clear()

    def __enter__(self) -> Code15Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- index ---------------------------------------------------------------------------------

    def _table(self) -> pd.DataFrame:
        """exams.csv (all cells as text) indexed by exam_id; read once per process."""
        if self._df is None:
            path = self.root / "exams.csv"
            if not path.is_file():
                raise RecordNotFound(NAME, "-", f"index file {path} not found")
            try:
                df = pd.read_csv(path, dtype=str, keep_default_na=False)
            except (OSError, ValueError, pd.errors.ParserError) as e:
                raise CorruptRecord(NAME, "-", f"cannot read {path}: {e}") from e
            need = ("exam_id", "patient_id", "trace_file", *LABEL_COLUMNS)
            missing = [c for c in need if c not in df.columns]
            if missing:
                raise CorruptRecord(NAME, "-", f"exams.csv lacks column(s) {', '.join(missing)}")
            eid = df["exam_id"].str.strip()
            digits = eid.str.fullmatch(r"\d+")
            dup = eid.duplicated(keep="first")
            ok = digits & ~dup
            self._bad = [
                RecordRef(
                    NAME,
                    f"index-row-{i + 2}",
                    None,
                    {
                        "error": f"{'duplicate' if d else 'malformed'} exam_id in exams.csv row "
                        f"{i + 2}: {df.iloc[i].to_dict()!r}"
                    },
                )
                for i, d in zip(np.flatnonzero(~ok.to_numpy()), dup[~ok])
            ]
            self._df = df[ok.to_numpy()].set_index(eid[ok].to_numpy())
        return self._df

    def _row(self, rid: str) -> dict | None:
        df = self._table()
        return df.loc[rid].to_dict() if rid in df.index else None

    def refs(self) -> list[RecordRef]:
        """One ref per exams.csv row, sorted by exam_id (malformed rows last, see ``load``)."""
        if self._refs is None:
            df = self._table()
            order = np.argsort(df.index.astype(np.int64), kind="stable")
            ids, pids = df.index.to_numpy()[order], df["patient_id"].to_numpy()[order]
            files = df["trace_file"].to_numpy()[order]
            self._refs = [
                RecordRef(NAME, str(e), str(p).strip() or None, {"trace_file": str(f).strip()})
                for e, p, f in zip(ids, pids, files)
            ] + list(self._bad)
        return list(self._refs)

    def load_id(self, record_id) -> ECGRecord:
        # a dict, not base.find_ref's linear scan (large indexes)
        if self._by_id is None:
            self._by_id = {r.record_id: r for r in self.refs()}
        ref = self._by_id.get(str(record_id))
        return self.load(ref or find_ref((), str(record_id), source=NAME))

    # -- HDF5 ----------------------------------------------------------------------------------

    def _open(self, path: Path, rid: str) -> h5py.File:
        f = self._files.get(path)
        if f is not None and f.id.valid:
            return f
        if not path.is_file():
            raise RecordNotFound(NAME, rid, f"HDF5 file {path} not found")
        try:
            f = h5py.File(path, "r")
            ids = np.asarray(f["exam_id"][:]).astype(np.int64).ravel()
            shape = f["tracings"].shape
        except (OSError, KeyError, ValueError, TypeError) as e:
            raise CorruptRecord(NAME, rid, f"cannot read HDF5 file {path}: {e}") from e
        if len(shape) != 3 or shape[0] != len(ids) or shape[2] != len(FILE_LEADS):
            f.close()
            raise CorruptRecord(
                NAME, rid, f"{path}: tracings has shape {shape}, expected (N, samples, 12)"
            )
        self._files[path] = f
        if path not in self._row_of:
            self._row_of[path] = {int(e): i for i, e in enumerate(ids)}
        return f

    def _locate(self, rid: str, trace_file: str) -> tuple[Path, int]:
        """(HDF5 path, row) of an exam; without a trace_file, search the exams_part files."""
        eid = int(rid)
        if trace_file:
            candidates = [safe_join(self.root, trace_file, source=NAME, record_id=rid)]
        else:
            candidates = sorted(self.root.glob("exams_part*.hdf5"))
        for path in candidates:
            self._open(path, rid)
            row = self._row_of[path].get(eid)
            if row is not None:
                return path, row
        where = trace_file or "any exams_part*.hdf5 file"
        raise RecordNotFound(NAME, rid, f"exam_id {eid} not in the exam_id dataset of {where}")

    # -- records -------------------------------------------------------------------------------

    def load(self, ref: RecordRef) -> ECGRecord:
        rid = ref.record_id
        if "error" in ref.extra:
            raise CorruptRecord(NAME, rid, ref.extra["error"])
        row = self._row(rid)
        if row is None:
            raise RecordNotFound(NAME, rid, "exam_id not in exams.csv")
        labels = {c: 100.0 for c in LABEL_COLUMNS if parse_flag(row[c], column=c, record_id=rid)}
        path, i = self._locate(rid, row.get("trace_file", "").strip())
        try:
            tracing = np.asarray(self._files[path]["tracings"][i], dtype=np.float32)
        except (OSError, ValueError) as e:
            raise CorruptRecord(NAME, rid, f"cannot read row {i} of {path}: {e}") from e
        start, end = signal_extent(tracing)
        if end == start:
            raise BadSignal(NAME, rid, f"row {i} of {path} is all zeros (padding only)")
        signal, fs, meta = standardise(
            tracing[start:end] * self.scale,
            FILE_LEADS,
            FS,
            source=NAME,
            record_id=rid,
            channels_last=True,
        )
        meta.update(trace_file=path.name, hdf5_row=i, padding=[start, tracing.shape[0] - end])
        return make_record(
            source=NAME,
            record_id=rid,
            signal=signal,
            fs=fs,
            patient_id=ref.patient_id or (row.get("patient_id") or None),
            source_labels=labels,
            demographics=_demographics(row),
            meta=meta,
        )


def _demographics(row: dict) -> Demographics:
    try:
        age = float(row.get("age", ""))
    except ValueError:
        age = None
    if age is not None and not (math.isfinite(age) and 0 <= age < 130):
        age = None
    male = str(row.get("is_male", "")).strip().lower()
    sex = "M" if male in _TRUE else "F" if male in _FALSE else None
    return Demographics(age=age, sex=sex)
