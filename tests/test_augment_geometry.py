"""Warp steps: forward point mapping, the image warp and the unwarp agree with each other."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from augment import geometry

W, H = 400, 300

STEPS = {
    "affine": {
        "type": "affine",
        "matrix": [[0.99, -0.05, 12.0], [0.05, 0.99, -7.0]],
        "size": [W, H],
    },
    "homography": {
        "type": "homography",
        "matrix": [[0.9, 0.05, 20.0], [-0.03, 0.95, 15.0], [1e-4, -5e-5, 1.0]],
        "size": [W + 20, H + 10],
    },
    "lens": {
        "type": "lens",
        "k1": 0.08,
        "k2": 0.01,
        "center": [205.0, 148.0],
        "norm": 250.0,
        "scale": 0.93,
        "size": [W, H],
    },
    "field": {
        "type": "field",
        "grid": (np.cos(np.arange(5 * 6 * 2) * 1.7).reshape(5, 6, 2) * 4.0).tolist(),
        "size": [W, H],
    },
}


def _points(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return np.c_[rng.uniform(40, W - 40, n), rng.uniform(40, H - 40, n)]


@pytest.mark.parametrize("kind", sorted(STEPS))
def test_forward_and_backward_are_inverse(kind):
    step = STEPS[kind]
    p = _points()
    q = geometry.forward_points(step, p)
    assert not np.allclose(q, p, atol=0.5), "the test step should actually move points"
    np.testing.assert_allclose(geometry.backward_points(step, q), p, atol=1e-3)


@pytest.mark.parametrize("kind", sorted(STEPS))
def test_warped_dots_land_where_the_points_are_mapped(kind):
    """Draw dots at known points, warp the image, find the dots' centroids: they sit where
    forward_points sends the points (sub-pixel)."""
    step = STEPS[kind]
    centres = np.array([[x, y] for x in (80.0, 200.5, 320.0) for y in (70.0, 150.25, 230.0)])
    img = np.full((H, W, 3), 255, np.uint8)
    for x, y in centres:
        cv2.circle(
            img,
            (int(round((x - 0.5) * 16)), int(round((y - 0.5) * 16))),
            4 * 16,
            (0, 0, 0),
            -1,
            cv2.LINE_AA,
            4,
        )
    out = geometry.warp_image(img, step)
    assert out.shape[:2] == (step["size"][1], step["size"][0])
    expected = geometry.forward_points(step, centres)
    dark = 255.0 - out[..., 0].astype(np.float64)
    for ex, ey in expected:
        x0, y0 = int(ex) - 9, int(ey) - 9
        win = dark[y0 : y0 + 19, x0 : x0 + 19]
        yy, xx = np.mgrid[y0 : y0 + 19, x0 : x0 + 19] + 0.5
        c = np.array([(win * xx).sum(), (win * yy).sum()]) / win.sum()
        np.testing.assert_allclose(c, [ex, ey], atol=0.35)


@pytest.mark.parametrize("kind", ["affine", "lens", "field"])
def test_unwarp_restores_the_page(kind):
    rng = np.random.default_rng(1)
    img = cv2.GaussianBlur(rng.integers(0, 256, (H, W, 3), dtype=np.uint8), (0, 0), 3)
    out = geometry.warp_image(img, STEPS[kind])
    back = geometry.unwarp(out, [STEPS[kind]], (W, H))
    inner = (slice(30, H - 30), slice(30, W - 30))
    err = np.abs(back[inner].astype(int) - img[inner].astype(int))
    assert err.mean() < 1.5
    # and it is not trivially the identity
    assert np.abs(out[inner].astype(int) - img[inner].astype(int)).mean() > 3 * err.mean()


def test_chain_mapping_composes_steps_in_order():
    a, b = STEPS["affine"], STEPS["lens"]
    p = _points(20)
    np.testing.assert_allclose(
        geometry.map_points([a, b], p), geometry.forward_points(b, geometry.forward_points(a, p))
    )
    box = geometry.map_box([a], (100.0, 100.0, 200.0, 150.0))
    corners = geometry.forward_points(a, [(100, 100), (200, 100), (200, 150), (100, 150)])
    assert box[0] == pytest.approx(corners[:, 0].min()) and box[3] == pytest.approx(
        corners[:, 1].max()
    )


def test_validate_step_names_the_problem():
    with pytest.raises(ValueError, match="unknown warp step type"):
        geometry.validate_step({"type": "twirl"})
    with pytest.raises(ValueError, match="lacks norm"):
        geometry.validate_step({k: v for k, v in STEPS["lens"].items() if k != "norm"})
