"""Global ECG measurements for feature questions: HR, RR, PR, QRS, QT/QTc and QRS axis.

:func:`ensure_measurements` keeps every value the source gave (MIMIC machine measurements,
synthetic ground truth) and computes the missing ones from the signal with neurokit2:

* R peaks (``nk.ecg_peaks``) on lead II, falling back to other leads when II gives no beats;
  HR from the mean RR interval;
* QRS onset and offset per beat from the slope envelope of the eight independent leads (see
  :func:`_qrs_bounds`: neurokit2's wavelet QRS onsets are unreliable on 12-lead data);
* P onsets and T offsets with ``nk.ecg_delineate`` (wavelet method) on eight leads, pooled over
  leads and beats; PR left unknown when it wanders from beat to beat (no bound P waves);
* QRS axis from the net QRS area in leads I and aVF (``atan2(aVF, I)``), mean over beats;
* QTc with Bazett's formula (QT / sqrt(RR in s)), as the machine measurements use.

neurokit2's defaults are tuned for >= 250 Hz: lower rates (PTB-XL's 100 Hz records) and rates
above 1000 Hz are resampled to 500 Hz first (noted in ``meta["measurement_notes"]``).
``meta["measurement_origin"]`` says per field where the number came from.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly

from ecginstruct.types import BadSignal, ECGRecord, Measurements

# Rhythms with no P wave bound to the QRS: a PR interval is undefined.
NO_PR_LABELS = frozenset({"AFIB", "AFLT"})

FIELDS = ("hr_bpm", "rr_ms", "pr_ms", "qrs_ms", "qt_ms", "qtc_ms", "qrs_axis_deg")
WORK_FS = 500.0
MIN_DELINEATE_FS, MAX_DELINEATE_FS = 250.0, 1000.0
# Leads tried for R peaks, in order; the first with a plausible beat series wins.
PEAK_LEADS = ("II", "I", "V5", "V6", "aVF", "V4", "III", "V2", "V3", "V1", "aVL", "aVR")
# Leads delineated for P onsets and T offsets.
DELINEATE_LEADS = ("II", "I", "V5", "V2", "aVF", "V4", "V6", "V1")
# Interquartile range (ms) of the per-beat PR above which P waves are not bound to the QRS.
MAX_PR_SPREAD_MS = 40.0
# The eight independent leads (III, aVR, aVL, aVF are sums of I and II): the QRS slope envelope.
INDEPENDENT_LEADS = ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6")
# Plausible ranges (ms); values outside are delineation failures, not findings.
PLAUSIBLE = {"rr": (200.0, 3000.0), "pr": (60.0, 450.0), "qrs": (40.0, 250.0), "qt": (180.0, 750.0)}


def _resampled(signal: np.ndarray, fs: float) -> tuple[np.ndarray, float, str | None]:
    if MIN_DELINEATE_FS <= fs <= MAX_DELINEATE_FS:
        return signal.astype(np.float64), fs, None
    ratio = Fraction(WORK_FS / fs).limit_denominator(1000)
    out = resample_poly(signal.astype(np.float64), ratio.numerator, ratio.denominator, axis=-1)
    return out, WORK_FS, f"resampled from {fs:g} Hz to {WORK_FS:g} Hz for delineation"


def _clean(x: np.ndarray, fs: float) -> np.ndarray:
    import neurokit2 as nk

    return np.asarray(nk.ecg_clean(x, sampling_rate=int(round(fs)), method="neurokit"))


def _rpeaks(x: np.ndarray, fs: float) -> np.ndarray:
    import neurokit2 as nk

    try:
        _, info = nk.ecg_peaks(x, sampling_rate=int(round(fs)), method="neurokit")
    except (ValueError, IndexError, ZeroDivisionError):
        return np.zeros(0, dtype=int)
    return np.asarray(info.get("ECG_R_Peaks", []), dtype=int)


def _plausible_beats(peaks: np.ndarray, fs: float) -> bool:
    if len(peaks) < 2:
        return False
    rr = float(np.median(np.diff(peaks))) * 1000.0 / fs
    lo, hi = PLAUSIBLE["rr"]
    return lo <= rr <= hi


def _delineate(x: np.ndarray, peaks: np.ndarray, fs: float) -> dict[str, np.ndarray] | None:
    """P onsets and T offsets of one lead (neurokit2, wavelet method), NaN where not found."""
    import neurokit2 as nk

    try:
        _, waves = nk.ecg_delineate(x, peaks, sampling_rate=int(round(fs)), method="dwt")
    except (ValueError, IndexError, ZeroDivisionError, TypeError, KeyError):
        return None
    out = {}
    for k in ("ECG_P_Onsets", "ECG_T_Offsets"):
        v = np.asarray(waves.get(k, [np.nan] * len(peaks)), dtype=np.float64)
        if len(v) != len(peaks):
            return None
        out[k] = v
    return out


def _slope_envelope(x: np.ndarray, fs: float) -> np.ndarray:
    """Sum over leads of |dx/dt|, smoothed over 8 ms: high inside QRS complexes."""
    d = np.abs(np.gradient(x, axis=1)).sum(axis=0)
    k = max(1, int(round(0.008 * fs)))
    return np.convolve(d, np.ones(k) / k, mode="same")


def _qrs_bounds(d: np.ndarray, peaks: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Global QRS onset and offset per beat from the multi-lead slope envelope.

    neurokit2's wavelet QRS onsets are often 50-150 ms early on 12-lead data, so the QRS limits
    are found the way 12-lead machines do: around each R peak, from the first (last) point whose
    slope reaches 30 % of the beat's peak slope, walk out until the slope stays below 8 % (onset)
    or 12 % (offset) of it. Tuned on synthetic records (docs/labels.md gives the errors)."""
    n = len(d)
    run = max(2, int(round(0.008 * fs)))
    ons, offs = np.full(len(peaks), np.nan), np.full(len(peaks), np.nan)
    for j, p in enumerate(peaks):
        lo, hi = max(0, p - int(0.2 * fs)), min(n, p + int(0.25 * fs))
        a, b = max(0, p - int(0.15 * fs)), min(n, p + int(0.15 * fs))
        if b - a < 3 or hi - lo < 3:
            continue
        seg = d[a:b]
        base = float(np.percentile(d[lo:hi], 5))
        top = float(seg.max())
        if top <= base:
            continue
        strong = np.flatnonzero(seg >= base + 0.3 * (top - base))
        first, last = a + int(strong[0]), a + int(strong[-1])
        below_on = d < base + 0.08 * (top - base)
        below_off = d < base + 0.12 * (top - base)
        for i in range(first, lo + run - 1, -1):
            if below_on[i - run : i].all():
                ons[j] = i
                break
        for i in range(last, hi - run + 1):
            if below_off[i : i + run].all():
                offs[j] = i
                break
    return ons, offs


