"""Light presets keep the page readable: unwarp the augmented image back to the page frame with
the inverse of Page.warp, digitize it on the original panel geometry, and compare with the
source signal (the foundation issue's round trip, median r >= 0.95)."""

from __future__ import annotations

import numpy as np
import pytest

import augment
from augment.testing import demo_page
from renderers.digitize import fidelity_from_image, summarize


@pytest.fixture(scope="module")
def rendered():
    return demo_page(100)


@pytest.mark.parametrize("style", augment.STYLES)
def test_light_presets_keep_the_round_trip(rendered, style):
    record, page = rendered
    for seed in range(2):
        out = augment.apply_style(page, style, "light", np.random.default_rng(seed))
        image = augment.unwarp(out.image, out.warp, out.page_size_px or (out.width, out.height))
        assert image.shape == page.image.shape
        s = summarize(fidelity_from_image(image, page.panels, record, page.calibration_boxes))
        assert s["median_r"] >= 0.95, (style, seed, [t["name"] for t in out.transforms], s)


def test_unwarp_is_what_makes_the_photo_readable(rendered):
    """Without unwarping, the page-frame digitizer misreads a photographed page: the unwarp
    (and so the stored geometry) is doing the work."""
    record, page = rendered
    out = augment.get_transform("perspective", 1.0)(page, np.random.default_rng(0))
    raw = out.image[: page.height, : page.width]
    raw = np.pad(raw, ((0, page.height - raw.shape[0]), (0, page.width - raw.shape[1]), (0, 0)))
    fixed = augment.unwarp(out.image, out.warp, out.page_size_px)
    r_raw = summarize(fidelity_from_image(raw, page.panels, record, page.calibration_boxes))
    r_fixed = summarize(fidelity_from_image(fixed, page.panels, record, page.calibration_boxes))
    assert r_fixed["median_r"] >= 0.95 > r_raw["median_r"]
