"""The Augmenter contract, the transform table and chains.

A transform draws every random choice in ``sample(rng, page)`` into a JSON-serialisable dict;
``apply(page, params)`` is then a pure function of (page, params): it returns a new :class:`Page`
and appends ``{"name", "params"}`` to ``page.transforms``, so :func:`replay` re-creates the image
from the rendered page and the recorded list alone. Noise that is too big to store is drawn from
``np.random.default_rng(params["seed"])`` inside ``apply``.

Geometric transforms also append one step (see :mod:`augment.geometry`) to ``page.warp``, move
every ``LeadPanel.polyline`` to the image frame, set ``LeadPanel.image_box`` and keep the
calibration and text boxes, mapped to the image frame, in ``page.meta["image_calibration_boxes"]``
and ``page.meta["image_text_boxes"]`` (``Page.calibration_boxes``/``text_boxes`` stay in the page
frame, like ``LeadPanel.box``).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from augment import geometry
from ecginstruct.types import ConfigError, Page, RecordError

# name -> "module:Class". Static on purpose (no global mutable registry): a new transform is a
# class in one of the modules plus one line here; tests/test_augment_registry.py then demands
# test parameters for it.
TRANSFORMS: dict[str, str] = {
    # paper
    "paper_tint": "augment.paper:PaperTint",
    "wrinkles": "augment.paper:Wrinkles",
    "fold": "augment.paper:Fold",
    "stain": "augment.paper:Stain",
    "pen_marks": "augment.marks:PenMarks",
    "stamp": "augment.marks:Stamp",
    "holes": "augment.paper:Holes",
    "torn_edge": "augment.paper:TornEdge",
    "dog_ear": "augment.paper:DogEar",
    # scanner
    "skew": "augment.scanner:Skew",
    "scan_margins": "augment.scanner:ScanMargins",
    "scanner_noise": "augment.scanner:ScannerNoise",
    "toner_fade": "augment.scanner:TonerFade",
    "blur": "augment.scanner:Blur",
    "low_dpi": "augment.scanner:LowDpi",
    "grayscale": "augment.scanner:Grayscale",
    "binarize": "augment.scanner:Binarize",
    "moire": "augment.scanner:Moire",
    "jpeg": "augment.scanner:Jpeg",
    # phone photo
    "perspective": "augment.photo:Perspective",
    "lens": "augment.photo:Lens",
    "illumination": "augment.photo:Illumination",
    "shadow": "augment.photo:Shadow",
    "glare": "augment.photo:Glare",
    "defocus": "augment.photo:Defocus",
    "motion_blur": "augment.photo:MotionBlur",
    "sensor_noise": "augment.photo:SensorNoise",
    "color_cast": "augment.photo:ColorCast",
}


class AugmentError(RecordError):
    """A page that cannot be augmented (wrong image type, params that do not fit the page)."""

    kind = "augment_failed"


def page_error(page: Page, reason: str) -> AugmentError:
    """An :class:`AugmentError` naming the page's source and record (from its meta or spec)."""
    meta, spec = page.meta or {}, page.spec or {}
    source = str(meta.get("source") or spec.get("source") or "unknown")
    record = str(meta.get("record_id") or spec.get("record_id") or "unknown")
    return AugmentError(source, record, reason, stage="augment")


def check_page(page: Page) -> None:
    img = page.image
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim != 3:
        raise page_error(page, "page image must be a uint8 (H, W, 3) array")
    if img.shape[2] != 3 or img.shape[0] < 8 or img.shape[1] < 8:
        raise page_error(page, f"page image has shape {img.shape}, expected (H>=8, W>=8, 3)")


