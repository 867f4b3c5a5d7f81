"""RenderSpec: validation names the bad field, (de)serialisation, deterministic sampling."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from ecginstruct.types import ConfigError
from renderers import RenderSpec


def test_defaults_are_the_clinical_standard():
    s = RenderSpec().validate()
    assert (s.layout, s.rhythm_leads, s.speed_mm_s, s.gain_mm_mv, s.dpi) == (
        "3x4+1",
        ("II",),
        25,
        10,
        200,
    )
    assert s.resolved_rhythm_leads() == ("II",)


@pytest.mark.parametrize(
    "field, value, allowed",
    [
        ("layout", "4x3", "3x4+1"),
        ("lead_order", "reverse", "cabrera"),
        ("speed_mm_s", 12.5, "25, 50"),
        ("gain_mm_mv", 15, "5, 10, 20"),
        ("dpi", 50, "100..600"),
        ("dpi", 700, "100..600"),
        ("paper", "legal", "letter, a4"),
        ("grid_color", "purple", "red, pink, green, blue, grey, none"),
        ("overflow", "wrap", "clip, overlap"),
        ("rhythm_leads", ("V7",), "aVR"),
        ("line_width_mm", 5.0, "0.05..1.5"),
        ("header", "yes", "true or false"),
        ("start_s", -1.0, ">= 0"),
    ],
)
def test_bad_field_raises_config_error_naming_field_and_allowed_values(field, value, allowed):
    with pytest.raises(ConfigError) as e:
        RenderSpec(**{field: value}).validate()
    assert field in str(e.value) and allowed in str(e.value)


def test_dict_round_trip_through_json():
    spec = RenderSpec(layout="3x4+3", rhythm_leads=("V2", "II"), grid_color="green", dpi=300)
    back = RenderSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert back == spec and isinstance(back.rhythm_leads, tuple)
    assert RenderSpec.from_dict({"rhythm_leads": "V5"}).rhythm_leads == ("V5",)
    with pytest.raises(ConfigError, match="colour"):
        RenderSpec.from_dict({"colour": "red"})


def test_three_rhythm_strip_resolution():
    assert RenderSpec(layout="3x4+3").resolved_rhythm_leads() == ("V1", "II", "V5")
    assert RenderSpec(layout="3x4+3", rhythm_leads=("V2",)).resolved_rhythm_leads() == (
        "V2",
        "V1",
        "II",
    )
    assert RenderSpec(layout="6x2").resolved_rhythm_leads() == ()


def test_sample_is_deterministic_mostly_standard_and_varied():
    a = [RenderSpec.sample(np.random.default_rng(i)) for i in range(300)]
    b = [RenderSpec.sample(np.random.default_rng(i)) for i in range(300)]
    assert a == b
    layouts = Counter(s.layout for s in a)
    assert layouts["3x4+1"] / 300 > 0.6 and len(layouts) == 5
    assert sum(s.speed_mm_s == 25 and s.gain_mm_mv == 10 for s in a) / 300 > 0.75
    assert len({s.grid_color for s in a}) == 6 and len({s.paper for s in a}) == 2
    for s in a:
        s.validate()


def test_sample_fixed_fields_do_not_shift_the_others():
    free = RenderSpec.sample(np.random.default_rng(5))
    pinned = RenderSpec.sample(np.random.default_rng(5), dpi=300, layout="12x1")
    assert (pinned.dpi, pinned.layout) == (300, "12x1")
    assert pinned.grid_color == free.grid_color and pinned.paper == free.paper
    with pytest.raises(ConfigError, match="colour"):
        RenderSpec.sample(np.random.default_rng(0), colour="red")
    with pytest.raises(ConfigError, match="dpi"):
        RenderSpec.sample(np.random.default_rng(0), dpi=42)
