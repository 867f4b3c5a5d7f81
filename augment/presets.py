"""Style presets: printed, scanned, photographed, each at light, medium or heavy intensity.

A preset is a :class:`~augment.base.Chain` in physical order -- what happens to the paper, then
how it is captured, then how the file is saved. The intensity sets each link's probability and
the ``strength`` its transforms draw their ranges from. Style and intensity of a page are drawn
from the page's seed by :func:`draw_style` (weights settable by a recipe).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from augment.base import Chain, Link, check_page, get_transform
from ecginstruct.types import ConfigError, Page

STYLES: tuple[str, ...] = ("printed", "scanned", "photographed")
INTENSITIES: tuple[str, ...] = ("light", "medium", "heavy")
STRENGTH = {"light": 0.3, "medium": 0.6, "heavy": 1.0}
ALIASES = {"print": "printed", "scan": "scanned", "photo": "photographed"}
DEFAULT_STYLE_WEIGHTS = {"printed": 1.0, "scanned": 1.0, "photographed": 1.0}
DEFAULT_INTENSITY_WEIGHTS = {"light": 0.3, "medium": 0.5, "heavy": 0.2}

# (transform names (one is picked), probability at light/medium/heavy, weights or None)
_PAPER = [
    (("paper_tint",), (0.5, 0.7, 0.9), None),
    (("toner_fade",), (0.05, 0.2, 0.45), None),
    (("stain",), (0.0, 0.15, 0.4), None),
    (("fold",), (0.0, 0.2, 0.5), None),
    (("pen_marks",), (0.05, 0.25, 0.5), None),
    (("stamp",), (0.0, 0.1, 0.25), None),
    (("holes",), (0.0, 0.1, 0.3), None),
    (("torn_edge", "dog_ear"), (0.0, 0.08, 0.3), None),
]
_SCAN = [
    (("skew",), (0.8, 1.0, 1.0), None),
    (("scan_margins",), (0.3, 0.5, 0.7), None),
    (("blur",), (0.5, 0.7, 0.9), None),
    (("low_dpi",), (0.2, 0.4, 0.6), None),
    (("moire",), (0.0, 0.1, 0.25), None),
    (("scanner_noise",), (0.6, 0.85, 1.0), None),
    (("grayscale", "binarize"), (0.15, 0.35, 0.5), (3.0, 1.0)),
    (("jpeg",), (0.5, 0.7, 0.9), None),
]
_PHOTO = [
    (("wrinkles",), (0.15, 0.45, 0.8), None),
    (("perspective",), (1.0, 1.0, 1.0), None),
    (("lens",), (0.5, 0.7, 0.9), None),
    (("illumination",), (0.8, 1.0, 1.0), None),
    (("shadow",), (0.1, 0.35, 0.6), None),
    (("glare",), (0.1, 0.3, 0.5), None),
    (("defocus", "motion_blur"), (0.4, 0.6, 0.8), (2.0, 1.0)),
    (("sensor_noise",), (0.8, 1.0, 1.0), None),
    (("color_cast",), (0.6, 0.8, 1.0), None),
    (("jpeg",), (0.8, 1.0, 1.0), None),
]
# Paper artifacts are milder under a scan or photo preset: the capture adds its own damage.
_RECIPES = {
    "printed": [(_PAPER, 1.0)],
    "scanned": [(_PAPER, 0.7), (_SCAN, 1.0)],
    "photographed": [(_PAPER, 0.6), (_PHOTO, 1.0)],
}


def resolve(style: str, intensity: str | float) -> tuple[str, str, float]:
    """(style, intensity name, strength) from a style name or alias and an intensity name or a
    number in (0, 1] (a number sets the strength and picks the nearest intensity's links)."""
    st = ALIASES.get(str(style), str(style))
    if st not in STYLES:
        raise ConfigError(
            f"unknown style {style!r}; known: {', '.join(STYLES)} (or random/mix, "
            f"aliases {', '.join(ALIASES)})"
        )
    if isinstance(intensity, str) and intensity in STRENGTH:
        return st, intensity, STRENGTH[intensity]
    try:
        x = float(intensity)
    except (TypeError, ValueError):
        raise ConfigError(
            f"unknown intensity {intensity!r}; known: {', '.join(INTENSITIES)} or a number in (0, 1]"
        ) from None
    if not 0.0 < x <= 1.0:
        raise ConfigError(f"intensity must be in (0, 1], got {intensity!r}")
    name = "light" if x < 0.45 else "medium" if x < 0.8 else "heavy"
    return st, name, x


def preset(style: str, intensity: str | float = "medium") -> Chain:
    """The chain of ``style`` at ``intensity`` (names or aliases, see :func:`resolve`)."""
    st, name, strength = resolve(style, intensity)
    level = INTENSITIES.index(name)
    links = []
    for table, scale in _RECIPES[st]:
        for names, probs, weights in table:
            ts = tuple(get_transform(n, strength) for n in names)
            links.append(Link(ts, p=probs[level] * scale, weights=weights))
    return Chain(links)


def draw_style(
    rng: np.random.Generator, weights: Mapping[str, float] | None = None
) -> tuple[str, str]:
    """Draw (style, intensity) for one page.

    ``weights`` maps a style (``"scanned"``) or a style and intensity (``"scanned/heavy"``) to a
    weight; a bare style spreads its weight over intensities as
    :data:`DEFAULT_INTENSITY_WEIGHTS`. Default: the three styles equally likely.
    """
    weights = dict(DEFAULT_STYLE_WEIGHTS if weights is None else weights)
    combos: dict[tuple[str, str], float] = {}
    for key, w in weights.items():
        w = float(w)
        if w < 0 or not np.isfinite(w):
            raise ConfigError(f"style weight for {key!r} must be a finite number >= 0, got {w!r}")
        style, _, inten = str(key).partition("/")
        style = ALIASES.get(style, style)
        if style not in STYLES or (inten and inten not in INTENSITIES):
            raise ConfigError(
                f"unknown style weight key {key!r}; use a style ({', '.join(STYLES)}) "
                f"or style/intensity ({', '.join(INTENSITIES)})"
            )
        spread = {inten: 1.0} if inten else DEFAULT_INTENSITY_WEIGHTS
        total = sum(spread.values())
        for i, wi in spread.items():
            combos[(style, i)] = combos.get((style, i), 0.0) + w * wi / total
    keys = sorted(combos)
    p = np.array([combos[k] for k in keys], dtype=np.float64)
    if p.sum() <= 0:
        raise ConfigError("style weights sum to zero")
    k = int(np.searchsorted(np.cumsum(p / p.sum()), rng.random(), side="right"))
    return keys[min(k, len(keys) - 1)]


def apply_style(
    page: Page,
    style: str,
    intensity: str | float,
    rng: np.random.Generator,
    weights: Mapping[str, float] | None = None,
) -> Page:
    """Augment ``page`` in ``style`` at ``intensity``; every choice comes from ``rng``.

    ``style`` may be ``"random"`` (or ``"mix"``): style and intensity are then drawn with
    :func:`draw_style` (``weights``) and ``intensity`` is ignored. The result records
    ``meta["augment"] = {"style", "intensity", "strength"}`` and every applied transform in
    ``transforms``.
    """
    check_page(page)
    if style in ("random", "mix"):
        style, intensity = draw_style(rng, weights)
    st, name, strength = resolve(style, intensity)
    out = preset(st, strength if not isinstance(intensity, str) else name)(page, rng)
    if out is page:  # nothing applied: still hand back a new page
        out = dataclasses.replace(page, panels=list(page.panels), meta=dict(page.meta))
    out.meta["augment"] = {"style": st, "intensity": name, "strength": strength}
    return out
