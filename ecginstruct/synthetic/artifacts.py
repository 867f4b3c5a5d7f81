"""Recording artifacts: Gaussian noise, baseline wander and (rarely) mains interference.

They are added to the 8 independent leads (I, II, V1..V6) *before* the augmented leads are
derived, so Einthoven's and Goldberger's identities still hold exactly in the output.
"""

from __future__ import annotations

import numpy as np


def add_artifacts(rng: np.random.Generator, signal8: np.ndarray, fs: float) -> dict:
    """Add artifacts to a (8, n) float64 array in place; returns their parameters (JSON)."""
    c, n = signal8.shape
    t = np.arange(n) / fs
    noise_mv = rng.uniform(0.010, 0.020)
    signal8 += noise_mv * rng.standard_normal((c, n))
    # Baseline wander: breathing (0.15-0.45 Hz) plus a slower drift, each lead its own phase and
    # size. Every sinusoid is a sin/cos pair of a shared basis (angle-sum identity), so all
    # leads come from one small matrix product.
    wander_mv = rng.uniform(0.05, 0.2)
    f_resp, f_slow = rng.uniform(0.15, 0.45), rng.uniform(0.05, 0.15)
    freqs = [f_resp, f_slow]
    weights = [0.7, 0.3]
    gains = wander_mv * rng.uniform(0.5, 1.0, size=c)
    amps = [gains * w for w in weights]
    phases = [rng.uniform(0, 2 * np.pi, c) for _ in freqs]
    mains_hz, mains_mv = 0.0, 0.0
    if rng.random() < 0.05:
        mains_hz = float(rng.choice([50.0, 60.0]))
        mains_mv = rng.uniform(0.01, 0.04)
        if mains_hz < fs / 2:
            freqs.append(mains_hz)
            amps.append(mains_mv * rng.uniform(0.3, 1.0, size=c))
            phases.append(rng.uniform(0, 2 * np.pi, c))
    w = 2.0 * np.pi * np.asarray(freqs)[:, None] * t[None, :]
    basis = np.concatenate([np.sin(w), np.cos(w)])  # (2f, n)
    coef = np.concatenate(
        [
            np.stack([a * np.cos(p) for a, p in zip(amps, phases)], axis=1),
            np.stack([a * np.sin(p) for a, p in zip(amps, phases)], axis=1),
        ],
        axis=1,
    )  # (c, 2f): a sin(wt + p) = a cos p sin wt + a sin p cos wt
    signal8 += coef @ basis
    return {
        "noise_mv": float(noise_mv),
        "wander_mv": float(wander_mv),
        "wander_hz": [float(f_slow), float(f_resp)],
        "mains_hz": mains_hz,
        "mains_mv": float(mains_mv),
    }
