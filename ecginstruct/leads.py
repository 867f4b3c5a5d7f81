"""Lead names: mapping whatever a file calls its channels to the 12 standard names."""

from __future__ import annotations

import re

from ecginstruct.types import STANDARD_LEADS

_ALIASES = {
    "i": "I",
    "ii": "II",
    "iii": "III",
    "avr": "aVR",
    "avl": "aVL",
    "avf": "aVF",
    "v1": "V1",
    "v2": "V2",
    "v3": "V3",
    "v4": "V4",
    "v5": "V5",
    "v6": "V6",
    # spellings seen in the wild
    "lead i": "I",
    "lead ii": "II",
    "lead iii": "III",
    "-avr": None,  # inverted aVR (Cabrera displays) is not the same signal: refuse to guess
}

# Channels that are not one of the 12 leads but are known and kept in meta, not an error.
KNOWN_EXTRA = {"vx", "vy", "vz", "x", "y", "z", "v3r", "v4r", "v5r", "v7", "v8", "v9", "mlii"}


def normalise_lead_name(name: str) -> str | None:
    """The standard name for a channel label, or ``None`` when it maps to none of the 12 leads.

    Case, surrounding whitespace, dashes and underscores are ignored (``"AVR"``, ``"avr"``,
    ``"Lead II"``, ``"V_1"`` all work).
    """
    key = re.sub(r"[\s_]+", " ", str(name).strip().lower())
    key = key.replace("lead-", "lead ")
    if key in _ALIASES:
        return _ALIASES[key]
    compact = key.replace(" ", "").replace("-", "")
    if compact in _ALIASES:
        return _ALIASES[compact]
    return None


def is_known_extra(name: str) -> bool:
    return re.sub(r"[\s_\-]+", "", str(name).strip().lower()) in KNOWN_EXTRA


__all__ = ["STANDARD_LEADS", "normalise_lead_name", "is_known_extra"]
