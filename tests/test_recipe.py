"""Recipes: validation names the bad key, paths and ${VAR} expansion, the shipped recipes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ecginstruct.recipe import load_recipe, parse_recipe
from ecginstruct.types import ConfigError

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "manifests" / "recipes"


def minimal(**over):
    d = {
        "name": "t",
        "seed": 1,
        "sources": [{"source": "synthetic", "samples": 4, "tasks": {"rhythm/mcq": 1}}],
    }
    d.update(over)
    return d


def test_minimal_recipe_defaults():
    r = parse_recipe(minimal())
    assert r.sources[0].id == "synthetic"
    assert r.samples_per_shard == 1000
    assert r.splits["strat_fold"] == {"val": [9], "test": [10]}
    assert r.image["format"] == "png"
    assert r.fingerprint() == parse_recipe(minimal()).fingerprint()
    assert r.fingerprint() != parse_recipe(minimal(seed=2)).fingerprint()


@pytest.mark.parametrize(
    "over, key",
    [
        ({"colour": 1}, "colour"),
        ({"seed": "x"}, "seed"),
        ({"samples_per_shard": 0}, "samples_per_shard"),
        ({"sources": []}, "sources"),
        ({"styles": {"glossy": 1}}, "styles.glossy"),
        ({"image": {"format": "gif"}}, "image.format"),
        ({"splits": {"val": 0.6, "test": 0.5}}, "splits"),
        ({"on_error": "ignore"}, "on_error"),
        ({"render": {"dpii": 100}}, "render.dpii"),
        (
            {"sources": [{"source": "nosuch", "samples": 1, "tasks": {"rhythm/mcq": 1}}]},
            "sources[0].source",
        ),
        (
            {"sources": [{"source": "synthetic", "samples": 1, "tasks": {"rhythm/poem": 1}}]},
            "sources[0].tasks['rhythm/poem']",
        ),
        ({"sources": [{"source": "synthetic", "tasks": {"rhythm/mcq": 1.5}}]}, "rhythm/mcq"),
        (
            {"sources": [{"source": "synthetic", "samples": 1, "tasks": {"rhythm/mcq": 1}}] * 2},
            "duplicate source id",
        ),
        (
            {"sources": [{"source": "synthetic", "samples": 1, "tasks": {}, "selct": {}}]},
            "sources[0].selct",
        ),
    ],
)
def test_bad_recipes_name_the_key(over, key):
    with pytest.raises(ConfigError) as e:
        parse_recipe(minimal(**over), where="my.yaml")
    assert key in str(e.value)
    assert "my.yaml" in str(e.value)


def test_paths_expand_vars_and_resolve_relative_to_the_recipe(tmp_path, monkeypatch):
    (tmp_path / "here").mkdir()
    recipe = {
        **minimal(),
        "sources": [
            {
                "source": "ptbxl",
                "root": "${DATA}/ptb",
                "samples": 1,
                "tasks": {"rhythm/mcq": 1},
            },
            {
                "id": "p2",
                "source": "ptbxl",
                "root": "rel/ptb",
                "options": {"resolution": 100},
                "samples": 1,
                "tasks": {"rhythm/mcq": 1},
            },
            {
                "id": "q",
                "source": "ecgqa",
                "root": "${NOPE:-fallback}/qa",
                "options": {"ptbxl_root": "${DATA}/ptb"},
                "samples": 1,
                "tasks": {"ecgqa": 1},
            },
        ],
    }
    f = tmp_path / "here" / "r.yaml"
    f.write_text(yaml.safe_dump(recipe))
    monkeypatch.setenv("DATA", "/abs/data")
    monkeypatch.delenv("NOPE", raising=False)
    r = load_recipe(f)
    assert r.sources[0].root == "/abs/data/ptb"
    assert r.sources[1].root == str(tmp_path / "here" / "rel" / "ptb")
    assert r.sources[2].root == str(tmp_path / "here" / "fallback" / "qa")
    assert r.sources[2].options["ptbxl_root"] == "/abs/data/ptb"
    # explicit variables win over the environment
    assert load_recipe(f, variables={"DATA": "/v"}).sources[0].root == "/v/ptb"


def test_unset_variable_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv("SURELY_UNSET_VAR", raising=False)
    d = minimal()
    d["sources"][0]["root"] = "${SURELY_UNSET_VAR}/x"
    f = tmp_path / "r.yaml"
    f.write_text(yaml.safe_dump(d))
    with pytest.raises(ConfigError, match="SURELY_UNSET_VAR"):
        load_recipe(f)


def test_invalid_yaml_and_missing_file(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_recipe(f)
    with pytest.raises(ConfigError, match="cannot read"):
        load_recipe(tmp_path / "missing.yaml")


def test_yaml_is_safe_loaded(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text("!!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError):
        load_recipe(f)


def test_demo_recipe_loads():
    r = load_recipe(RECIPES / "demo.yaml", variables={"DEMO_SOURCES": "/tmp/demo-src"})
    assert [s.source for s in r.sources] == ["synthetic", "ptbxl", "physionet2021"]
    assert r.sources[1].root == "/tmp/demo-src/ptbxl"


TABLE_A1 = {
    "ptbxl": {
        "basic_feature": (22759, 906, 449, 5716),
        "rhythm": (19550, 201, 436, 16179),
        "morphology": (50166, 2649, 680, 13432),
        "report": 16302,
    },
    "mimic_iv_ecg": {
        "basic_feature": (759, 4759, 6470, 17186),
        "rhythm": (48625, 5262, 11487, 49352),
        "morphology": (8241, 81080, 18264, 61456),
        "report": 486746,
    },
}


def test_ecginstruct_v1_reproduces_table_a1(monkeypatch):
    for var in ("PTBXL_ROOT", "ECGQA_ROOT", "MIMIC_ECG_ROOT", "CODE15_ROOT"):
        monkeypatch.setenv(var, f"/data/{var.lower()}")
    r = load_recipe(RECIPES / "ecginstruct-v1.yaml")
    totals = {s.id: sum(s.tasks.values()) for s in r.sources}
    assert totals == {
        "ptbxl": 149_425,
        "ecgqa": 139_358,
        "mimic_iv_ecg": 799_687,
        "code15": 67_640,
    }
    assert sum(totals.values()) == 1_156_110
    formats = ("close_ended", "open_ended", "fill_blank", "mcq")
    for sid, cats in TABLE_A1.items():
        tasks = r.source(sid).tasks
        for cat, counts in cats.items():
            if cat == "report":
                assert tasks["report/open_ended"] == counts
            else:
                assert tuple(tasks[f"{cat}/{f}"] for f in formats) == counts
    code15 = r.source("code15").tasks
    assert code15 == {
        "basic_feature/close_ended": 22177,
        "rhythm/close_ended": 13893,
        "morphology/close_ended": 31570,
    }
    assert r.source("ecgqa").patient_namespace == "ptbxl"
