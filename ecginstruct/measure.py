"""Global ECG measurements for feature questions: HR, RR, PR, QRS, QT/QTc and QRS axis.

:func:`ensure_measurements` keeps every value the source gave (MIMIC machine measurements,
synthetic ground truth) and computes the missing ones from the signal the way 12-lead machines
(GE 12SL, Philips, Glasgow) do: on one representative (median) beat, with global onsets and
offsets over the leads.

1. Filter once (zero-phase Butterworth, precomputed ``sos``): 0.5-70 Hz for finding beats.
2. Beats: QRS complexes on the slope envelope of the eight independent leads (I, II, V1-V6),
   with neurokit2's gradient-threshold rule (see :func:`_beats`); a beat with a small QRS in one
   lead (a PVC in lead II) is still found. HR from the mean RR interval over all beats.
   When that gives no plausible beat series, ``nk.ecg_peaks`` on one lead at a time (lead II
   first) takes over.
3. Beats are aligned by cross-correlation with the dominant QRS template; beats unlike it
   (premature ventricular complexes, artefacts) are left out of the median beat.
4. The median beat per lead (window cut before the next beat), first on the band-passed signal
   to find the QRS onset, then again on the signal with its baseline wander removed by a cubic
   spline through the PR segments (a high-pass filter would tilt the ST-T segment after a wide
   QRS).
5. On the median beat: QRS onset and offset from the spatial velocity (8 ms runs below 8 % /
   12 % of its peak); T end where the spatial velocity of the T wave's descending limb falls
   below 30 % of its peak (about where the steepest-slope tangent meets the baseline on a
   smooth T wave); P onset where the spatial magnitude of the last P wave before the QRS falls
   below 8 % of its peak. PR is left unknown when the P wave is not the same in every beat
   (median correlation with the median P wave < 0.5: atrial fibrillation, flutter, AV
   dissociation).
6. QRS axis from the net QRS area of the median beat in leads I and aVF (``atan2(aVF, I)``);
   QTc with Bazett's formula (QT / sqrt(RR in s)), as the machine measurements use.

Records sampled below 250 Hz (PTB-XL's 100 Hz records) or above 1000 Hz are resampled to
500 Hz first (noted in ``meta["measurement_notes"]``). ``meta["measurement_origin"]`` says per
field where the number came from. Accuracy and cost: docs/labels.md.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from fractions import Fraction

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.interpolate import CubicSpline
from scipy.signal import butter, find_peaks, resample_poly, sosfiltfilt

from ecginstruct.types import BadSignal, ECGRecord, Measurements

# Rhythms with no P wave bound to the QRS: a PR interval is undefined.
NO_PR_LABELS = frozenset({"AFIB", "AFLT"})

FIELDS = ("hr_bpm", "rr_ms", "pr_ms", "qrs_ms", "qt_ms", "qtc_ms", "qrs_axis_deg")
WORK_FS = 500.0
MIN_DELINEATE_FS, MAX_DELINEATE_FS = 250.0, 1000.0
# Leads tried one by one for R peaks (neurokit2) when the multi-lead detector finds no beats.
PEAK_LEADS = ("II", "I", "V5", "V6", "aVF", "V4", "III", "V2", "V3", "V1", "aVL", "aVR")
# The eight independent leads (III, aVR, aVL, aVF are sums of I and II).
INDEPENDENT_LEADS = ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6")
# Plausible ranges (ms); values outside are delineation failures, not findings.
PLAUSIBLE = {"rr": (200.0, 3000.0), "pr": (60.0, 450.0), "qrs": (40.0, 250.0), "qt": (180.0, 750.0)}
# Median P-wave correlation below which P waves are not bound to the QRS (PR unknown).
MIN_P_CORRELATION = 0.5

# Band (Hz) of the zero-phase filter; a beat joins the median beat when its QRS correlates with
# the template at least this much. Thresholds below are fractions of the wave's peak; all were
# tuned on synthetic records with exact fiducials (docs/labels.md gives the errors).
BAND_HZ = (0.5, 70.0)
MIN_BEAT_CORRELATION = 0.85
QRS_ON_FRACTION, QRS_OFF_FRACTION = 0.08, 0.12
T_END_FRACTION, P_ON_FRACTION = 0.30, 0.08
MEDIAN_WINDOW_S = (0.6, 0.8)  # before / after the QRS fiducial


def _resampled(signal: np.ndarray, fs: float) -> tuple[np.ndarray, float, str | None]:
    if MIN_DELINEATE_FS <= fs <= MAX_DELINEATE_FS:
        return signal.astype(np.float64), fs, None
    ratio = Fraction(WORK_FS / fs).limit_denominator(1000)
    out = resample_poly(signal.astype(np.float64), ratio.numerator, ratio.denominator, axis=-1)
    return out, WORK_FS, f"resampled from {fs:g} Hz to {WORK_FS:g} Hz for delineation"


@functools.lru_cache(maxsize=32)
def _sos(fs: float, high_pass: bool) -> np.ndarray:
    """Second-order sections: low-pass at BAND_HZ[1], with the 0.5 Hz high-pass if asked."""
    parts = [butter(2, BAND_HZ[1], btype="lowpass", fs=fs, output="sos")]
    if high_pass:
        parts.insert(0, butter(2, BAND_HZ[0], btype="highpass", fs=fs, output="sos"))
    return np.concatenate(parts)


def _n(seconds: float, fs: float) -> int:
    return int(round(seconds * fs))


def _boxcar(x: np.ndarray, k: int) -> np.ndarray:
    """Centred moving average of width k (shrinking at the ends)."""
    if k <= 1:
        return x
    c = np.concatenate([[0.0], np.cumsum(x)])
    i = np.arange(len(x))
    a, b = np.clip(i - k // 2, 0, len(x)), np.clip(i - k // 2 + k, 0, len(x))
    return (c[b] - c[a]) / (b - a)


def _plausible_beats(peaks: np.ndarray | None, fs: float) -> bool:
    if peaks is None or len(peaks) < 2:
        return False
    rr = float(np.median(np.diff(peaks))) * 1000.0 / fs
    lo, hi = PLAUSIBLE["rr"]
    return lo <= rr <= hi


def _beats(filt: np.ndarray, fs: float) -> np.ndarray:
    """QRS complexes of (leads, n) band-passed signals: neurokit2's "neurokit" detector rule
    (smoothed absolute gradient above 1.5 x its 0.75 s average, regions shorter than 0.4 x the
    mean dropped) applied to the summed slope of all leads, beats >= 200 ms apart. Candidates
    whose slope peak is under 30 % of the 80th percentile are T waves, not beats (true beats,
    PVCs included, were >= 43 % on synthetic records, T waves <= 23 %)."""
    g = np.abs(np.diff(filt, axis=1)).sum(axis=0)
    smooth = _boxcar(g, _n(0.1, fs))
    region = smooth > 1.5 * _boxcar(smooth, _n(0.75, fs))
    edges = np.flatnonzero(np.diff(region.astype(np.int8))) + 1
    bounds = np.concatenate([[0] if region[0] else [], edges, [len(region)] if region[-1] else []])
    beg, end = bounds[0::2].astype(int), bounds[1::2].astype(int)
    if len(end) == 0:
        return np.zeros(0, dtype=int)
    keep = (end - beg) >= 0.4 * np.mean(end - beg)
    fine = _boxcar(g, _n(0.02, fs))
    peaks: list[int] = []
    for a, b in zip(beg[keep], end[keep]):
        p = a + int(np.argmax(fine[a:b]))
        if peaks and p - peaks[-1] < _n(0.2, fs):
            if fine[p] > fine[peaks[-1]]:
                peaks[-1] = p
            continue
        peaks.append(p)
    out = np.asarray(peaks, dtype=int)
    if len(out):
        out = out[fine[out] >= 0.3 * np.percentile(fine[out], 80)]
    return out


def _rpeaks_one_lead(x: np.ndarray, fs: float) -> np.ndarray:
    import neurokit2 as nk

    try:
        clean = nk.ecg_clean(x, sampling_rate=int(round(fs)), method="neurokit")
        _, info = nk.ecg_peaks(clean, sampling_rate=int(round(fs)), method="neurokit")
    except (ValueError, IndexError, ZeroDivisionError):
        return np.zeros(0, dtype=int)
    return np.asarray(info.get("ECG_R_Peaks", []), dtype=int)


def _align(filt: np.ndarray, peaks: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Shift (samples, within +-25 ms) that best aligns each beat's QRS (+-80 ms, all leads)
    with the median QRS of the beats like it, and the correlation there (NaN at the record
    edges). Two passes: the template of the second is built from the beats that matched."""
    n = filt.shape[1]
    half, s = _n(0.08, fs), _n(0.025, fs)
    shifts, corr = np.zeros(len(peaks), dtype=int), np.full(len(peaks), np.nan)
    idx = np.flatnonzero((peaks - half - s >= 0) & (peaks + half + s < n))
    if len(idx) == 0:
        return shifts, corr
    segs = np.stack([filt[:, p - half - s : p + half + s + 1] for p in peaks[idx]])
    win = sliding_window_view(segs, 2 * half + 1, axis=2)  # beats, leads, shifts, samples
    win = win - win.mean(axis=3, keepdims=True)
    norm = np.sqrt((win**2).sum(axis=(1, 3)))
    template = np.median(win[:, :, s], axis=0)
    for _ in range(2):
        c = np.einsum("bcsl,cl->bs", win, template)
        c /= norm * np.sqrt((template**2).sum()) + 1e-12
        best = c.argmax(axis=1)
        score = c[np.arange(len(idx)), best]
        like = score >= MIN_BEAT_CORRELATION
        if like.sum() < max(1, len(idx) // 3):
            like = score >= np.median(score)
        template = np.median(win[like, :, best[like]], axis=0)
    shifts[idx], corr[idx] = best - s, score
    return shifts, corr


def _median_beat(
    x: np.ndarray, centers: np.ndarray, stops: np.ndarray, pre: int, post: int
) -> tuple[np.ndarray, np.ndarray]:
    """(median beat (leads, pre + post + 1), the beats stacked); each beat is NaN outside the
    record and from ``stops`` on (just before the next beat's QRS)."""
    n = x.shape[1]
    beats = np.full((len(centers), x.shape[0], pre + post + 1), np.nan)
    for i, (c, stop) in enumerate(zip(centers, stops)):
        a, b = c - pre, min(c + post + 1, stop)
        aa, bb = max(0, a), min(n, b)
        if bb > aa:
            beats[i, :, aa - a : bb - a] = x[:, aa:bb]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns at the ends
        return np.nanmedian(beats, axis=0), beats


def _walk(v: np.ndarray, start: int, stop: int, thr: float, run: int, step: int) -> int | None:
    """First index from ``start`` towards ``stop`` (step +1 or -1) from which ``v`` stays below
    ``thr`` for ``run`` samples (forwards, or backwards when step is -1)."""
    below = v < thr
    for i in range(start, stop, step):
        seg = below[i : i + run] if step > 0 else below[max(0, i - run + 1) : i + 1]
        if len(seg) == run and seg.all():
            return i
    return None


def _qrs_bounds(m: np.ndarray, c: int, fs: float) -> tuple[int, int] | None:
    """Global QRS onset and offset of a median beat from its spatial velocity: from the first
    (last) point within +-150 ms of the fiducial whose velocity reaches 30 % of the peak, walk
    out until it stays below 8 % for 8 ms (onset) or below 12 % for 24 ms (offset: the long run
    steps over the dip before the terminal wave of a right bundle branch block)."""
    d = _boxcar(np.sqrt((np.gradient(m, axis=1) ** 2).sum(axis=0)), _n(0.004, fs))
    a, b = c - _n(0.15, fs), c + _n(0.15, fs)
    base = float(np.nanpercentile(d[c - _n(0.25, fs) : c + _n(0.3, fs)], 5))
    top = float(np.nanmax(d[a:b]))
    if not top > base:
        return None
    strong = a + np.flatnonzero(d[a:b] >= base + 0.3 * (top - base))
    run = max(2, _n(0.008, fs))
    on = _walk(d, int(strong[0]), c - _n(0.25, fs), base + QRS_ON_FRACTION * (top - base), run, -1)
    off_thr = base + QRS_OFF_FRACTION * (top - base)
    off = _walk(d, int(strong[-1]), c + _n(0.3, fs), off_thr, max(run, _n(0.024, fs)), +1)
    return None if on is None or off is None else (on, off)


def _without_wander(x: np.ndarray, knots: np.ndarray, fs: float) -> np.ndarray:
    """Low-passed ``x`` minus a cubic spline through its levels at ``knots`` (PR segments)."""
    lp = sosfiltfilt(_sos(fs, False), x, axis=1)
    h = max(1, _n(0.005, fs))
    knots = knots[(knots - h >= 0) & (knots + h < x.shape[1])]
    if len(knots) < 2:
        return sosfiltfilt(_sos(fs, True), x, axis=1)
    levels = np.stack([lp[:, k - h : k + h + 1].mean(axis=1) for k in knots], axis=1)
    t = np.clip(np.arange(x.shape[1]), knots[0], knots[-1])
    if len(knots) >= 4:
        wander = CubicSpline(knots, levels, axis=1, bc_type="natural")(t)
    else:
        wander = np.stack([np.interp(t, knots, v) for v in levels])
    return lp - wander


def _p_consistency(beats: np.ndarray, med: np.ndarray, a: int, b: int) -> float:
    """Median over beats of the correlation of their P wave (samples a..b, all leads) with the
    median P wave: ~1 for P waves bound to the QRS, low for fibrillatory waves."""
    w = beats[:, :, a:b]
    ref = med[:, a:b] - med[:, a:b].mean(axis=1, keepdims=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        w = w - np.nanmean(w, axis=2, keepdims=True)
        num = np.nansum(w * ref, axis=(1, 2))
        den = np.sqrt(np.nansum(w**2, axis=(1, 2)) * (ref**2).sum()) + 1e-12
        return float(np.nanmedian(num / den))


def _delineate(
    med: np.ndarray, beats: np.ndarray, qrs: tuple[int, int], rr: int, fs: float, notes: list[str]
) -> tuple[int | None, int | None]:
    """(P onset, T end) of the median beat ``med`` (independent leads) whose QRS spans ``qrs``;
    ``rr`` is the median RR interval in samples. None where not found."""
    on, off = qrs
    base = med[:, on - _n(0.02, fs) : on - _n(0.006, fs) + 1].mean(axis=1, keepdims=True)
    m = med - base  # PR segment = isoelectric
    ok = np.flatnonzero(np.isfinite(m).all(axis=0))
    if len(ok) == 0:
        return None, None
    first, last = int(ok[0]), int(ok[-1])
    m = np.nan_to_num(m)
    mag = _boxcar(np.sqrt((m**2).sum(axis=0)), _n(0.01, fs))
    vel = _boxcar(np.sqrt((np.gradient(m, axis=1) ** 2).sum(axis=0)), _n(0.02, fs))
    run = max(2, _n(0.008, fs))
    t_lo = off + _n(0.04, fs)
    t_hi = min(last, on + _n(0.55, fs), on + int(0.7 * rr))
    t_peak = t_lo + int(np.argmax(mag[t_lo:t_hi])) if t_hi > t_lo + 2 else None

    # P wave: the last clear local maximum of the magnitude after the previous T peak.
    p_on = None
    prev_t = t_peak - rr if t_peak is not None else on - _n(0.3, fs)
    p_lo = max(first + 1, on - _n(0.45, fs), prev_t + _n(0.04, fs))
    p_hi = on - _n(0.02, fs)
    if p_hi > p_lo + 2:
        pk, props = find_peaks(mag[p_lo:p_hi], prominence=0.0)
        if len(pk):
            prom = props["prominences"]
            pp = p_lo + int(pk[prom >= 0.3 * prom.max()][-1])
            floor = float(mag[p_lo:pp].min())
            p_on = _walk(mag, pp, p_lo, floor + P_ON_FRACTION * (mag[pp] - floor), run, -1)
    if p_on is not None:
        pc = _p_consistency(beats, med, p_on, on - _n(0.006, fs))
        if pc < MIN_P_CORRELATION:
            notes.append(f"no consistent P waves (correlation {pc:.2f}): PR unknown")
            p_on = None

    # T end: on the descending limb, before the next P wave (or the next QRS).
    t_end = None
    if t_peak is not None:
        t_stop = min(
            last, on + _n(0.75, fs), p_on + rr if p_on is not None else on + rr - _n(0.1, fs)
        )
        if t_stop > t_peak + 2:
            vi = t_peak + int(np.argmax(vel[t_peak : min(t_stop, t_peak + _n(0.25, fs))]))
            floor = float(vel[t_peak:t_stop].min())
            t_end = _walk(vel, vi, t_stop, floor + T_END_FRACTION * (vel[vi] - floor), run, +1)
            if t_end is None:  # the next P wave starts on the T wave: take the valley
                k = vi + int(np.argmin(vel[vi : t_stop + 1]))
                t_end = k if vel[k] <= 0.5 * vel[vi] else None
    return p_on, t_end


def _in_range(v: float | None, name: str) -> float | None:
    if v is None or not np.isfinite(v):
        return None
    lo, hi = PLAUSIBLE[name]
    return float(v) if lo <= v <= hi else None


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
    x, fs, note = _resampled(np.asarray(signal), float(fs))
    if note:
        notes.append(note)
    index = {name: i for i, name in enumerate(leads)}
    out: dict[str, float | None] = dict.fromkeys(FIELDS)
    rows = [index[name] for name in INDEPENDENT_LEADS if name in index] or list(range(len(x)))
    band = sosfiltfilt(_sos(fs, True), x, axis=1)
    peaks = _beats(band[rows], fs)
    if not _plausible_beats(peaks, fs):
        peaks = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # neurokit2 warns freely on short or noisy signals
            for name in (n for n in PEAK_LEADS if n in index):
                p = _rpeaks_one_lead(x[index[name]], fs)
                if _plausible_beats(p, fs):
                    peaks = p
                    notes.append(f"R peaks from lead {name}")
                    break
    if peaks is None:
        raise BadSignal(source, record_id, "no heart beats found in any lead", stage="measure")
    rr = np.diff(peaks) * 1000.0 / fs
    lo, hi = PLAUSIBLE["rr"]
    rr = rr[(rr >= lo) & (rr <= hi)]
    if len(rr):
        out["rr_ms"] = float(np.mean(rr))
        out["hr_bpm"] = 60000.0 / out["rr_ms"]

    shifts, corr = _align(band[rows], peaks, fs)
    if not np.isfinite(corr).any():
        notes.append("no whole beat: PR, QRS and QT unknown")
        return out, notes
    like = corr >= min(MIN_BEAT_CORRELATION, float(np.nanmedian(corr)))
    centers = peaks + shifts
    # each beat ends 100 ms before the next one's fiducial (the last one at the record's end)
    stops = np.concatenate([centers[1:] - _n(0.1, fs), [x.shape[1]]])
    pre, post = _n(MEDIAN_WINDOW_S[0], fs), _n(MEDIAN_WINDOW_S[1], fs)
    med, _ = _median_beat(band[rows], centers[like], stops[like], pre, post)
    bounds = _qrs_bounds(med, pre, fs)
    if bounds is None:
        notes.append("QRS onset and offset not found: PR, QRS and QT unknown")
        return out, notes
    clean = _without_wander(x, centers + bounds[0] - pre - _n(0.012, fs), fs)
    med, beats = _median_beat(clean, centers[like], stops[like], pre, post)
    on, off = _qrs_bounds(med[rows], pre, fs) or bounds
    to_ms = 1000.0 / fs
    out["qrs_ms"] = _in_range((off - on) * to_ms, "qrs")
    rr_med = int(np.median(np.diff(peaks)))
    p_on, t_end = _delineate(med[rows], beats[:, rows], (on, off), rr_med, fs, notes)
    if p_on is not None:
        out["pr_ms"] = _in_range((on - p_on) * to_ms, "pr")
    if t_end is not None:
        out["qt_ms"] = _in_range((t_end - on) * to_ms, "qt")
    if out["qt_ms"] is not None and out["rr_ms"]:
        out["qtc_ms"] = out["qt_ms"] / math.sqrt(out["rr_ms"] / 1000.0)
    if "I" in index and "aVF" in index:
        ref = med[:, on - _n(0.02, fs) : on - _n(0.006, fs) + 1].mean(axis=1)
        area_i, area_f = (
            float(np.sum(med[index[k], on:off] - ref[index[k]])) for k in ("I", "aVF")
        )
        if area_i or area_f:
            out["qrs_axis_deg"] = math.degrees(math.atan2(area_f, area_i))
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