def _in_range(v: float | None, name: str) -> float | None:
    if v is None or not np.isfinite(v):
        return None
    lo, hi = PLAUSIBLE[name]
    return float(v) if lo <= v <= hi else None


def _pooled(values: np.ndarray, q: float) -> float | None:
    v = values[np.isfinite(values)]
    return float(np.percentile(v, q)) if len(v) else None


def _qrs_axis(
    sig: dict[str, np.ndarray], on: np.ndarray, off: np.ndarray, fs: float
) -> float | None:
    """Mean direction over beats of atan2(net QRS area in aVF, net QRS area in I), degrees."""
    angles = []
    base = max(1, int(round(0.02 * fs)))
    for a, b in zip(on, off):
        if not (np.isfinite(a) and np.isfinite(b)) or b <= a or a - base < 0:
            continue
        a, b = int(a), int(b)
        if b > len(sig["I"]):
            continue
        area_i, area_f = (float(np.sum(x[a:b] - np.median(x[a - base : a]))) for x in sig.values())
        if area_i or area_f:
            angles.append(math.atan2(area_f, area_i))
    if not angles:
        return None
    return float(math.degrees(math.atan2(np.mean(np.sin(angles)), np.mean(np.cos(angles)))))


def compute_measurements(
    signal: np.ndarray,
    fs: float,
    leads: tuple[str, ...],
    *,
    source: str = "?",
    record_id: str = "?",
) -> tuple[dict[str, float | None], list[str]]:
    """Measure ``signal`` (leads x samples, mV). Returns ({field: value or None}, notes).

    Raises :class:`BadSignal` only when no lead yields a plausible series of beats."""
    notes: list[str] = []
    x, work_fs, note = _resampled(np.asarray(signal), float(fs))
    if note:
        notes.append(note)
    index = {name: i for i, name in enumerate(leads)}
    out: dict[str, float | None] = dict.fromkeys(FIELDS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # neurokit2 warns freely on short or noisy signals
        cleaned = np.stack([_clean(row, work_fs) for row in x])
        peaks, peak_lead = np.zeros(0, dtype=int), None
        for name in PEAK_LEADS:
            if name in index:
                p = _rpeaks(cleaned[index[name]], work_fs)
                if _plausible_beats(p, work_fs):
                    peaks, peak_lead = p, name
                    break
        if peak_lead is None:
            raise BadSignal(source, record_id, "no heart beats found in any lead", stage="measure")
        if peak_lead != "II":
            notes.append(f"R peaks from lead {peak_lead}")
        rr = np.diff(peaks) * 1000.0 / work_fs
        lo, hi = PLAUSIBLE["rr"]
        rr = rr[(rr >= lo) & (rr <= hi)]
        if len(rr):
            out["rr_ms"] = float(np.mean(rr))
            out["hr_bpm"] = 60000.0 / out["rr_ms"]

        rows = [index[name] for name in INDEPENDENT_LEADS if name in index] or list(range(len(x)))
        on, off = _qrs_bounds(_slope_envelope(cleaned[rows], work_fs), peaks, work_fs)
        to_ms = 1000.0 / work_fs
        out["qrs_ms"] = _in_range(_pooled((off - on) * to_ms, 50), "qrs")
        per_lead = [
            d
            for name in DELINEATE_LEADS
            if name in index and (d := _delineate(cleaned[index[name]], peaks, work_fs)) is not None
        ]
    if per_lead:
        # Pooled over leads and beats. A lead's wavelet P onset is either right or late (a P
        # wave it missed) and its T offset right or early, so take a low/high quantile rather
        # than the median (20th/80th percentiles: see docs/labels.md for the errors).
        p_on = np.stack([d["ECG_P_Onsets"] for d in per_lead])
        t_off = np.stack([d["ECG_T_Offsets"] for d in per_lead])
        pr = (on - p_on) * to_ms
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # beats without any P onset
            per_beat = np.nanmedian(pr, axis=0)
        per_beat = per_beat[np.isfinite(per_beat)]
        spread = np.subtract(*np.percentile(per_beat, [75, 25])) if len(per_beat) >= 3 else 0.0
        if spread > MAX_PR_SPREAD_MS:
            # PR wandering from beat to beat: no P waves bound to the QRS (AF, flutter, AV
            # dissociation) -- a PR interval would be made up.
            notes.append(f"no consistent P waves (PR spread {spread:.0f} ms): PR unknown")
        else:
            out["pr_ms"] = _in_range(_pooled(pr, 80), "pr")
        out["qt_ms"] = _in_range(_pooled((t_off - on) * to_ms, 80), "qt")
    else:
        notes.append("delineation failed: PR and QT unknown")
    if out["qt_ms"] is not None and out["rr_ms"]:
        out["qtc_ms"] = out["qt_ms"] / math.sqrt(out["rr_ms"] / 1000.0)
    if "I" in index and "aVF" in index:
        sig = {"I": cleaned[index["I"]], "aVF": cleaned[index["aVF"]]}
        out["qrs_axis_deg"] = _qrs_axis(sig, on, off, work_fs)
    return out, notes


def _derived(m: Measurements) -> dict[str, float]:
    """Fields that follow arithmetically from fields already given (HR <-> RR, QTc)."""
    d: dict[str, float] = {}
    rr = m.rr_ms if m.rr_ms else (60000.0 / m.hr_bpm if m.hr_bpm else None)
    if m.rr_ms is None and rr:
        d["rr_ms"] = rr
    if m.hr_bpm is None and rr:
        d["hr_bpm"] = 60000.0 / rr
    if m.qtc_ms is None and m.qt_ms and rr:
        d["qtc_ms"] = m.qt_ms / math.sqrt(rr / 1000.0)
    return d


def ensure_measurements(record: ECGRecord) -> ECGRecord:
    """A copy of ``record`` whose HR, RR, PR, QRS, QT, QTc and QRS axis are filled where possible.

    Values the source gave stay, with their origin (``record.measurements.origin``, "source" when
    unset); values that follow from them (HR from RR, QTc from QT and RR) take the same origin;
    the rest are computed from the signal (origin "computed"). ``meta["measurement_origin"]``
    maps each filled field to its origin and ``Measurements.origin`` becomes "mixed" when they
    differ. A field that cannot be measured stays None. Raises :class:`BadSignal` only when no
    beats at all can be found (and something still had to be computed)."""
    m = record.measurements
    given_origin = m.origin or "source"
    origin = {f: given_origin for f in FIELDS if getattr(m, f) is not None}
    values = {f: getattr(m, f) for f in FIELDS}
    for f, v in _derived(m).items():
        values[f], origin[f] = v, given_origin
    notes: list[str] = []
    missing = [f for f in FIELDS if values[f] is None]
    if missing:
        computed, notes = compute_measurements(
            record.signal, record.fs, record.leads, source=record.source, record_id=record.record_id
        )
        if NO_PR_LABELS.intersection(record.labels) and "pr_ms" in missing:
            # The labels say there are no organised P waves: any PR read off the signal is noise.
            computed["pr_ms"] = None
            notes.append("PR not measured: rhythm without organised P waves")
        for f in missing:
            if computed[f] is not None:
                values[f], origin[f] = round(float(computed[f]), 1), "computed"
        if values["qtc_ms"] is None and values["qt_ms"] and values["rr_ms"]:
            values["qtc_ms"] = round(values["qt_ms"] / math.sqrt(values["rr_ms"] / 1000.0), 1)
            origin["qtc_ms"] = "computed"
    kinds = set(origin.values())
    new_origin = (kinds.pop() if len(kinds) == 1 else "mixed") if kinds else m.origin
    new_m = dataclasses.replace(m, **values, origin=new_origin)
    meta = dict(record.meta)
    meta["measurement_origin"] = {f: origin[f] for f in FIELDS if f in origin}
    if notes:
        meta["measurement_notes"] = notes
    return dataclasses.replace(record, measurements=new_m, meta=meta)
