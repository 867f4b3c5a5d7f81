"""`ecginstruct render`: options reach the page, files are written, augment is wired lazily."""

from __future__ import annotations

import argparse
import json
import sys
import types

import numpy as np
import pytest

import ecginstruct.sources
from ecginstruct.commands import render as render_cmd
from ecginstruct.types import ConfigError
from renderers.encode import decode
from tests.test_render_page import toy_record


class FakeSource:
    name = "toy"

    def __init__(self, duration_s=10.0):
        self.duration_s = duration_s

    def load_id(self, record_id):
        return toy_record(record_id=record_id, duration_s=self.duration_s)


def run_cli(argv, monkeypatch, source=None):
    monkeypatch.setattr(
        ecginstruct.sources, "get_source", lambda name, root=None, **kw: source or FakeSource()
    )
    parser = argparse.ArgumentParser(prog="ecginstruct")
    render_cmd.add_parser(parser.add_subparsers())
    args = parser.parse_args(["render", *argv])
    return args.func(args)


def test_render_writes_png_and_annotations(tmp_path, monkeypatch):
    out, ann = tmp_path / "p.png", tmp_path / "sub" / "p.json"
    argv = [
        "--source",
        "toy",
        "--record",
        "r1",
        "--out",
        str(out),
        "--annotations",
        str(ann),
        "--layout",
        "6x2",
        "--grid-color",
        "green",
        "--lead-order",
        "cabrera",
        "--dpi",
        "150",
    ]
    assert run_cli(argv, monkeypatch) == 0
    img = decode(out.read_bytes())
    a = json.loads(ann.read_text())
    assert img.shape == (a["height"], a["width"], 3) == (1275, 1650, 3)
    assert a["spec"]["layout"] == "6x2" and a["spec"]["lead_order"] == "cabrera"
    assert len(a["panels"]) == 12 and "-aVR" in {p["lead"] for p in a["panels"]}


def test_render_options_and_jpeg(tmp_path, monkeypatch):
    out, ann = tmp_path / "p.jpg", tmp_path / "p.json"
    argv = [
        "--source",
        "toy",
        "--record",
        "r1",
        "--out",
        str(out),
        "--annotations",
        str(ann),
        "--speed",
        "50",
        "--gain",
        "20",
        "--paper",
        "a4",
        "--overflow",
        "clip",
        "--layout",
        "3x4+3",
        "--rhythm-leads",
        "V2,V3",
        "--no-header",
    ]
    assert run_cli(argv, monkeypatch) == 0
    assert out.read_bytes()[:2] == b"\xff\xd8"
    a = json.loads(ann.read_text())
    assert a["spec"]["speed_mm_s"] == 50 and a["spec"]["paper"] == "a4"
    assert [p["lead"] for p in a["panels"] if p["is_rhythm"]] == ["V2", "V3", "V1"]
    assert a["meta"]["overflow"] == "clip" and a["spec"]["header"] is False


def test_seed_picks_the_window_of_a_long_record(tmp_path, monkeypatch):
    starts = []
    for seed in ("1", "1", "2"):
        ann = tmp_path / f"{seed}.json"
        argv = [
            "--source",
            "toy",
            "--record",
            "r1",
            "--out",
            str(tmp_path / "p.png"),
            "--annotations",
            str(ann),
            "--seed",
            seed,
        ]
        run_cli(argv, monkeypatch, FakeSource(duration_s=40.0))
        starts.append(json.loads(ann.read_text())["meta"]["window_start_s"][0])
    assert starts[0] == starts[1] != starts[2]


def test_bad_options_raise_config_errors(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="tif"):
        run_cli(["--source", "toy", "--record", "r", "--out", str(tmp_path / "p.tif")], monkeypatch)
    with pytest.raises(ConfigError, match="dpi"):
        run_cli(
            ["--source", "toy", "--record", "r", "--out", str(tmp_path / "p.png"), "--dpi", "20"],
            monkeypatch,
        )
    with pytest.raises(SystemExit):
        run_cli(
            ["--source", "toy", "--record", "r", "--out", "p.png", "--layout", "5x5"], monkeypatch
        )


def test_style_and_masks_call_augment(tmp_path, monkeypatch):
    calls = {}

    def apply_style(page, style, intensity, rng):
        calls["style"] = (style, intensity, isinstance(rng, np.random.Generator))
        page.image = 255 - page.image
        return page

    def write_masks(page, out_dir):
        calls["masks"] = out_dir
        (out_dir / "masks.json").write_text("{}")
        return [out_dir / "masks.json"]

    fake = types.ModuleType("augment")
    fake.apply_style, fake.write_masks = apply_style, write_masks
    monkeypatch.setitem(sys.modules, "augment", fake)
    out, masks = tmp_path / "p.png", tmp_path / "m"
    argv = [
        "--source",
        "toy",
        "--record",
        "r1",
        "--out",
        str(out),
        "--style",
        "scan",
        "--intensity",
        "0.7",
        "--masks",
        str(masks),
        "--seed",
        "3",
    ]
    assert run_cli(argv, monkeypatch) == 0
    assert calls["style"] == ("scan", 0.7, True) and (masks / "masks.json").exists()
    assert decode(out.read_bytes()).mean() < 128  # the styled image was written

    monkeypatch.setitem(sys.modules, "augment", types.ModuleType("augment"))
    with pytest.raises(ConfigError, match="apply_style"):
        run_cli(argv, monkeypatch)


@pytest.mark.shared_data
def test_render_a_real_ptbxl_record(shared_data, tmp_path):
    parser = argparse.ArgumentParser(prog="ecginstruct")
    render_cmd.add_parser(parser.add_subparsers())
    out, ann = tmp_path / "p.png", tmp_path / "p.json"
    args = parser.parse_args(
        [
            "render",
            "--source",
            "ptbxl",
            "--root",
            str(shared_data / "ptbxl"),
            "--record",
            "6001",
            "--out",
            str(out),
            "--annotations",
            str(ann),
        ]
    )
    assert args.func(args) == 0
    a = json.loads(ann.read_text())
    assert decode(out.read_bytes()).shape == (1700, 2200, 3) and len(a["panels"]) == 13
