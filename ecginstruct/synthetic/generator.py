"""Assemble one synthetic 12-lead ECG: durations, beat templates, schedule, dipole, leads.

Every duration is drawn in milliseconds and rounded to whole samples once; the waves are drawn
with exactly those lengths, and the measurements are computed from the same integers, so they
are exact at any sampling rate (at 500 Hz they are multiples of 2 ms).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ecginstruct.synthetic import morphology as mo
from ecginstruct.synthetic.artifacts import add_artifacts
from ecginstruct.synthetic.conditions import normalise_conditions, report_text
from ecginstruct.synthetic.rhythm import af_onsets, fibrillatory_waves, insert_pvcs, sinus_onsets
from ecginstruct.synthetic.waves import (
    LEAD_VECTORS,
    PROJECTION,
    add_wave,
    axis_angle_rotation,
    derive_leads,
    frontal_axis_deg,
    profile,
    rotation,
)
from ecginstruct.types import ConfigError, Demographics, ECGRecord, Measurements

MIN_FS, MAX_FS = 100.0, 2000.0
MIN_DURATION_S, MAX_DURATION_S = 5.0, 120.0
GENERATOR_VERSION = 1

# Sinus rates (bpm) per rhythm label, kept 2+ bpm inside the label's bounds (60 and 100) because
# respiratory variation moves the record's mean rate by up to 2 %.
_RATES = {"SR": (62.0, 96.0), "SBRAD": (40.0, 57.0), "STACH": (104.0, 140.0), "AFIB": (60.0, 130.0)}


@dataclass
class Simulation:
    """What :func:`simulate` makes: everything of an :class:`ECGRecord` but its identity."""

    signal: np.ndarray  # (12, n) float32 mV, standard lead order
    fs: float
    labels: tuple[str, ...]
    measurements: Measurements
    report: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Beat:
    """A beat template: (3, length) dipole starting ``lead_in`` samples before the QRS onset."""

    dipole: np.ndarray
    lead_in: int


def _samples(ms: float, fs: float) -> int:
    return int(round(ms * fs / 1000.0))


def _axis(area3: np.ndarray) -> float:
    return frontal_axis_deg(float(LEAD_VECTORS[0] @ area3), float(LEAD_VECTORS[5] @ area3))


def simulate(
    rng: np.random.Generator,
    *,
    conditions: list[str] | tuple[str, ...] | str | None = None,
    fs: float = 500.0,
    duration_s: float = 10.0,
    anatomy: mo.Anatomy | None = None,
    noise: bool = True,
) -> Simulation:
    """Simulate one 12-lead ECG with the given condition codes (``None``: a normal ECG).

    ``anatomy`` fixes the patient's heart orientation and voltages (drawn from ``rng`` when
    ``None``); ``noise=False`` leaves out noise, baseline wander and mains (fibrillatory waves
    stay: they are part of atrial fibrillation), so the signal is exactly 0.0 between waves.
    """
    codes = normalise_conditions(conditions)
    fs = float(fs)
    if not MIN_FS <= fs <= MAX_FS:
        raise ConfigError(f"fs={fs:g} Hz: the synthetic source needs {MIN_FS:g}-{MAX_FS:g} Hz")
    if not MIN_DURATION_S <= float(duration_s) <= MAX_DURATION_S:
        raise ConfigError(
            f"duration_s={duration_s}: the synthetic source needs "
            f"{MIN_DURATION_S:g}-{MAX_DURATION_S:g} s"
        )
    anatomy = anatomy or mo.draw_anatomy(rng)
    n = int(round(float(duration_s) * fs))
    rhythm = next(c for c in ("SR", "SBRAD", "STACH", "AFIB") if c in codes)
    af, avb, pvc = rhythm == "AFIB", "1AVB" in codes, "PVC" in codes
    bbb = "RBBB" if "RBBB" in codes else "LBBB" if "LBBB" in codes else None

    lo, hi = _RATES[rhythm]
    if avb:  # keep the long PR clear of the previous T wave
        hi = min(hi, 92.0 if rhythm == "SR" else 112.0)
    if pvc:  # leave room for a premature beat after the T wave
        hi = min(hi, 130.0)
    rate = rng.uniform(lo, hi)
    rr_ms = 60000.0 / rate

    qrs_ms = {None: (78.0, 108.0), "RBBB": (122.0, 158.0), "LBBB": (126.0, 168.0)}[bbb]
    qrs = _samples(rng.uniform(*qrs_ms), fs)
    qt_ms = rng.uniform(390.0, 440.0) * np.sqrt(rr_ms / 1000.0)
    qt_ms += max(0.0, qrs * 1000.0 / fs - 100.0) * 0.5  # a wide QRS lengthens QT
    qt = _samples(qt_ms, fs)
    st = 0 if bbb else _samples(rng.uniform(0.2, 0.32) * (qt_ms - qrs * 1000.0 / fs), fs)
    if af:
        p_dur = pr = 0
    else:
        p_ms = rng.uniform(80.0, 110.0)
        p_dur = _samples(p_ms, fs)
        if avb:
            pr = _samples(rng.uniform(210.0, max(214.0, min(320.0, rr_ms - qt_ms - 40.0))), fs)
        else:
            pr = _samples(rng.uniform(max(120.0, p_ms + 40.0), 196.0), fs)

    # ---- morphology: orient the QRS so that atan2(aVF, I) of its area hits the target axis
    base = {None: mo.NORMAL_QRS, "RBBB": mo.RBBB_QRS, "LBBB": mo.LBBB_QRS}[bbb]
    h = anatomy.horizontal_deg
    parts = mo.oriented(mo.jitter(rng, base, anatomy.qrs_gain), rotation(0.0, h))
    target = anatomy.axis_target_deg
    if bbb == "LBBB":
        target = float(np.clip(target - 25.0, -30.0, 60.0))
    tilt_k = mo.tilt_axis(h)
    tilt = mo.solve_tilt(parts, qrs, target, tilt_k)
    parts = mo.tilted(parts, tilt_k, tilt)
    t_gain = anatomy.t_gain * rng.uniform(0.85, 1.15)
    if bbb:  # secondary T: follows the QRS
        t_base = mo.RBBB_T if bbb == "RBBB" else mo.LBBB_T
        t_rot = axis_angle_rotation(tilt_k, tilt) @ rotation(0.0, h)
        t_peak = rng.uniform(0.5, 0.6)
    else:  # primary T: follows the heart's tilt part of the way, with its own spread
        t_base = mo.NORMAL_T
        t_rot = axis_angle_rotation(tilt_k, 0.5 * tilt + rng.normal(0.0, 6.0)) @ rotation(0.0, h)
        t_peak = rng.uniform(0.58, 0.68)
    t_vec = t_rot @ np.asarray(t_base) * t_gain
    t_len = qt - qrs - st
    p_parts = ()
    if not af:
        p_rot = axis_angle_rotation(tilt_k, 0.3 * tilt + rng.normal(0.0, 6.0))
        p_parts = mo.oriented(mo.jitter(rng, mo.P_PARTS, anatomy.p_gain), p_rot)

    normal = _Beat(np.zeros((3, pr + qt + 1)), pr)
    if p_parts:
        mo.draw_complex(normal.dipole, 0, p_parts, p_dur)
    mo.draw_complex(normal.dipole, pr, parts, qrs)
    add_wave(normal.dipole, pr + qrs + st, t_len, t_peak, t_vec)

    # ---- schedule
    rr = rr_ms * fs / 1000.0
    margin = _samples(20.0, fs)
    # a lead-in of >= 200 ms before the first QRS (no beat cut by the record start)
    first = max(pr, _samples(200.0, fs)) + margin + int(rng.integers(0, max(1, int(0.5 * rr))))
    last = n - 1 - qt - margin
    if last <= first:
        raise ConfigError(f"duration_s={duration_s} is too short for one beat")
    is_pvc = None
    for _ in range(50):
        if af:
            onsets = af_onsets(rng, rr, qt + _samples(60.0, fs), first, last)
        else:
            onsets = sinus_onsets(rng, rr, first, last)
        if not pvc:
            is_pvc = np.zeros(len(onsets), dtype=bool)
            break
        n_pvc = int(rng.integers(1, max(1, len(onsets) // 6) + 1))
        got = insert_pvcs(rng, onsets, qt + _samples(40.0, fs), n_pvc)
        if got is not None:
            onsets, is_pvc = got
            break
    if is_pvc is None:
        raise ConfigError(f"no room for a premature beat in {duration_s} s at {rate:.0f} bpm")

    ectopic = None
    if is_pvc.any():
        v_parts, v_t = mo.pvc_complex(rng, anatomy.qrs_gain)
        v_parts = mo.oriented(v_parts, rotation(0.0, h))
        v_t = rotation(0.0, h) @ np.asarray(v_t)
        qrs_v = _samples(rng.uniform(140.0, 180.0), fs)
        # T of the PVC: 240-300 ms, shortened to end before the next beat's P wave if possible
        idx = np.flatnonzero(is_pvc)
        room = int(min(onsets[idx + 1] - onsets[idx])) - pr - margin
        qt_v = min(qrs_v + _samples(rng.uniform(240.0, 300.0), fs), room)
        qt_v = max(qt_v, qrs_v + _samples(120.0, fs))
        ectopic = _Beat(np.zeros((3, qt_v + 1)), 0)
        mo.draw_complex(ectopic.dipole, 0, v_parts, qrs_v)
        add_wave(ectopic.dipole, qrs_v, qt_v - qrs_v, rng.uniform(0.45, 0.6), v_t)

    # ---- dipole, leads
    dipole = np.zeros((3, n))
    fid: dict[str, list] = {k: [] for k in ("p_on", "p_off", "qrs_on", "qrs_off", "t_on", "t_off")}
    beat_types = []
    for on, v in zip(onsets.tolist(), is_pvc.tolist()):
        beat = ectopic if v else normal
        a = on - beat.lead_in
        dipole[:, a : a + beat.dipole.shape[1]] += beat.dipole
        has_p = not v and not af
        fid["p_on"].append(on - pr if has_p else -1)
        fid["p_off"].append(on - pr + p_dur if has_p else -1)
        fid["qrs_on"].append(on)
        fid["qrs_off"].append(on + (qrs_v if v else qrs))
        fid["t_on"].append(on + (qrs_v if v else qrs + st))
        fid["t_off"].append(on + (qt_v if v else qt))
        beat_types.append("V" if v else "N")
    meta: dict[str, Any] = {}
    if af:
        f_mv = rng.uniform(0.03, 0.1)
        f_dir = rotation(rng.normal(0, 15), rng.normal(0, 15)) @ np.array([-0.25, 0.55, 0.8])
        f_dir *= f_mv / np.abs(LEAD_VECTORS @ f_dir).max()  # largest lead: exactly f_mv
        dipole += f_dir[:, None] * fibrillatory_waves(rng, n, fs)[None, :]
        meta["f_wave_mv"] = float(f_mv)
    signal8 = PROJECTION @ dipole
    meta["artifacts"] = add_artifacts(rng, signal8, fs) if noise else None
    signal = derive_leads(signal8)

    # ---- measurements, from the same integers the waves were drawn with
    to_ms = 1000.0 / fs
    rr_mean = float(np.diff(onsets).mean()) * to_ms
    qrs_area = mo.complex_area(parts, qrs)
    t_area = profile(t_len, t_peak).sum() * np.asarray(t_vec)
    m = Measurements(
        hr_bpm=60000.0 / rr_mean,
        rr_ms=rr_mean,
        pr_ms=None if af else pr * to_ms,
        qrs_ms=qrs * to_ms,
        qt_ms=qt * to_ms,
        qtc_ms=float(qt * to_ms / np.sqrt(rr_mean / 1000.0)),
        p_axis_deg=None if af else _axis(mo.complex_area(p_parts, p_dur)),
        qrs_axis_deg=_axis(qrs_area),
        t_axis_deg=_axis(t_area),
        origin="synthetic",
    )
    d = np.diff(onsets)
    meta.update(
        generator=f"ecginstruct.synthetic v{GENERATOR_VERSION}",
        conditions=list(codes),
        fiducials=fid,
        beat_types=beat_types,
        rr_cv=float(d.std() / d.mean()),
    )
    return Simulation(signal, fs, codes, m, report_text(codes), meta)


def simulate_record(
    rng: np.random.Generator,
    conditions: list[str] | tuple[str, ...] | str | None = None,
    *,
    record_id: str = "synthetic",
    source: str = "synthetic",
    patient_id: str | None = None,
    fs: float = 500.0,
    duration_s: float = 10.0,
    anatomy: mo.Anatomy | None = None,
    demographics: Demographics | None = None,
    noise: bool = True,
) -> ECGRecord:
    """:func:`simulate` wrapped as an :class:`ECGRecord` (labels used as given, no mapping)."""
    from ecginstruct.sources.base import make_record

    sim = simulate(
        rng, conditions=conditions, fs=fs, duration_s=duration_s, anatomy=anatomy, noise=noise
    )
    if demographics is None:
        demographics = Demographics(
            age=float(rng.integers(18, 91)), sex=str(rng.choice(["M", "F"]))
        )
    return make_record(
        source=source,
        record_id=record_id,
        signal=sim.signal,
        fs=sim.fs,
        source_labels={c: 100.0 for c in sim.labels},
        labels=sim.labels,
        patient_id=patient_id,
        report=sim.report,
        report_language="en",
        measurements=sim.measurements,
        demographics=demographics,
        meta=sim.meta,
    )