def to_py(x: Any) -> Any:
    """Plain Python (JSON-serialisable) copy of numpy scalars/arrays nested in lists/dicts."""
    if isinstance(x, dict):
        return {str(k): to_py(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_py(v) for v in x]
    if isinstance(x, np.ndarray):
        return to_py(x.tolist())
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def new_seed(rng: np.random.Generator) -> int:
    """A seed for noise drawn inside ``apply`` (stored in params, so apply stays pure)."""
    return int(rng.integers(0, 2**31 - 1))


class Transform:
    """Base of every transform. Subclasses set ``name`` and implement ``sample`` and either
    ``apply_image`` (pixel transforms) or ``warp`` (geometric ones, ``geometric = True``).

    ``strength`` in (0, 1] scales the ranges ``sample`` draws from (the presets' intensity);
    ``apply`` never reads it, so a default instance replays any recorded params.
    """

    name: ClassVar[str] = ""
    geometric: ClassVar[bool] = False

    def __init__(self, strength: float = 0.5):
        if not 0.0 < float(strength) <= 1.0:
            raise ConfigError(f"{self.name}: strength must be in (0, 1], got {strength!r}")
        self.strength = float(strength)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(strength={self.strength:g})"

    def sample(self, rng: np.random.Generator, page: Page) -> dict[str, Any]:
        raise NotImplementedError

    def apply_image(self, image: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        raise NotImplementedError

    def warp(self, page: Page, params: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        """Geometric transforms: (new image, warp step)."""
        raise NotImplementedError

    def __call__(self, page: Page, rng: np.random.Generator) -> Page:
        return self.apply(page, self.sample(rng, page))

    def apply(self, page: Page, params: dict[str, Any]) -> Page:
        check_page(page)
        params = to_py(params)
        try:
            if self.geometric:
                image, step = self.warp(page, params)
                return with_step(page, image, step, {"name": self.name, "params": params})
            image = self.apply_image(page.image, params)
        except KeyError as e:
            raise ConfigError(f"{self.name}: params lack {e.args[0]!r}") from None
        return with_image(page, image, {"name": self.name, "params": params})


def with_image(page: Page, image: np.ndarray, record: dict[str, Any]) -> Page:
    """A new page with ``image`` and ``record`` appended to its transforms (geometry unchanged)."""
    return dataclasses.replace(
        page,
        image=np.ascontiguousarray(image, dtype=np.uint8),
        panels=list(page.panels),
        transforms=[*page.transforms, record],
        meta=dict(page.meta),
    )


def with_step(page: Page, image: np.ndarray, step: dict[str, Any], record: dict[str, Any]) -> Page:
    """A new page whose geometry went through ``step``: polylines, image boxes and warp follow."""
    geometry.validate_step(step)
    step = to_py(step)
    warp = [*(page.warp or []), step]
    # Every point that moves, in one batch (the field step inverts numerically per call):
    # polylines through the new step, page-frame box outlines through the whole warp.
    lines = [np.asarray(p.polyline, dtype=np.float64).reshape(-1, 2) for p in page.panels]
    boxes = [p.box for p in page.panels] + list(page.calibration_boxes) + list(page.text_boxes)
    outline = [geometry.box_outline(b) for b in boxes]
    moved_lines = _split(geometry.forward_points(step, _cat(lines)), lines)
    moved_boxes = [_bbox(o) for o in _split(geometry.map_points(warp, _cat(outline)), outline)]
    n, nc = len(page.panels), len(page.calibration_boxes)
    panels = [
        dataclasses.replace(p, polyline=ml.astype(np.float32), image_box=mb)
        for p, ml, mb in zip(page.panels, moved_lines, moved_boxes[:n])
    ]
    meta = dict(page.meta)
    meta["image_calibration_boxes"] = [list(b) for b in moved_boxes[n : n + nc]]
    meta["image_text_boxes"] = [list(b) for b in moved_boxes[n + nc :]]
    return dataclasses.replace(
        page,
        image=np.ascontiguousarray(image, dtype=np.uint8),
        panels=panels,
        transforms=[*page.transforms, record],
        warp=warp,
        page_size_px=page.page_size_px or (page.width, page.height),
        meta=meta,
    )


def _cat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros((0, 2))


def _split(points: np.ndarray, like: list[np.ndarray]) -> list[np.ndarray]:
    return np.split(points, np.cumsum([len(a) for a in like])[:-1]) if like else []


def _bbox(points: np.ndarray) -> tuple[float, float, float, float]:
    return (
        float(points[:, 0].min()),
        float(points[:, 1].min()),
        float(points[:, 0].max()),
        float(points[:, 1].max()),
    )


def get_transform(name: str, strength: float = 0.5) -> Transform:
    """An instance of the transform called ``name`` (see :data:`TRANSFORMS`)."""
    try:
        target = TRANSFORMS[name]
    except KeyError:
        raise ConfigError(
            f"unknown transform {name!r}; known: {', '.join(sorted(TRANSFORMS))}"
        ) from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)(strength)


def replay(page: Page, transforms: Sequence[dict[str, Any]]) -> Page:
    """Re-apply recorded ``{"name", "params"}`` dicts to the *rendered* page, in order.

    ``replay(render_page(record, spec), augmented.transforms)`` gives back the augmented image
    byte for byte (and the same annotations).
    """
    for t in transforms:
        if not isinstance(t, dict) or "name" not in t or "params" not in t:
            raise ConfigError(f"a recorded transform must be a dict with name and params: {t!r}")
        page = get_transform(t["name"]).apply(page, t["params"])
    return page


@dataclasses.dataclass(frozen=True)
class Link:
    """One link of a chain: with probability ``p``, one of ``transforms`` (picked by ``weights``,
    uniform when None) runs."""

    transforms: tuple[Transform, ...]
    p: float = 1.0
    weights: tuple[float, ...] | None = None

    def __post_init__(self):
        if not self.transforms:
            raise ConfigError("a chain link needs at least one transform")
        if self.weights is not None and len(self.weights) != len(self.transforms):
            raise ConfigError("a chain link needs one weight per transform")

    def pick(self, rng: np.random.Generator) -> Transform | None:
        # Both draws always happen, so a link's outcome never shifts the draws of later links
        # between runs of the same style.
        coin, which = rng.random(), rng.random()
        if coin >= self.p:
            return None
        w = np.asarray(self.weights or [1.0] * len(self.transforms), dtype=np.float64)
        k = int(np.searchsorted(np.cumsum(w / w.sum()), which, side="right"))
        return self.transforms[min(k, len(self.transforms) - 1)]


class Chain:
    """Links applied in order, all choices drawn from one rng.

    ``chain(page, rng)`` runs it. For the :class:`~ecginstruct.types.Augmenter` protocol,
    ``sample`` runs the chain and returns the recorded list (a transform's params depend on the
    page the previous ones left) and ``apply`` replays it.
    """

    name = "chain"

    def __init__(self, links: Sequence[Link | Transform]):
        self.links = [x if isinstance(x, Link) else Link((x,)) for x in links]

    def __repr__(self) -> str:
        return f"Chain({self.links!r})"

    def __call__(self, page: Page, rng: np.random.Generator) -> Page:
        check_page(page)
        for link in self.links:
            t = link.pick(rng)
            if t is not None:
                page = t(page, rng)
        return page

    def sample(self, rng: np.random.Generator, page: Page) -> dict[str, Any]:
        n0 = len(page.transforms)
        return {"transforms": self(page, rng).transforms[n0:]}

    def apply(self, page: Page, params: dict[str, Any]) -> Page:
        return replay(page, params["transforms"])
