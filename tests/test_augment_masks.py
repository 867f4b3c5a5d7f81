"""Per-lead masks rasterised from the tracked polylines: on the ink, one per panel, overlaps kept."""

from __future__ import annotations

import dataclasses
import json

import cv2
import numpy as np
import pytest

import augment
from augment.testing import demo_page, demo_record


@pytest.fixture(scope="module")
def rendered():
    return demo_page(100)


def _ink(image):
    # trace ink is dark in every channel (red/pink grid lines are bright in red)
    return image.max(axis=-1) < 110


def test_masks_cover_the_drawn_traces(rendered):
    _, page = rendered
    masks = augment.lead_masks(page)
    assert masks.shape == (len(page.panels), page.height, page.width) and masks.dtype == bool
    ink = _ink(page.image)
    for k, m in enumerate(masks):
        assert m.sum() > 100
        assert (m & ink).sum() / m.sum() > 0.8, page.panels[k].lead
    # together they explain most trace ink inside the panel boxes (the rest: labels, pulses)
    union = masks.any(axis=0)
    assert (union & ink).sum() / ink.sum() > 0.6


def test_masks_follow_a_photographed_page(rendered):
    _, page = rendered
    out = augment.apply_style(page, "photographed", "medium", np.random.default_rng(4))
    masks = augment.lead_masks(out)
    assert masks.shape[1:] == out.image.shape[:2]
    dark = cv2.cvtColor(out.image, cv2.COLOR_RGB2GRAY)
    bg = cv2.dilate(dark, np.ones((7, 7), np.uint8))
    on_ink = [(dark[m] < bg[m].astype(int) - 8).mean() for m in masks]
    assert np.median(on_ink) > 0.7


def test_overlapping_leads_are_kept_apart():
    rec = demo_record(2)
    tall = dataclasses.replace(rec, signal=rec.signal * 5.0)
    _, page = demo_page(100, record=tall, overflow="overlap")
    masks = augment.lead_masks(page)
    both = [
        (i, j)
        for i in range(len(masks))
        for j in range(i + 1, len(masks))
        if (masks[i] & masks[j]).any()
    ]
    assert both, "traces 5x too tall should cross their neighbours"
    i, j = both[0]
    # the stack keeps both leads on their shared pixels; a label image has to drop one
    labels = augment.label_image(page)
    kept = (labels == i + 1).sum() + (labels == j + 1).sum()
    assert kept < masks[i].sum() + masks[j].sum()


def test_write_masks(rendered, tmp_path):
    _, page = rendered
    paths = augment.write_masks(page, tmp_path / "m")
    assert len(paths) == len(page.panels)
    index = json.loads((tmp_path / "m" / "masks.json").read_text())
    assert [m["file"] for m in index["masks"]] == [p.name for p in paths]
    first = cv2.imread(str(paths[0]), cv2.IMREAD_UNCHANGED)
    assert first.shape == (page.height, page.width) and set(np.unique(first)) == {0, 255}
    assert index["masks"][0]["lead"] == page.panels[0].lead
    assert (first > 0).sum() == index["masks"][0]["pixels"]
