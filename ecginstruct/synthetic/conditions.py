"""The label vocabulary of the synthetic source, which combinations make sense, the default
mix, and the report sentence built from the labels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from ecginstruct.types import ConfigError

# Harmonised codes (the toolkit's label vocabulary uses the same spelling).
CODES: tuple[str, ...] = ("NORM", "SR", "SBRAD", "STACH", "AFIB", "1AVB", "RBBB", "LBBB", "PVC")
RHYTHMS: tuple[str, ...] = ("SR", "SBRAD", "STACH", "AFIB")

# Pairs that cannot coexist (and why), checked after the default rhythm is filled in.
_CONFLICTS = {
    frozenset({"RBBB", "LBBB"}): "a record cannot have both right and left bundle branch block",
    frozenset(
        {"AFIB", "1AVB"}
    ): "first-degree AV block needs P waves, atrial fibrillation has none",
}

# Default condition mix: keys are codes joined by "+", each an exact combination of conditions
# (the rhythm defaults to SR, and SR alone means a normal ECG).
DEFAULT_MIX: dict[str, float] = {
    "NORM": 30.0,
    "SBRAD": 7.0,
    "STACH": 7.0,
    "AFIB": 9.0,
    "1AVB": 6.0,
    "RBBB": 6.0,
    "LBBB": 5.0,
    "PVC": 6.0,
    "SBRAD+1AVB": 3.0,
    "1AVB+PVC": 2.0,
    "1AVB+RBBB": 2.0,
    "RBBB+PVC": 2.0,
    "LBBB+PVC": 1.0,
    "STACH+RBBB": 2.0,
    "AFIB+RBBB": 3.0,
    "AFIB+LBBB": 2.0,
    "AFIB+PVC": 2.0,
    "SBRAD+PVC": 1.0,
    "STACH+PVC": 1.0,
}

_RHYTHM_TEXT = {
    "SR": "Sinus rhythm",
    "SBRAD": "Sinus bradycardia",
    "STACH": "Sinus tachycardia",
    "AFIB": "Atrial fibrillation",
}


def normalise_conditions(conditions: Iterable[str] | None) -> tuple[str, ...]:
    """Check a list of codes and complete it: sorted, with exactly one rhythm (SR when none is
    given) and NORM added when the result is plain sinus rhythm. Raises :class:`ConfigError`
    naming the unknown code or the conflicting pair."""
    if conditions is None:
        return ("NORM", "SR")
    if isinstance(conditions, str):
        conditions = [c for c in conditions.split("+") if c]
    codes = set()
    for c in conditions:
        c = str(c).strip()
        if c not in CODES:
            raise ConfigError(
                f"unknown synthetic condition {c!r}; known conditions: {', '.join(CODES)}"
            )
        codes.add(c)
    rhythms = sorted(codes & set(RHYTHMS))
    if len(rhythms) > 1:
        raise ConfigError(f"conditions name more than one rhythm: {', '.join(rhythms)}")
    if not rhythms:
        codes.add("SR")
    if "NORM" in codes and codes - {"NORM", "SR"}:
        others = ", ".join(sorted(codes - {"NORM", "SR"}))
        raise ConfigError(f"NORM (normal ECG) cannot be combined with {others}")
    for pair, why in _CONFLICTS.items():
        if pair <= codes:
            raise ConfigError(f"conditions {' and '.join(sorted(pair))} conflict: {why}")
    if codes == {"SR"}:
        codes.add("NORM")
    return tuple(sorted(codes))


def parse_mix(mix: Mapping[str, float] | None) -> tuple[list[tuple[str, ...]], np.ndarray]:
    """(combinations, probabilities) from a ``{"AFIB+RBBB": weight, ...}`` mix (``None``: the
    default). Raises :class:`ConfigError` for bad codes, conflicting or negative entries."""
    mix = DEFAULT_MIX if mix is None else mix
    if not isinstance(mix, Mapping) or not mix:
        raise ConfigError("conditions must be a non-empty mapping of condition -> weight")
    combos, weights = [], []
    for key, w in mix.items():
        try:
            w = float(w)
        except (TypeError, ValueError):
            raise ConfigError(f"conditions[{key!r}]: weight {w!r} is not a number") from None
        if not np.isfinite(w) or w < 0:
            raise ConfigError(f"conditions[{key!r}]: weight {w!r} must be >= 0")
        combos.append(normalise_conditions(str(key)))
        weights.append(w)
    total = float(sum(weights))
    if total <= 0:
        raise ConfigError("conditions: all weights are zero")
    return combos, np.asarray(weights) / total


def draw_conditions(rng: np.random.Generator, combos, probs) -> tuple[str, ...]:
    return combos[int(rng.choice(len(combos), p=probs))]


def report_text(codes: Iterable[str]) -> str:
    """A short English report, e.g. "Sinus rhythm with first-degree AV block. Right bundle
    branch block." """
    codes = set(codes)
    rhythm = next((r for r in RHYTHMS if r in codes), "SR")
    extras = []
    if "1AVB" in codes:
        extras.append("first-degree AV block")
    if "PVC" in codes:
        extras.append("premature ventricular complexes")
    sentences = [_RHYTHM_TEXT[rhythm] + (" with " + " and ".join(extras) if extras else "") + "."]
    if "RBBB" in codes:
        sentences.append("Right bundle branch block.")
    if "LBBB" in codes:
        sentences.append("Left bundle branch block.")
    if "NORM" in codes:
        sentences.append("Normal ECG.")
    return " ".join(sentences)
