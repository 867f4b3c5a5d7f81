"""Augmented pages: deterministic, reproducible from their recorded params, and their tracked
geometry still sits on the drawn traces after every geometric transform and the heavy photo
preset."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import augment
from augment.base import TRANSFORMS, get_transform
from augment.checks import trace_ink_fraction
from augment.testing import demo_page

GEOMETRIC = sorted(n for n in TRANSFORMS if get_transform(n).geometric)


@pytest.fixture(scope="module")
def page():
    return demo_page(100)[1]


def _rng(seed):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("style", augment.STYLES)
def test_same_seed_same_bytes_different_seed_differs(page, style):
    a = augment.apply_style(page, style, "heavy", _rng(3))
    b = augment.apply_style(page, style, "heavy", _rng(3))
    c = augment.apply_style(page, style, "heavy", _rng(4))
    assert a.image.tobytes() == b.image.tobytes()
    assert a.transforms == b.transforms
    assert a.image.shape != c.image.shape or a.image.tobytes() != c.image.tobytes()


def test_no_hidden_state_between_pages(page):
    """Output does not depend on what ran before (no global RNG, no caches that leak)."""
    first = augment.apply_style(page, "photographed", "medium", _rng(11)).image.tobytes()
    for seed in range(3):
        augment.apply_style(page, "scanned", "heavy", _rng(seed))
    assert augment.apply_style(page, "photographed", "medium", _rng(11)).image.tobytes() == first


@pytest.mark.parametrize("style", augment.STYLES)
def test_replaying_recorded_params_reproduces_the_page(page, style):
    out = augment.apply_style(page, style, "heavy", _rng(21))
    assert out.transforms, "heavy presets apply something"
    recorded = json.loads(json.dumps(out.transforms))  # what a dataset row stores
    again = augment.replay(page, recorded)
    assert again.image.tobytes() == out.image.tobytes()
    assert again.warp == out.warp
    for p, q in zip(again.panels, out.panels):
        np.testing.assert_array_equal(p.polyline, q.polyline)
        assert p.image_box == q.image_box


def test_chain_is_an_augmenter(page):
    chain = augment.preset("scanned", "medium")
    params = chain.sample(_rng(5), page)
    assert chain.apply(page, params).image.tobytes() == chain(page, _rng(5)).image.tobytes()


def test_apply_leaves_the_input_page_alone(page):
    image = page.image.copy()
    lines = [p.polyline.copy() for p in page.panels]
    meta = json.dumps(page.meta, sort_keys=True, default=str)
    out = augment.apply_style(page, "photographed", "heavy", _rng(2))
    assert out is not page and page.transforms == [] and page.warp is None
    assert np.array_equal(page.image, image)
    assert all(np.array_equal(p.polyline, q) for p, q in zip(page.panels, lines))
    assert json.dumps(page.meta, sort_keys=True, default=str) == meta


@pytest.mark.parametrize("name", GEOMETRIC)
def test_tracked_points_stay_on_the_traces_after_each_geometric_transform(page, name):
    t = get_transform(name, 1.0)
    for seed in range(2):
        out = t(page, _rng(seed))
        assert trace_ink_fraction(out) >= 0.95, (name, seed, out.transforms[-1])
        assert out.page_size_px == (page.width, page.height)
        assert len(out.meta["image_text_boxes"]) == len(page.text_boxes)
        assert len(out.meta["image_calibration_boxes"]) == len(page.calibration_boxes)


def test_tracked_points_stay_on_the_traces_after_the_heavy_photo_preset(page):
    for seed in range(3):
        out = augment.apply_style(page, "photographed", "heavy", _rng(seed))
        assert out.warp, "the photo preset always moves the page"
        assert trace_ink_fraction(out) >= 0.95, (seed, [t["name"] for t in out.transforms])


def test_the_tracking_check_catches_untracked_geometry(page):
    """If the pixels move but the annotations do not, the check fails."""
    moved = augment.apply_style(page, "photographed", "heavy", _rng(0))
    stale = dataclasses.replace(moved, panels=page.panels)
    assert trace_ink_fraction(stale) < 0.5


def test_photo_changes_the_image_size_and_records_it(page):
    out = get_transform("perspective", 1.0)(page, _rng(1))
    assert out.warp[-1]["size"] == [out.width, out.height]
    ann = out.annotations()
    json.dumps(ann)
    assert ann["width"] == out.width and ann["page_size_px"] == [page.width, page.height]
