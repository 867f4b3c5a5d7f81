"""MIMIC-IV-ECG (PhysioNet): 500 Hz, 10 s, 12-lead WFDB records with machine reports.

Layout (as published)::

    record_list.csv            subject_id, study_id, file_name, ecg_time, path
    machine_measurements.csv   subject_id, study_id, cart_id, ecg_time, report_0..report_17,
                               bandwidth, filtering, rr_interval, p_onset, p_end, qrs_onset,
                               qrs_end, t_end, p_axis, qrs_axis, t_axis
    files/pNNNN/pNNNNNNNN/sNNNNNNNN/NNNNNNNN.hea/.dat

``record_id`` is the study id, ``patient_id`` the subject id. The machine report lines become
``source_labels`` (statement -> None; the labels package maps them with phrase rules) and a fluent
``report``; the machine's interval onsets give the measurements. ``ecg_time`` and ``cart_id`` are
never carried onto records: they are dates and device identifiers, not fit for a page.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import wfdb

from ecginstruct.sources.base import find_ref, make_record, safe_join, standardise
from ecginstruct.types import (
    ConfigError,
    CorruptRecord,
    ECGRecord,
    Measurements,
    RecordNotFound,
    RecordRef,
)

NAME = "mimic_iv_ecg"
# MIMIC writes 29999 where the machine gave no value for an onset/offset or an axis.
MISSING_SENTINEL = 29999
REPORT_COLUMNS = tuple(f"report_{i}" for i in range(18))
_INDEX_COLUMNS = ("subject_id", "study_id", "path")


def _num(value) -> float | None:
    """A finite number, or None for blanks, NaN and MIMIC's 29999 sentinel."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(x) or x == MISSING_SENTINEL:
        return None
    return x


def _diff(end: float | None, start: float | None) -> float | None:
    """A positive duration end - start in ms, None when either end is unknown or it is absurd."""
    if end is None or start is None or end <= start:
        return None
    return end - start


def measurements_from_row(row: dict) -> Measurements:
    """Global measurements from one ``machine_measurements.csv`` row (onsets are in ms)."""
    rr = _num(row.get("rr_interval"))
    if rr is not None and rr <= 0:
        rr = None
    p_on, qrs_on = _num(row.get("p_onset")), _num(row.get("qrs_onset"))
    qrs_end, t_end = _num(row.get("qrs_end")), _num(row.get("t_end"))
    qt = _diff(t_end, qrs_on)
    return Measurements(
        hr_bpm=round(60000.0 / rr, 1) if rr else None,
        rr_ms=rr,
        pr_ms=_diff(qrs_on, p_on),
        qrs_ms=_diff(qrs_end, qrs_on),
        qt_ms=qt,
        # Bazett: QTc = QT / sqrt(RR in s)
        qtc_ms=round(qt / math.sqrt(rr / 1000.0), 1) if qt and rr else None,
        p_axis_deg=_num(row.get("p_axis")),
        qrs_axis_deg=_num(row.get("qrs_axis")),
        t_axis_deg=_num(row.get("t_axis")),
        origin="source",
    )


# A report line continues the previous statement when it starts with one of these words ...
_CONTINUES = re.compile(
    r"^(and|or|with|but|versus|vs\.?|probably|possibly|consider|due to)\b|^(\.\.\.|--)",
    re.IGNORECASE,
)
# ... or with a lower-case letter, or when the previous line was left open.
_OPEN_END = re.compile(r"(,|-|&|\band|\bor|\bwith|\bversus|\bvs\.?)$", re.IGNORECASE)
# Abbreviations kept upper case when an all-caps line is put in sentence case.
_ABBREV = {
    "ECG", "EKG", "ST", "ST-T", "QRS", "QT", "QTC", "PR", "AV", "A-V", "MI", "LVH", "RVH", "RBBB",
    "LBBB", "IVCD", "LAD", "RAD", "LAFB", "LPFB", "PVC", "PVCS", "PAC", "PACS", "SVT", "AF", "WPW",
    "I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6", "RV", "LV",
}  # fmt: skip


def _uncapitalise(line: str) -> str:
    """Some carts shout ("ABNORMAL ECG"): lower-case all-caps lines but their abbreviations."""
    if not line.isupper():
        return line
    return " ".join(w if w.strip(".,;:*()").upper() in _ABBREV else w.lower() for w in line.split())


def report_lines(row: dict) -> list[str]:
    """The non-empty machine statements of a row, in order, whitespace-normalised."""
    out = []
    for col in REPORT_COLUMNS:
        v = row.get(col)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        v = " ".join(str(v).split())
        if v:
            out.append(v)
    return out


def fluent_report(lines: list[str]) -> str | None:
    """Machine statements joined into text: continuation lines merged, sentence case, periods.

    ``["Sinus rhythm", "Possible right atrial abnormality", "Borderline ECG"]`` becomes
    ``"Sinus rhythm. Possible right atrial abnormality. Borderline ECG."``
    """
    sentences: list[str] = []
    for raw in lines:
        raw = raw.strip(" *")
        if not raw:
            continue
        line = _uncapitalise(raw)
        continues = _CONTINUES.match(line) or raw[:1].islower()
        if sentences and (continues or _OPEN_END.search(sentences[-1])):
            sentences[-1] = f"{sentences[-1]} {line}"
        else:
            sentences.append(line)
    if not sentences:
        return None
    text = []
    for s in sentences:
        s = s.rstrip(" ,;-&")
        s = s[:1].upper() + s[1:]
        text.append(s if s.endswith((".", "!", "?")) else s + ".")
    return " ".join(text)


