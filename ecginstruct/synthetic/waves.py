"""Wave shapes and lead geometry of the synthetic dipole model.

Every wave (P, Q, R, S, T and their parts) is a 3-D direction vector (mV) times a *truncated
Gaussian* time profile: a Gaussian cut at two standard deviations on each side and lowered so
that it is exactly zero at both ends. The profile therefore has compact support on whole
samples, so wave onsets and offsets are known exactly (the signal is exactly 0.0 outside and
strictly non-zero inside), and the kink at the cut keeps onsets visible as on a real ECG.

Coordinates of the dipole: x = patient's left, y = inferior (feet), z = anterior. Only leads I,
II and V1..V6 are projections of the dipole; III, aVR, aVL and aVF are *derived* from I and II in
float32 with Einthoven's and Goldberger's formulas, so the identities hold bit for bit.
"""

from __future__ import annotations

import numpy as np

_E2 = float(np.exp(-2.0))

# Frontal plane: lead I along +x (0 deg), lead II at +60 deg (towards the feet).
_FRONTAL = np.array([[1.0, 0.0, 0.0], [0.5, np.sqrt(3.0) / 2.0, 0.0]])


def _precordial(angle_deg: float, elevation_deg: float, gain: float) -> list[float]:
    """A chest lead vector: angle in the horizontal plane from +x (left) towards +z (anterior)."""
    a, e = np.radians(angle_deg), np.radians(elevation_deg)
    return [gain * np.cos(a) * np.cos(e), gain * np.sin(e), gain * np.sin(a) * np.cos(e)]


# Chest lead directions after Dower's inverse transform (V1 anterior-right of the sternum at
# ~120 deg ... V6 left lateral, slightly posterior). The gains (> 1) reflect that the chest
# electrodes sit closer to the heart than the limb electrodes; V2-V4 carry the largest QRS.
_PRECORDIAL = np.array(
    [
        _precordial(119.0, 8.0, 1.45),  # V1
        _precordial(90.0, 7.0, 2.0),  # V2
        _precordial(60.0, 5.0, 2.1),  # V3
        _precordial(35.0, 5.0, 1.95),  # V4
        _precordial(10.0, 6.0, 1.65),  # V5
        _precordial(-10.0, 5.0, 1.3),  # V6
    ]
)

# The 8 independent leads (I, II, V1..V6) as rows: signal8 = PROJECTION @ dipole.
PROJECTION = np.vstack([_FRONTAL, _PRECORDIAL])

# All 12 lead vectors (standard order), for computing areas/amplitudes of clean templates.
LEAD_VECTORS = np.vstack(
    [
        _FRONTAL[0],
        _FRONTAL[1],
        _FRONTAL[1] - _FRONTAL[0],  # III = II - I
        -(_FRONTAL[0] + _FRONTAL[1]) / 2.0,  # aVR
        _FRONTAL[0] - _FRONTAL[1] / 2.0,  # aVL
        _FRONTAL[1] - _FRONTAL[0] / 2.0,  # aVF
        _PRECORDIAL,
    ]
)


def profile(length: int, peak: float) -> np.ndarray:
    """Truncated-Gaussian profile on samples ``0..length`` (``length + 1`` values).

    Exactly 0.0 at samples 0 and ``length``, strictly positive in between, 1.0 at ``peak`` (a
    fraction of ``length`` in (0, 1): < 0.5 gives a fast rise and slow fall, > 0.5 the reverse,
    as for a T wave).
    """
    if length < 2:
        raise ValueError(f"wave length {length} is shorter than 2 samples")
    k = np.arange(length + 1, dtype=np.float64)
    p = min(max(float(peak), 0.5 / length), 1.0 - 0.5 / length) * length
    x = np.where(k < p, 2.0 * (k - p) / p, 2.0 * (k - p) / (length - p))
    y = (np.exp(-0.5 * x * x) - _E2) / (1.0 - _E2)
    y[0] = 0.0
    y[-1] = 0.0
    return np.maximum(y, 0.0)


def add_wave(template: np.ndarray, start: int, length: int, peak: float, vector) -> None:
    """Add one wave (``vector`` times :func:`profile`) to a (3, n) dipole template in place."""
    prof = profile(length, peak)
    template[:, start : start + length + 1] += np.asarray(vector, dtype=np.float64)[:, None] * prof


def derive_leads(signal8: np.ndarray) -> np.ndarray:
    """(8, n) rows I, II, V1..V6 -> (12, n) float32 in standard order.

    III, aVR, aVL and aVF are computed from the float32 I and II, so ``III == II - I``,
    ``aVR == -(I + II) / 2``, ``aVL == I - II / 2`` and ``aVF == II - I / 2`` hold exactly.
    """
    s8 = np.asarray(signal8, dtype=np.float32)
    out = np.empty((12, s8.shape[1]), dtype=np.float32)
    lead_i, lead_ii = s8[0], s8[1]
    out[0] = lead_i
    out[1] = lead_ii
    out[2] = lead_ii - lead_i
    out[3] = -(lead_i + lead_ii) / np.float32(2)
    out[4] = lead_i - lead_ii / np.float32(2)
    out[5] = lead_ii - lead_i / np.float32(2)
    out[6:] = s8[2:]
    return out


def rotation(frontal_deg: float = 0.0, horizontal_deg: float = 0.0) -> np.ndarray:
    """3x3 rotation: first ``horizontal_deg`` turns vectors from +x towards +z (anterior, which
    moves the precordial transition towards V2), then ``frontal_deg`` turns them from +x towards +y
    (the frontal axis increases by exactly that angle; z is left alone, so the frontal rotation can
    be solved for a target axis after the horizontal one)."""
    f, h = np.radians(frontal_deg), np.radians(horizontal_deg)
    rf = np.array([[np.cos(f), -np.sin(f), 0.0], [np.sin(f), np.cos(f), 0.0], [0.0, 0.0, 1.0]])
    rh = np.array([[np.cos(h), 0.0, -np.sin(h)], [0.0, 1.0, 0.0], [np.sin(h), 0.0, np.cos(h)]])
    return rf @ rh


def axis_angle_rotation(axis, angle_deg: float) -> np.ndarray:
    """3x3 rotation by ``angle_deg`` about the unit vector ``axis`` (Rodrigues' formula)."""
    k = np.asarray(axis, dtype=np.float64)
    k = k / np.linalg.norm(k)
    a = np.radians(angle_deg)
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(a) * kx + (1.0 - np.cos(a)) * (kx @ kx)


def frontal_axis_deg(area_i: float, area_avf: float) -> float:
    """The frontal axis as defined throughout this package: ``atan2(aVF, I)`` in degrees, from
    the net (signed) areas of a wave in leads I and aVF."""
    return float(np.degrees(np.arctan2(area_avf, area_i)))
