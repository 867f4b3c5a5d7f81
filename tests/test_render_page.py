"""render_page: every layout and option renders, panels say what was drawn, pages are pure."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ecginstruct.types import (
    STANDARD_LEADS,
    BadSignal,
    ConfigError,
    Demographics,
    ECGRecord,
    LeadPanel,
    Measurements,
    RecordError,
    Renderer,
)
from renderers import PaperRenderer, RenderSpec, render_page
from renderers.spec import GRID_COLORS, LAYOUTS


def toy_record(
    fs: float = 500.0,
    duration_s: float = 10.0,
    amplitude: float = 1.0,
    record_id: str = "toy-1",
    seed: int = 0,
) -> ECGRecord:
    """A 12-lead sum-of-Gaussians ECG (P, QRS, T at 75 bpm), lead-specific gains, a slow wander."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(fs * duration_s))) / fs
    beat = np.zeros_like(t)
    for onset in np.arange(0.2, duration_s, 0.8):
        for dt, width, amp in (
            (0.0, 0.025, 0.15),
            (0.16, 0.010, 1.0),
            (0.19, 0.012, -0.25),
            (0.42, 0.045, 0.3),
        ):
            beat += amp * np.exp(-0.5 * ((t - onset - dt) / width) ** 2)
    gains = rng.uniform(-1.2, 1.6, size=(12, 1))
    wander = 0.08 * np.sin(2 * np.pi * 0.2 * t + rng.uniform(0, 6, size=(12, 1)))
    signal = (amplitude * gains * beat[None, :] + wander).astype(np.float32)
    return ECGRecord(
        record_id=record_id,
        source="toy",
        signal=signal,
        fs=fs,
        patient_id="PATIENT-SECRET-42",
        report="Jane Doe, born 1950-01-01",
        measurements=Measurements(hr_bpm=75, pr_ms=160, qrs_ms=90, qt_ms=380, qtc_ms=424),
        demographics=Demographics(age=61, sex="F"),
    )


@pytest.fixture(scope="module")
def record():
    return toy_record()


EXPECTED_PANELS = {"3x4+1": 13, "3x4+3": 15, "6x2": 12, "12x1": 12, "3x4": 12}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("order", ["standard", "cabrera"])
def test_every_layout_and_order_renders_every_lead(record, layout, order):
    page = render_page(record, RenderSpec(layout=layout, lead_order=order))
    assert page.image.dtype == np.uint8 and page.image.shape == (1700, 2200, 3)
    assert len(page.panels) == EXPECTED_PANELS[layout]
    grid_leads = {p.lead.lstrip("-") for p in page.panels if not p.is_rhythm}
    assert grid_leads == set(STANDARD_LEADS)
    assert ("-aVR" in {p.lead for p in page.panels}) == (order == "cabrera")
    for p in page.panels:
        assert len(p.polyline) == p.sample_end - p.sample_start > 0
        x0, y0, x1, y1 = p.box
        assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height
        assert p.label_box is not None and p.image_box is None
    assert page.page_size_px == (page.width, page.height)


