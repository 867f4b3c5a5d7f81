"""``RenderSpec``: every choice the paper renderer makes, validated, serialisable and sampleable.

A spec is plain data: ``to_dict()`` goes into ``Page.spec`` (and the dataset's metadata) and
``from_dict()`` rebuilds it, so a page can be re-rendered from (record, spec, seed) alone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from ecginstruct.types import STANDARD_LEADS, ConfigError

LAYOUTS = ("3x4+1", "3x4+3", "6x2", "12x1", "3x4")
LEAD_ORDERS = ("standard", "cabrera")
SPEEDS = (25, 50)
GAINS = (5, 10, 20)
PAPERS = ("letter", "a4")
GRID_COLORS = ("red", "pink", "green", "blue", "grey", "none")
OVERFLOWS = ("clip", "overlap")
DPI_RANGE = (100, 600)
LINE_WIDTH_RANGE_MM = (0.05, 1.5)

# The three rhythm strips of a "3x4+3" page when the spec names fewer (GE / Philips default).
DEFAULT_THREE_RHYTHM = ("V1", "II", "V5")


@dataclass
class RenderSpec:
    """How to print one ECG page.

    ``rhythm_leads`` names the rhythm strip lead(s): "3x4+1" uses the first, "3x4+3" uses three
    (V1, II, V5 when fewer are given and all are among them, else the given ones padded from
    V1, II, V5); other layouts ignore it. ``start_s`` fixes the
    first second shown; ``None`` means 0, or a window drawn from the renderer's rng when the record
    is longer than the page needs. ``filter_text`` is printed in the header; ``None`` derives it
    from the sampling rate (``0.05-150 Hz``, capped at Nyquist). ``line_width_mm`` is the trace
    width on paper. ``header_measurements=False`` leaves the machine measurements (rate, PR, QRS,
    QT/QTc, axes) out of the header -- the build does so when the sample's question asks for one of
    them, so the answer is not printed on the page.
    """

    layout: str = "3x4+1"
    rhythm_leads: tuple[str, ...] = ("II",)
    lead_order: str = "standard"
    speed_mm_s: float = 25
    gain_mm_mv: float = 10
    dpi: int = 200
    paper: str = "letter"
    grid_color: str = "red"
    overflow: str = "overlap"
    header: bool = True
    header_measurements: bool = True
    line_width_mm: float = 0.3
    start_s: float | None = None
    filter_text: str | None = None

    # ---------------------------------------------------------------- validation

    def validate(self) -> RenderSpec:
        """Raise :class:`ConfigError` naming the first bad field and its allowed values."""
        _one_of("layout", self.layout, LAYOUTS)
        _one_of("lead_order", self.lead_order, LEAD_ORDERS)
        _one_of("speed_mm_s", self.speed_mm_s, SPEEDS)
        _one_of("gain_mm_mv", self.gain_mm_mv, GAINS)
        _one_of("paper", self.paper, PAPERS)
        _one_of("grid_color", self.grid_color, GRID_COLORS)
        _one_of("overflow", self.overflow, OVERFLOWS)
        if isinstance(self.rhythm_leads, str) or not self.rhythm_leads:
            raise ConfigError(
                f"render spec field 'rhythm_leads' must be a non-empty list of lead names, "
                f"got {self.rhythm_leads!r}"
            )
        for lead in self.rhythm_leads:
            if lead not in STANDARD_LEADS:
                raise ConfigError(
                    f"render spec field 'rhythm_leads' has {lead!r}; allowed: "
                    f"{', '.join(STANDARD_LEADS)}"
                )
        if len(set(self.rhythm_leads)) != len(self.rhythm_leads):
            raise ConfigError(
                f"render spec field 'rhythm_leads' repeats a lead: {self.rhythm_leads}"
            )
        if self.layout == "3x4+3" and len(self.rhythm_leads) > 3:
            raise ConfigError("render spec field 'rhythm_leads' has more than 3 leads for 3x4+3")
        if not _is_number(self.dpi) or int(self.dpi) != self.dpi:
            raise ConfigError(f"render spec field 'dpi' must be an integer, got {self.dpi!r}")
        if not DPI_RANGE[0] <= self.dpi <= DPI_RANGE[1]:
            raise ConfigError(
                f"render spec field 'dpi' is {self.dpi}; allowed: {DPI_RANGE[0]}..{DPI_RANGE[1]}"
            )
        lo, hi = LINE_WIDTH_RANGE_MM
        if not _is_number(self.line_width_mm) or not lo <= self.line_width_mm <= hi:
            raise ConfigError(
                f"render spec field 'line_width_mm' is {self.line_width_mm!r}; allowed: {lo}..{hi}"
            )
        if not isinstance(self.header_measurements, bool):
            raise ConfigError(
                "render spec field 'header_measurements' must be true or false, "
                f"got {self.header_measurements!r}"
            )
        if not isinstance(self.header, bool):
            raise ConfigError(
                f"render spec field 'header' must be true or false, got {self.header!r}"
            )
        if self.start_s is not None and (not _is_number(self.start_s) or self.start_s < 0):
            raise ConfigError(
                f"render spec field 'start_s' must be null or a number >= 0, got {self.start_s!r}"
            )
        if self.filter_text is not None and not isinstance(self.filter_text, str):
            raise ConfigError(
                f"render spec field 'filter_text' must be text, got {self.filter_text!r}"
            )
        return self

    # ---------------------------------------------------------------- derived values

    def resolved_rhythm_leads(self) -> tuple[str, ...]:
        """The rhythm strip leads this layout actually draws, top to bottom."""
        if self.layout == "3x4+1":
            return (self.rhythm_leads[0],)
        if self.layout == "3x4+3":
            if len(self.rhythm_leads) < 3 and set(self.rhythm_leads) <= set(DEFAULT_THREE_RHYTHM):
                return DEFAULT_THREE_RHYTHM  # the default ("II",) gives the usual V1, II, V5
            leads = list(self.rhythm_leads)
            for lead in DEFAULT_THREE_RHYTHM:
                if len(leads) < 3 and lead not in leads:
                    leads.append(lead)
            return tuple(leads)
        return ()

    def key(self) -> tuple:
        """A hashable key of every field (used to cache page templates)."""
        return tuple(tuple(v) if isinstance(v, list) else v for v in dataclasses.astuple(self))

    # ---------------------------------------------------------------- (de)serialisation

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["rhythm_leads"] = list(self.rhythm_leads)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> RenderSpec:
        """Build and validate a spec; unknown keys raise :class:`ConfigError`."""
        d = dict(d or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(
                f"unknown render spec field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        if "rhythm_leads" in d:
            r = d["rhythm_leads"]
            d["rhythm_leads"] = (r,) if isinstance(r, str) else tuple(r)
        return cls(**d).validate()

    # ---------------------------------------------------------------- sampling

    @classmethod
    def sample(cls, rng: np.random.Generator, **fixed: Any) -> RenderSpec:
        """A plausible random spec for dataset builds, deterministic from ``rng``.

        Mostly the clinical default (3x4+1, lead II strip, 25 mm/s, 10 mm/mV) with some variety.
        ``fixed`` pins fields (e.g. ``dpi=300``); every field is still drawn so that pinning one
        does not shift the random stream of the others.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(fixed) - known)
        if unknown:
            raise ConfigError(f"unknown render spec field(s) {', '.join(unknown)}")

        def pick(options, p):
            return options[int(rng.choice(len(options), p=np.asarray(p) / np.sum(p)))]

        drawn = {
            "layout": pick(LAYOUTS, [0.70, 0.08, 0.08, 0.06, 0.08]),
            "rhythm_leads": (pick(("II", "V1", "V5"), [0.8, 0.1, 0.1]),),
            "lead_order": pick(LEAD_ORDERS, [0.92, 0.08]),
            "speed_mm_s": pick(SPEEDS, [0.93, 0.07]),
            "gain_mm_mv": pick(GAINS, [0.06, 0.88, 0.06]),
            "paper": pick(PAPERS, [0.6, 0.4]),
            "grid_color": pick(GRID_COLORS, [0.45, 0.25, 0.08, 0.07, 0.10, 0.05]),
            "overflow": pick(OVERFLOWS, [0.35, 0.65]),
            "header": bool(rng.random() < 0.92),
            "line_width_mm": float(np.round(rng.uniform(0.28, 0.45), 2)),
        }
        drawn.update(fixed)
        if "rhythm_leads" in fixed and isinstance(fixed["rhythm_leads"], str):
            drawn["rhythm_leads"] = (fixed["rhythm_leads"],)
        return cls(**drawn).validate()


def as_spec(spec: RenderSpec | dict[str, Any] | None) -> RenderSpec:
    """Accept a spec, a dict (from JSON/YAML) or ``None`` (defaults); always validated."""
    if spec is None:
        return RenderSpec().validate()
    if isinstance(spec, RenderSpec):
        return spec.validate()
    if isinstance(spec, dict):
        return RenderSpec.from_dict(spec)
    raise ConfigError(f"render spec must be a RenderSpec or a dict, got {type(spec).__name__}")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _one_of(name: str, value: Any, allowed: tuple) -> None:
    ok = value in allowed and (not isinstance(value, bool))
    if not ok:
        shown = ", ".join(str(a) for a in allowed)
        raise ConfigError(f"render spec field {name!r} is {value!r}; allowed: {shown}")
