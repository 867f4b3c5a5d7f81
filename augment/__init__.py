"""Page -> page: paper, scanner and phone-photo artifacts, every one seeded and geometry-aware.

Entry points (see docs/augmentation.md)::

    apply_style(page, style, intensity, rng) -> Page     # a preset chain, choices from rng
    draw_style(rng, weights=None) -> (style, intensity)  # per-page style from the seed
    replay(page, transforms) -> Page                     # re-apply recorded params exactly
    lead_masks(page) -> (n_panels, H, W) bool            # per-panel trace masks
    write_masks(page, out_dir) -> [Path]                 # one PNG per panel + masks.json
    unwarp(image, page.warp, page.page_size_px)          # back to the page frame

Transforms follow the Augmenter contract (``sample(rng, page)``, ``apply(page, params)``); the
table of them is :data:`augment.base.TRANSFORMS`.
"""

from augment import albu as _albu  # noqa: F401  (sets NO_ALBUMENTATIONS_UPDATE before import)
from augment.base import (
    TRANSFORMS,
    AugmentError,
    Chain,
    Link,
    Transform,
    get_transform,
    replay,
)
from augment.geometry import map_points, unwarp
from augment.masks import label_image, lead_masks, write_masks
from augment.presets import INTENSITIES, STYLES, apply_style, draw_style, preset

__all__ = [
    "INTENSITIES",
    "STYLES",
    "TRANSFORMS",
    "AugmentError",
    "Chain",
    "Link",
    "Transform",
    "apply_style",
    "draw_style",
    "get_transform",
    "label_image",
    "lead_masks",
    "map_points",
    "preset",
    "replay",
    "unwarp",
    "write_masks",
]
