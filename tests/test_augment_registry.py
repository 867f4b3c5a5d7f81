"""Every transform in augment.base.TRANSFORMS has hand-written test parameters (as albumentations
does), applies them to a real rendered page, records them as JSON, and never trips
albumentations' warning about argument names it does not know (1.x names are ignored in 2.x)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import augment
from augment.albu import A
from augment.base import TRANSFORMS, AugmentError, get_transform
from augment.testing import demo_page
from ecginstruct.types import ConfigError, RecordError

# For a 100-dpi letter page (1100 x 850 px, 3.94 px/mm).
TEST_PARAMS: dict[str, dict] = {
    "paper_tint": {
        "gains": [1.0, 0.96, 0.85],
        "mottle": 0.03,
        "cell_px": 120.0,
        "seed": 1,
        "tone": "yellowed",
    },
    "wrinkles": {
        "ridges": [
            {"seg": [100.0, 100.0, 900.0, 700.0], "width": 12.0, "amp": 0.08},
            {"seg": [800.0, 50.0, 300.0, 800.0], "width": 5.0, "amp": -0.06},
        ],
        "light_deg": 30.0,
        "grid": (np.sin(np.arange(7 * 9 * 2)).reshape(7, 9, 2) * 2.0).round(3).tolist(),
        "mottle": 0.02,
        "seed": 2,
    },
    "fold": {
        "folds": [
            {
                "point": [550.0, 425.0],
                "angle_deg": 0.5,
                "amp": 0.08,
                "width": 20.0,
                "crease": 0.2,
                "side": 1.0,
            }
        ]
    },
    "stain": {
        "stains": [
            {
                "kind": "coffee",
                "center": [300.0, 300.0],
                "radius": 60.0,
                "opacity": 0.4,
                "ring_px": 3.0,
                "harmonics": [[0.05, 0.0], [0.0, 0.03], [0.02, 0.01], [0.0, 0.0], [0.01, 0.0]],
                "seed": 3,
            }
        ]
    },
    "pen_marks": {
        "ink": "blue",
        "width_px": 2.0,
        "marks": [
            {
                "kind": "arrow",
                "strokes": [[[200.0, 200.0], [260.0, 240.0]], [[260.0, 240.0], [250.0, 228.0]]],
            },
            {
                "kind": "note",
                "strokes": [],
                "text": "repeat",
                "origin": [400.0, 150.0],
                "height_px": 20.0,
                "angle_deg": -5.0,
                "jitter": [[0.1, -0.2, 0.3], [0.0, 0.5, -0.1], [-0.3, 0.1, 0.2]],
            },
        ],
    },
    "stamp": {
        "word": "REVIEWED",
        "shape": "box",
        "ink": "red",
        "center": [700.0, 500.0],
        "width_px": 180.0,
        "angle_deg": 10.0,
        "opacity": 0.8,
        "seed": 4,
    },
    "holes": {
        "kind": "punch",
        "centers": [[45.0, 270.0], [45.0, 580.0]],
        "radius": 12.0,
        "fill": [60, 60, 62],
    },
    "torn_edge": {
        "side": "right",
        "start": 0.1,
        "end": 0.6,
        "depths": np.linspace(0, 25, 32).round(2).tolist(),
        "fill": [30, 30, 32],
    },
    "dog_ear": {
        "corner": "tr",
        "legs": [80.0, 60.0],
        "fill": [30, 30, 32],
        "back": [225, 225, 220],
    },
    "skew": {"angle_deg": 1.5, "shift_px": [4.0, -3.0], "fill": [240, 240, 240]},
    "scan_margins": {"margins": [30.0, 20.0, 10.0, 40.0], "fill": [30, 30, 30], "edge_shadow": 0.5},
    "scanner_noise": {
        "sigma": 4.0,
        "band_amp": 3.0,
        "band_rows": 20.0,
        "streaks": [[500.0, 2.0, -20.0]],
        "seed": 5,
    },
    "toner_fade": {
        "fade": 0.3,
        "patchiness": 0.2,
        "cell_px": 200.0,
        "dropouts": [{"axis": "y", "pos": 400.0, "width": 3.0, "strength": 0.8}],
        "seed": 6,
    },
    "blur": {"sigma": 1.2},
    "low_dpi": {"scale": 0.5, "up": "linear"},
    "grayscale": {"method": "weighted_average"},
    "binarize": {"method": "fixed", "threshold": 170.0, "block": 31, "c": 10.0},
    "moire": {"period_px": 3.0, "angle_deg": 30.0, "amp": 0.08, "envelope_px": 300.0, "seed": 7},
    "jpeg": {"quality": 40},
    "perspective": {
        "corners": [[60.0, 50.0], [1050.0, 30.0], [1070.0, 820.0], [40.0, 800.0]],
        "size": [1120, 870],
        "surface": "wood",
        "surface_color": [150, 100, 60],
        "surface_seed": 8,
        "shadow_offset": [4.0, 8.0],
        "shadow_blur": 12.0,
        "shadow_strength": 0.4,
    },
    "lens": {"k1": 0.06, "k2": 0.01, "center": [560.0, 430.0]},
    "illumination": {
        "brightness": 0.95,
        "gradient": 0.3,
        "angle_deg": 45.0,
        "vignette": 0.3,
        "center": [0.5, 0.5],
    },
    "shadow": {
        "kind": "phone",
        "polygons": [[[-50.0, 300.0], [300.0, 300.0], [300.0, 500.0], [-50.0, 500.0]]],
        "darkness": 0.5,
        "softness_px": 20.0,
    },
    "glare": {
        "center": [500.0, 400.0],
        "sigma_px": [120.0, 60.0],
        "angle_deg": 20.0,
        "peak": 0.7,
        "veil": 0.05,
    },
    "defocus": {"radius": 2.5, "alias_blur": 0.3},
    "motion_blur": {"kernel": 7, "angle_deg": 30.0, "direction": 0.0},
    "sensor_noise": {"luma_sigma": 5.0, "chroma_sigma": 3.0, "seed": 9},
    "color_cast": {"gains": [1.08, 1.0, 0.9], "contrast": 0.9, "offset": 5.0},
}


@pytest.fixture(scope="module")
def page():
    return demo_page(100)[1]


def test_every_transform_has_test_params():
    assert set(TEST_PARAMS) == set(TRANSFORMS), (
        "transforms without test params: "
        f"{sorted(set(TRANSFORMS) - set(TEST_PARAMS))}; stale test params: "
        f"{sorted(set(TEST_PARAMS) - set(TRANSFORMS))}"
    )


@pytest.mark.parametrize("name", sorted(TEST_PARAMS))
def test_transform_applies_its_test_params(page, name):
    t = get_transform(name)
    before = page.image.copy()
    out = t.apply(page, TEST_PARAMS[name])
    assert out is not page
    assert out.image.dtype == np.uint8 and out.image.ndim == 3 and out.image.shape[2] == 3
    assert np.array_equal(page.image, before), "apply must not modify the input page"
    assert out.transforms[-1] == {"name": name, "params": TEST_PARAMS[name]}
    json.dumps(out.transforms)
    if out.image.shape == page.image.shape:
        assert not np.array_equal(out.image, page.image), f"{name} left the image unchanged"
    if t.geometric:
        assert out.warp and out.warp[-1]["size"] == [out.width, out.height]
        assert all(p.image_box is not None for p in out.panels)
    # sample() draws the same keys the test params use (for some seed: a transform with several
    # kinds, like holes, has one key set per kind), so the two stay in sync.
    drawn = [t.sample(np.random.default_rng(seed), page) for seed in range(8)]
    assert any(set(d) == set(TEST_PARAMS[name]) for d in drawn)
    json.dumps(drawn)


def _alb_invalid_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if "not valid" in str(w.message)]


def test_no_albumentations_invalid_argument_warning(page):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in sorted(TRANSFORMS):
            t = get_transform(name, 1.0)
            t.apply(page, TEST_PARAMS[name])
            t(page, np.random.default_rng(1))
    assert _alb_invalid_warnings(caught) == []


def test_the_warning_check_catches_a_1x_argument_name():
    # The check above must be able to fail: albumentations 2.x warns about (and ignores) the
    # 1.x names quality_lower/quality_upper.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        A.ImageCompression(quality_lower=50, quality_upper=60)
    assert _alb_invalid_warnings(caught)


def test_unknown_transform_and_missing_params_are_config_errors(page):
    with pytest.raises(ConfigError, match="unknown transform"):
        augment.replay(page, [{"name": "sepia", "params": {}}])
    with pytest.raises(ConfigError, match="blur: params lack 'sigma'"):
        augment.replay(page, [{"name": "blur", "params": {}}])
    with pytest.raises(ConfigError, match="strength"):
        get_transform("blur", 1.5)


def test_bad_page_is_a_typed_record_error(page):
    import dataclasses

    bad = dataclasses.replace(page, image=page.image.astype(np.float32), meta={"record_id": "r9"})
    with pytest.raises(AugmentError) as e:
        get_transform("blur").apply(bad, TEST_PARAMS["blur"])
    assert isinstance(e.value, RecordError)
    assert e.value.record_id == "r9" and e.value.stage == "augment"
    assert "uint8" in e.value.reason


def test_pen_notes_never_carry_a_diagnosis():
    """A diagnostic scribble would leak or contradict the labels the answers come from."""
    from augment.marks import NOTES
    from ecginstruct.labels import vocabulary

    words = {code.lower() for code in vocabulary()}
    words |= {"af", "af?", "nsr", "brady", "tachy", "stemi", "mi", "lvh", "pvcs", "st up", "qtc"}
    for note in NOTES:
        assert note.lower().strip("?") not in words, note
        assert not any(w in note.lower().split() for w in words), note
