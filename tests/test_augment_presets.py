"""Style presets, per-page style draws and their weights."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import augment
from augment.presets import resolve
from augment.testing import demo_page
from ecginstruct.types import ConfigError


def test_names():
    assert augment.STYLES == ("printed", "scanned", "photographed")
    assert augment.INTENSITIES == ("light", "medium", "heavy")


def test_draw_style_follows_weights():
    rng = np.random.default_rng(0)
    draws = Counter(augment.draw_style(rng) for _ in range(600))
    styles = Counter(s for (s, _), n in draws.items() for _ in range(n))
    assert set(styles) == set(augment.STYLES) and min(styles.values()) > 150
    only = {augment.draw_style(rng, {"scanned": 1.0}) for _ in range(50)}
    assert {s for s, _ in only} == {"scanned"} and len(only) == 3
    exact = {augment.draw_style(rng, {"photographed/heavy": 2.0, "printed": 0}) for _ in range(20)}
    assert exact == {("photographed", "heavy")}


def test_draw_style_is_seeded():
    a = [augment.draw_style(np.random.default_rng(s)) for s in range(20)]
    b = [augment.draw_style(np.random.default_rng(s)) for s in range(20)]
    assert a == b and len(set(a)) > 3


@pytest.mark.parametrize(
    "weights", [{"sepia": 1.0}, {"scanned/extreme": 1.0}, {"scanned": -1.0}, {"printed": 0.0}]
)
def test_bad_weights(weights):
    with pytest.raises(ConfigError):
        augment.draw_style(np.random.default_rng(0), weights)


def test_resolve_names_aliases_and_numbers():
    assert resolve("photo", "medium") == ("photographed", "medium", 0.6)
    assert resolve("scanned", 0.9) == ("scanned", "heavy", 0.9)
    assert resolve("printed", "0.2") == ("printed", "light", 0.2)
    for style, inten in (("sepia", "light"), ("scanned", "extreme"), ("scanned", 0.0)):
        with pytest.raises(ConfigError):
            resolve(style, inten)


def test_heavier_presets_do_more():
    _, page = demo_page(100)
    counts = {}
    for inten in augment.INTENSITIES:
        n = [
            len(augment.apply_style(page, "scanned", inten, np.random.default_rng(s)).transforms)
            for s in range(6)
        ]
        counts[inten] = np.mean(n)
    assert counts["light"] < counts["medium"] < counts["heavy"]


def test_apply_style_records_its_choice():
    _, page = demo_page(100)
    out = augment.apply_style(page, "random", "light", np.random.default_rng(1))
    assert out.meta["augment"]["style"] in augment.STYLES
    assert out.meta["augment"]["intensity"] in augment.INTENSITIES
    out = augment.apply_style(page, "photographed", "heavy", np.random.default_rng(1))
    assert out.meta["augment"] == {"style": "photographed", "intensity": "heavy", "strength": 1.0}
    assert out.transforms[0]["name"] != "jpeg" and out.transforms[-1]["name"] == "jpeg"
