"""CPSC 2018 (China Physiological Signal Challenge): 6,877 12-lead ECGs, 500 Hz, 6-60 s.

Layout of the original release::

    REFERENCE.csv                Recording, First_label, Second_label, Third_label
    [TrainingSetN/]A0001.mat     struct ECG: sex ('Male'/'Female'), age, data (12 x N, mV)

Classes 1..9 = Normal, AF, I-AVB, LBBB, RBBB, PAC, PVC, STD, STE. Lead order in ``data``:
I II III aVR aVL aVF V1..V6. ``record_id`` is the file stem (``A0001``); a ``.mat`` file without a
REFERENCE.csv row still loads, unlabelled (``meta["note"]`` says so). The ``.mat`` files carry no
patient id, so ``patient_id`` is None.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.io

from ecginstruct.sources.base import find_ref, make_record, safe_join, standardise
from ecginstruct.types import (
    BadLabel,
    ConfigError,
    CorruptRecord,
    Demographics,
    ECGRecord,
    RecordNotFound,
    RecordRef,
)

NAME = "cpsc2018"
FS = 500.0
FILE_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
CLASSES = {
    1: "Normal",
    2: "AF",
    3: "I-AVB",
    4: "LBBB",
    5: "RBBB",
    6: "PAC",
    7: "PVC",
    8: "STD",
    9: "STE",
}
LABEL_COLUMNS = ("First_label", "Second_label", "Third_label")


def parse_labels(row: dict, record_id: str) -> dict[str, float]:
    """``{abbreviation: 100.0}`` for the classes of a REFERENCE.csv row (blank cells skipped)."""
    out: dict[str, float] = {}
    for col in LABEL_COLUMNS:
        cell = str(row.get(col, "") or "").strip()
        if not cell:
            continue
        try:
            x = float(cell)
        except ValueError:
            x = math.nan
        if not (x.is_integer() and int(x) in CLASSES):
            raise BadLabel(
                NAME, record_id, f"REFERENCE.csv {col} is {cell!r}, not a class number 1..9"
            )
        out[CLASSES[int(x)]] = 100.0
    return out


def _field(struct, name: str):
    try:
        return struct[name]
    except (KeyError, ValueError, IndexError):
        return None


def _scalar(x):
    """The single value inside loadmat's nested object arrays (None when empty)."""
    while isinstance(x, np.ndarray):
        if x.size == 0:
            return None
        x = x.ravel()[0]
    return x


class CPSC2018Source:
    """CPSC 2018 on local disk: ``CPSC2018Source("/data/cpsc2018")`` (folder with REFERENCE.csv
    and the ``.mat`` files, directly or in sub-folders)."""

    name = NAME

    def __init__(self, root, *, reference: str = "REFERENCE.csv"):
        if root is None:
            raise ConfigError("source cpsc2018 needs root= (the folder with the .mat files)")
        self.root = Path(root)
        self.reference = reference
        self._labels: dict[str, dict] | None = None
        self._refs: list[RecordRef] | None = None
        self._by_id: dict[str, RecordRef] | None = None

    def __getstate__(self) -> dict:
        # Ray workers re-read the index rather than receive it pickled.
        return {**self.__dict__, "_labels": None, "_refs": None, "_by_id": None}

    def reference_rows(self) -> dict[str, dict]:
        """REFERENCE.csv as ``{Recording: row}`` (empty when the file is absent)."""
        if self._labels is None:
            path = self.root / self.reference
            rows: dict[str, dict] = {}
            if path.is_file():
                try:
                    df = pd.read_csv(path, dtype=str, keep_default_na=False)
                except (OSError, ValueError, pd.errors.ParserError) as e:
                    raise CorruptRecord(NAME, "-", f"cannot read {path}: {e}") from e
                if "Recording" not in df.columns or "First_label" not in df.columns:
                    raise CorruptRecord(NAME, "-", f"{path} lacks Recording/First_label columns")
                for row in df.to_dict("records"):
                    rows[row["Recording"].strip()] = row
            self._labels = rows
        return self._labels

    def refs(self) -> list[RecordRef]:
        """The ``.mat`` files under root plus REFERENCE.csv rows, sorted by record name.

        A REFERENCE row without a file becomes a ref whose ``load`` raises RecordNotFound; two
        files with the same name give a ref whose ``load`` raises CorruptRecord.
        """
        if self._refs is None:
            files: dict[str, list[str]] = {}
            for p in sorted(self.root.rglob("*.mat")):
                files.setdefault(p.stem, []).append(p.relative_to(self.root).as_posix())
            names = sorted(set(files) | set(self.reference_rows()))
            refs = []
            for name in names:
                paths = files.get(name, [])
                extra: dict = {"path": paths[0]} if len(paths) == 1 else {}
                if len(paths) > 1:
                    extra["error"] = f"record name found in several files: {', '.join(paths)}"
                refs.append(RecordRef(NAME, name, None, extra))
            self._refs = refs
        return list(self._refs)

    def load_id(self, record_id) -> ECGRecord:
        # a dict, not base.find_ref's linear scan (large indexes)
        if self._by_id is None:
            self._by_id = {r.record_id: r for r in self.refs()}
        ref = self._by_id.get(str(record_id))
        return self.load(ref or find_ref((), str(record_id), source=NAME))

    def load(self, ref: RecordRef) -> ECGRecord:
        rid = ref.record_id
        if "error" in ref.extra:
            raise CorruptRecord(NAME, rid, ref.extra["error"])
        if "path" not in ref.extra:
            raise RecordNotFound(NAME, rid, "in REFERENCE.csv but no .mat file under the root")
        row = self.reference_rows().get(rid)
        labels = parse_labels(row, rid) if row is not None else {}
        path = safe_join(self.root, ref.extra["path"], source=NAME, record_id=rid)
        if not path.is_file():
            raise RecordNotFound(NAME, rid, f"file {path} not found")
        try:
            ecg = scipy.io.loadmat(path)["ECG"][0, 0]
        except Exception as e:  # loadmat raises ValueError/TypeError/OSError/KeyError...
            raise CorruptRecord(NAME, rid, f"cannot read {path} as a CPSC 2018 .mat: {e}") from e
        data = _field(ecg, "data")
        if data is None:
            raise CorruptRecord(NAME, rid, f"{path}: struct ECG has no 'data' field")
        try:
            data = np.asarray(data, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise CorruptRecord(NAME, rid, f"{path}: 'data' is not numeric: {e}") from e
        signal, fs, meta = standardise(data, FILE_LEADS, FS, source=NAME, record_id=rid)
        if row is None:
            meta["note"] = "no REFERENCE.csv row: record is unlabelled"
        return make_record(
            source=NAME,
            record_id=rid,
            signal=signal,
            fs=fs,
            source_labels=labels,
            demographics=_demographics(ecg),
            meta=meta,
        )


def _demographics(ecg) -> Demographics:
    age = _scalar(_field(ecg, "age"))
    try:
        age = float(age)
    except (TypeError, ValueError):
        age = None
    if age is not None and not (math.isfinite(age) and 0 <= age < 130):
        age = None
    sex = str(_scalar(_field(ecg, "sex")) or "").strip().lower()
    return Demographics(age=age, sex={"male": "M", "female": "F"}.get(sex))