@pytest.mark.parametrize(
    "options",
    [{"grid_color": c} for c in GRID_COLORS]
    + [
        {"speed_mm_s": 50},
        {"gain_mm_mv": 5},
        {"gain_mm_mv": 20, "overflow": "clip"},
        {"paper": "a4"},
        {"dpi": 100},
        {"dpi": 600, "layout": "12x1"},
        {"header": False},
        {"line_width_mm": 0.2},
        {"layout": "3x4+3", "rhythm_leads": ("V2",)},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
def test_options_render_and_are_recorded(record, options):
    spec = RenderSpec(**options)
    page = render_page(record, spec)
    assert page.spec == spec.to_dict()
    assert RenderSpec.from_dict(json.loads(json.dumps(page.spec))) == spec
    assert page.px_per_mm == pytest.approx(spec.dpi / 25.4)
    img = page.image
    neutral = (img[..., 0] == img[..., 1]) & (img[..., 1] == img[..., 2])
    # Ink and paper are neutral grey; only a grid brings colour (grey grid is neutral too).
    assert neutral.all() == (spec.grid_color in ("none", "grey"))


def test_columns_are_sequential_in_time_at_both_speeds(record):
    for speed, col_s, strip_s in ((25, 2.5, 10.0), (50, 1.25, 5.0)):
        page = render_page(record, RenderSpec(speed_mm_s=speed))
        row0 = sorted((p for p in page.panels if p.row == 0), key=lambda p: p.col)
        assert [p.lead for p in row0] == ["I", "aVR", "V1", "V4"]
        assert [p.t0_s for p in row0] == pytest.approx([0, col_s, 2 * col_s, 3 * col_s])
        strip = next(p for p in page.panels if p.is_rhythm)
        assert strip.lead == "II"
        assert (strip.sample_end - strip.sample_start) / record.fs == pytest.approx(strip_s)
        assert strip.px_per_s == pytest.approx(speed * 200 / 25.4)


def test_three_rhythm_strips_default_to_v1_ii_v5(record):
    page = render_page(record, RenderSpec(layout="3x4+3"))
    assert [p.lead for p in page.panels if p.is_rhythm] == ["V1", "II", "V5"]
    assert page.meta["rhythm_leads"] == ["V1", "II", "V5"]


@pytest.mark.parametrize("fs", [100, 257, 400, 500, 1000])
def test_any_sampling_rate_one_point_per_sample(fs):
    rec = toy_record(fs=fs)
    page = render_page(rec, RenderSpec())
    strip = next(p for p in page.panels if p.is_rhythm)
    assert strip.sample_end - strip.sample_start == int(round(10 * fs))
    assert len(strip.polyline) == int(round(10 * fs))
    x = strip.polyline[:, 0].astype(np.float64)
    assert np.diff(x) == pytest.approx(np.full(len(x) - 1, strip.px_per_s / fs), abs=1e-3)


def test_overflow_choice_is_recorded_and_obeyed():
    tall = toy_record(amplitude=4.0)  # 6 mV R waves: 60 mm at 10 mm/mV, rows are ~44 mm
    clip = render_page(tall, RenderSpec(overflow="clip"))
    over = render_page(tall, RenderSpec(overflow="overlap"))
    assert clip.meta["overflow"] == "clip" and over.meta["overflow"] == "overlap"
    assert any(p.clipped for p in clip.panels) and not any(p.overlap for p in clip.panels)
    assert any(p.overlap for p in over.panels) and not any(p.clipped for p in over.panels)
    for p in clip.panels:
        assert p.polyline[:, 1].min() >= p.box[1] - 1e-3
        assert p.polyline[:, 1].max() <= p.box[3] + 1e-3
    left = [p for p in over.panels if p.overlap]
    assert all(
        (p.polyline[:, 1] < p.box[1]).any() or (p.polyline[:, 1] > p.box[3]).any() for p in left
    )
    small = render_page(toy_record(amplitude=0.3), RenderSpec(overflow="clip"))
    assert not any(p.clipped or p.overlap for p in small.panels)


def test_same_inputs_same_bytes_whatever_came_before(record):
    spec = RenderSpec.sample(np.random.default_rng(3))
    a = render_page(record, spec, np.random.default_rng(1))
    render_page(toy_record(seed=5, fs=250), RenderSpec(layout="6x2", grid_color="blue"))
    b = render_page(record, spec, np.random.default_rng(1))
    assert a.image.tobytes() == b.image.tobytes()
    assert json.dumps(a.annotations()) == json.dumps(b.annotations())


def test_window_of_a_long_record_comes_from_rng_only():
    rec = toy_record(duration_s=30.0)
    assert render_page(rec, RenderSpec()).meta["window_start_s"] == [0.0]
    starts = {
        render_page(rec, None, np.random.default_rng(s)).meta["window_start_s"][0] for s in range(4)
    }
    assert len(starts) > 1 and all(0 <= s <= 20.0 for s in starts)
    page = render_page(rec, RenderSpec(), np.random.default_rng(7))
    start = page.meta["window_start_s"][0]
    first = next(p for p in page.panels if p.row == 0 and p.col == 0)
    assert first.t0_s == start and first.sample_start == int(round(start * rec.fs))
    pinned = render_page(rec, RenderSpec(start_s=12.0), np.random.default_rng(7))
    assert pinned.meta["window_start_s"] == [12.0]


def test_short_record_draws_what_exists_and_says_so():
    rec = toy_record(duration_s=4.0)
    page = render_page(rec, RenderSpec(layout="3x4+1"))
    cols = {p.col for p in page.panels if not p.is_rhythm}
    assert cols == {0, 1}  # 0-2.5 s full, 2.5-4 s partial, 5-10 s nothing
    assert len(page.meta["empty_panels"]) == 6
    assert "II (rhythm)#1" in page.meta["truncated_panels"]
    assert len(page.meta["truncated_panels"]) == 4  # three 2.5-5 s panels and the strip
    strip = next(p for p in page.panels if p.is_rhythm)
    assert strip.sample_end == rec.n_samples
    with pytest.raises(RecordError, match="no samples") as e:
        render_page(rec, RenderSpec(start_s=60.0))
    assert e.value.stage == "render" and e.value.record_id == rec.record_id


def test_comparison_page_draws_both_records():
    first, second = toy_record(record_id="a"), toy_record(record_id="b", seed=9, fs=250)
    first.meta["paired_record"] = second
    page = render_page(first, RenderSpec(layout="12x1"))  # layout is overridden: two 3x4 grids
    assert len(page.panels) == 24
    top = [p for p in page.panels if p.record_index == 0]
    bottom = [p for p in page.panels if p.record_index == 1]
    assert len(top) == len(bottom) == 12 and not any(p.is_rhythm for p in page.panels)
    assert max(p.box[3] for p in top) <= min(p.box[1] for p in bottom) + 1e-6
    assert {p.lead for p in bottom} == set(STANDARD_LEADS)
    strip = next(p for p in bottom if p.lead == "V6")
    assert len(strip.polyline) == 2.5 * 250
    assert page.meta["layout"] == "3x4 pair"


def test_header_shows_settings_measurements_age_sex_and_nothing_personal(record, monkeypatch):
    import renderers.text as text

    drawn = []
    real = text.put_text
    monkeypatch.setattr(
        text, "put_text", lambda img, s, *a, **k: drawn.append(s) or real(img, s, *a, **k)
    )
    render_page(record, RenderSpec())
    joined = " | ".join(drawn)
    for expected in (
        "25 mm/s",
        "10 mm/mV",
        "0.05-150 Hz",
        "75 bpm",
        "160 ms",
        "90 ms",
        "380/424 ms",
        "61 yr",
        "Female",
    ):
        assert expected in joined
    for secret in ("PATIENT-SECRET-42", "Jane", "1950", "toy-1"):
        assert secret not in joined
    drawn.clear()
    render_page(toy_record(fs=100), RenderSpec(header=False))
    joined = " | ".join(drawn)
    assert "0.05-50 Hz" in joined and "bpm" not in joined and "yr" not in joined
    # a page whose question asks for a measurement must not print the answer
    drawn.clear()
    render_page(record, RenderSpec(header_measurements=False))
    joined = " | ".join(drawn)
    assert "61 yr" in joined and "25 mm/s" in joined
    for answer in ("bpm", "160 ms", "90 ms", "380/424"):
        assert answer not in joined


def test_bad_records_raise_typed_errors_naming_the_record(record):
    nan = toy_record(record_id="nanny")
    nan.signal[3, 100] = np.nan
    with pytest.raises(BadSignal, match="nanny") as e:
        render_page(nan)
    assert e.value.stage == "render"
    flat = toy_record(record_id="wrong-shape")
    flat.signal = flat.signal[:5]
    with pytest.raises(BadSignal, match="wrong-shape"):
        render_page(flat)
    with pytest.raises(ConfigError, match="layout"):
        render_page(record, {"layout": "4x3"})


def test_paper_renderer_is_a_renderer_and_annotations_round_trip(record):
    r = PaperRenderer()
    assert isinstance(r, Renderer)
    page = r.render(record, RenderSpec(), np.random.default_rng(0))
    ann = json.loads(json.dumps(page.annotations()))
    assert ann["width"] == 2200 and ann["px_per_mm"] == pytest.approx(200 / 25.4)
    back = LeadPanel.from_json(ann["panels"][0])
    assert np.allclose(back.polyline, page.panels[0].polyline, atol=0.0051)  # stored to 0.01 px
    assert back.box == page.panels[0].box
