"""When beats happen: sinus schedules with respiratory variation, irregular atrial fibrillation,
premature ventricular complexes with their compensatory pause, and fibrillatory waves.

Times are in samples. A schedule is the array of QRS onsets; the generator keeps every beat whole
inside the record (first P onset >= 0, last T end < n), so every drawn wave has its fiducials.
"""

from __future__ import annotations

import numpy as np

from ecginstruct.types import ConfigError

# Atrial fibrillation must be irregularly irregular: coefficient of variation of RR at least this.
AF_MIN_CV = 0.15


def sinus_onsets(rng: np.random.Generator, rr: float, first: int, last: int) -> np.ndarray:
    """QRS onsets from ``first`` to at most ``last`` every ``rr`` samples, modulated by a
    respiratory sinus arrhythmia of at most 2 % (so the mean rate stays within 2 % of 60/rr)."""
    amp = rng.uniform(0.0, 0.02)
    period = rng.uniform(3.0, 6.0) * (rr / 0.8)  # breathing period ~ 3-6 s at 75 bpm
    phase = rng.uniform(0.0, 2.0 * np.pi)
    out, t = [], float(first)
    while t <= last:
        out.append(int(round(t)))
        t += rr * (1.0 + amp * np.sin(2.0 * np.pi * t / period + phase))
    return np.asarray(out, dtype=np.int64)


def af_onsets(
    rng: np.random.Generator, mean_rr: float, min_rr: float, first: int, last: int
) -> np.ndarray:
    """Irregularly irregular QRS onsets: independent log-normal RR intervals (no pattern), redrawn
    until the record holds at least 3 beats and the RR coefficient of variation is >= 0.15."""
    for _ in range(200):
        sigma = rng.uniform(0.18, 0.32)
        n_max = int((last - first) / min_rr) + 2
        rr = mean_rr * np.exp(sigma * rng.standard_normal(n_max) - 0.5 * sigma * sigma)
        rr = np.clip(rr, min_rr, 2.5 * mean_rr)
        t = first + np.concatenate([[0.0], np.cumsum(rr)])
        onsets = np.round(t[t <= last]).astype(np.int64)
        if len(onsets) >= 3:
            d = np.diff(onsets)
            if d.std() / d.mean() >= AF_MIN_CV:
                return onsets
    raise ConfigError("could not draw an irregular AF rhythm: record too short")


def insert_pvcs(
    rng: np.random.Generator, onsets: np.ndarray, min_coupling: int, n_pvc: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Replace up to ``n_pvc`` interior beats (never the first or last, never two in a row) by
    premature ventricular complexes: each comes 55-75 % (at most 85 %) of the way into its RR
    interval, at least ``min_coupling`` samples after the previous QRS onset, and the next beat
    keeps its time (fully compensatory pause: the two intervals around it add up to the two
    sinus intervals). Returns (onsets, is_pvc) or ``None`` when no beat can take one."""
    onsets = onsets.copy()
    is_pvc = np.zeros(len(onsets), dtype=bool)
    chosen = 0
    for i in rng.permutation(np.arange(1, len(onsets) - 1)):
        if chosen >= n_pvc:
            break
        if is_pvc[i - 1] or is_pvc[i + 1]:
            continue
        rr = onsets[i] - onsets[i - 1]
        hi = int(0.85 * rr)
        if min_coupling > hi:
            continue
        coupling = int(np.clip(round(rng.uniform(0.55, 0.75) * rr), min_coupling, hi))
        onsets[i] = onsets[i - 1] + coupling
        is_pvc[i] = True
        chosen += 1
    return (onsets, is_pvc) if chosen else None


def fibrillatory_waves(rng: np.random.Generator, n: int, fs: float) -> np.ndarray:
    """Fibrillatory baseline (f waves): 4-9 Hz oscillation of wandering amplitude, scaled so that
    its largest absolute value is exactly 1."""
    t = np.arange(n) / fs
    f0 = rng.uniform(4.5, 8.0)
    out = np.zeros(n)
    for k in range(3):
        f = f0 * rng.uniform(0.85, 1.15)
        out += rng.uniform(0.5, 1.0) / (k + 1) * np.sin(2 * np.pi * f * t + rng.uniform(0, 6.3))
    out *= 1.0 + 0.35 * np.sin(2 * np.pi * rng.uniform(0.2, 0.6) * t + rng.uniform(0, 6.3))
    return out / np.abs(out).max()