class MimicIVECGSource:
    """MIMIC-IV-ECG on local disk: ``MimicIVECGSource("/data/mimic-iv-ecg/1.0")``."""

    name = NAME

    def __init__(self, root):
        if root is None:
            raise ConfigError("source mimic_iv_ecg needs root= (the MIMIC-IV-ECG folder)")
        self.root = Path(root)
        self._refs: list[RecordRef] | None = None
        self._by_id: dict[str, RecordRef] | None = None
        self._measurements: pd.DataFrame | None = None

    def __getstate__(self) -> dict:
        # Ray workers re-read the index files rather than receive them pickled.
        return {**self.__dict__, "_refs": None, "_by_id": None, "_measurements": None}

    # -- index ---------------------------------------------------------------------------------

    def _read_csv(self, name: str) -> pd.DataFrame:
        path = self.root / name
        if not path.is_file():
            raise RecordNotFound(NAME, "-", f"index file {path} not found")
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False)
        except (OSError, ValueError, pd.errors.ParserError) as e:
            raise CorruptRecord(NAME, "-", f"cannot read {path}: {e}") from e

    def refs(self) -> list[RecordRef]:
        """One ref per ``record_list.csv`` row, sorted by study id.

        A malformed row (missing or non-numeric ids, no path) is not dropped: it becomes a ref
        named ``index-row-<line>`` whose ``load`` raises :class:`CorruptRecord` saying why.
        """
        if self._refs is None:
            df = self._read_csv("record_list.csv")
            missing = [c for c in _INDEX_COLUMNS if c not in df.columns]
            if missing:
                raise CorruptRecord(
                    NAME, "-", f"record_list.csv lacks column(s) {', '.join(missing)}"
                )
            good: list[tuple[int, RecordRef]] = []
            bad: list[RecordRef] = []
            for i, row in enumerate(df.to_dict("records")):
                line = i + 2  # 1-based, after the header
                subject, study, path = (row[c].strip() for c in _INDEX_COLUMNS)
                if study.isdigit() and subject.isdigit() and path:
                    ref = RecordRef(NAME, study, subject, {"path": path})
                    good.append((int(study), ref))
                else:
                    why = f"malformed record_list.csv row {line}: {row!r}"
                    bad.append(RecordRef(NAME, f"index-row-{line}", None, {"error": why}))
            good.sort(key=lambda t: t[0])
            self._refs = [r for _, r in good] + bad
        return list(self._refs)

    def load_id(self, record_id) -> ECGRecord:
        # a dict, not base.find_ref's linear scan: ECG-QA calls this once per QA item
        if self._by_id is None:
            self._by_id = {r.record_id: r for r in self.refs()}
        ref = self._by_id.get(str(record_id))
        return self.load(ref or find_ref((), str(record_id), source=NAME))

    def machine_row(self, study_id: str) -> dict | None:
        """The ``machine_measurements.csv`` row of a study (file read once, then indexed)."""
        if self._measurements is None:
            if not (self.root / "machine_measurements.csv").is_file():
                self._measurements = pd.DataFrame(index=pd.Index([], dtype=str))
            else:
                df = self._read_csv("machine_measurements.csv")
                if "study_id" not in df.columns:
                    raise CorruptRecord(NAME, "-", "machine_measurements.csv has no study_id")
                sid = df["study_id"].str.strip()
                keep = ~sid.duplicated(keep="first").to_numpy()
                self._measurements = df[keep].set_index(sid[keep].to_numpy())
        df = self._measurements
        return df.loc[str(study_id)].to_dict() if str(study_id) in df.index else None

    # -- records -------------------------------------------------------------------------------

    def load(self, ref: RecordRef) -> ECGRecord:
        rid = ref.record_id
        if "error" in ref.extra:
            raise CorruptRecord(NAME, rid, ref.extra["error"])
        base = safe_join(self.root, ref.extra["path"], source=NAME, record_id=rid)
        if not base.with_suffix(".hea").is_file():
            raise RecordNotFound(NAME, rid, f"header {base}.hea not found")
        try:
            rec = wfdb.rdrecord(str(base))
        except Exception as e:  # wfdb raises bare ValueError/IndexError/OSError on bad files
            raise CorruptRecord(NAME, rid, f"cannot read WFDB record {base}: {e}") from e
        if rec.p_signal is None:
            raise CorruptRecord(NAME, rid, f"WFDB record {base} has no physical signal")
        signal, fs, meta = standardise(
            rec.p_signal, rec.sig_name, rec.fs, source=NAME, record_id=rid, channels_last=True
        )
        row = self.machine_row(rid)
        lines = report_lines(row) if row else []
        if row:
            meta["bandwidth"] = row.get("bandwidth") or None
            meta["filtering"] = row.get("filtering") or None
            meta["machine_report_lines"] = lines
            measurements = measurements_from_row(row)
        else:
            meta["note"] = "no machine_measurements.csv row for this study"
            measurements = Measurements()
        report = fluent_report(lines)
        return make_record(
            source=NAME,
            record_id=rid,
            signal=signal,
            fs=fs,
            patient_id=ref.patient_id,
            source_labels={line: None for line in lines},
            report=report,
            report_language="en" if report else None,
            measurements=measurements,
            meta=meta,
        )
