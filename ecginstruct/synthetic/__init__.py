"""A physiologically consistent synthetic 12-lead ECG generator (cardiac dipole model).

``simulate(rng, conditions=[...])`` makes the signal, labels, exact measurements and wave
fiducials; ``simulate_record`` wraps them as an :class:`~ecginstruct.types.ECGRecord`. The
source :class:`ecginstruct.sources.synthetic.SyntheticSource` serves numbered records.
"""

from ecginstruct.synthetic.conditions import (
    CODES,
    DEFAULT_MIX,
    RHYTHMS,
    normalise_conditions,
    report_text,
)
from ecginstruct.synthetic.generator import Simulation, simulate, simulate_record
from ecginstruct.synthetic.morphology import Anatomy, draw_anatomy

__all__ = [
    "CODES",
    "DEFAULT_MIX",
    "RHYTHMS",
    "Anatomy",
    "Simulation",
    "draw_anatomy",
    "normalise_conditions",
    "report_text",
    "simulate",
    "simulate_record",
]
