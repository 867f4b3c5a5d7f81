"""Planning: deterministic units and shards, task mix, leakage-free splits, exclusions."""

from __future__ import annotations

import json
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecginstruct.cli import main
from ecginstruct.exclusions import (
    Exclusion,
    ExclusionSet,
    canonical,
    from_ecgbench,
    parse_ecgbench_image_path,
    read_exclusions,
    write_exclusions,
)
from ecginstruct.plan import largest_remainder, make_plan
from ecginstruct.recipe import parse_recipe
from ecginstruct.splits import assign_splits, hash_split
from ecginstruct.types import ConfigError, RecordRef


def ptb_refs(n=40):
    # two records per patient; strat_fold per patient as in PTB-XL
    return [
        RecordRef("ptbxl", str(i), str(1000 + i // 2), {"strat_fold": 1 + (i // 2) % 10})
        for i in range(1, n + 1)
    ]


def syn_refs(n=30):
    return [RecordRef("synthetic", f"syn-{i:08d}", f"synp-{i // 3:08d}") for i in range(n)]


REFS = {"ptbxl": ptb_refs(), "synthetic": syn_refs()}


def provider(spec):
    return list(REFS[spec.source])


def recipe(**over):
    d = {
        "name": "t",
        "seed": 3,
        "samples_per_shard": 7,
        "sources": [
            {
                "source": "ptbxl",
                "root": "/nowhere",
                "tasks": {"rhythm/mcq": 10, "morphology/close_ended": 15, "report/open_ended": 5},
            },
            {
                "source": "synthetic",
                "samples": 45,
                "tasks": {"basic_feature/fill_blank": 2, "rhythm/close_ended": 1},
            },
        ],
    }
    d.update(over)
    return parse_recipe(d)


def test_plan_is_deterministic_and_counts_match_the_recipe():
    a = make_plan(recipe(), refs_provider=provider)
    b = make_plan(recipe(), refs_provider=provider)
    assert [(s.name, [u.uid for u in s.units]) for s in a.shards] == [
        (s.name, [u.uid for u in s.units]) for s in b.shards
    ]
    assert a.fingerprint() == b.fingerprint()
    units = [u for s in a.shards for u in s.units]
    assert len(units) == 30 + 45 == a.n_units
    tasks = Counter((u.source_id, u.task) for u in units)
    assert tasks[("ptbxl", "rhythm/mcq")] == 10
    assert tasks[("ptbxl", "morphology/close_ended")] == 15
    assert tasks[("synthetic", "basic_feature/fill_blank")] == 30
    assert tasks[("synthetic", "rhythm/close_ended")] == 15
    assert len({u.uid for u in units}) == len(units)
    # 45 samples from 30 synthetic records: every record used, none more than twice
    per_rec = Counter(u.ref.record_id for u in units if u.source_id == "synthetic")
    assert len(per_rec) == 30 and max(per_rec.values()) == 2
    # another seed gives another plan
    c = make_plan(recipe(seed=4), refs_provider=provider)
    assert c.fingerprint() != a.fingerprint()


def test_shards_are_fixed_size_and_named_with_their_count():
    p = make_plan(recipe(), refs_provider=provider)
    by_split = Counter(s.split for s in p.shards)
    for s in p.shards:
        n = by_split[s.split]
        assert s.name == f"{s.split}-{s.index:05d}-of-{n:05d}"
        assert all(u.split == s.split for u in s.units)
    for split in by_split:
        sizes = [len(s.units) for s in p.shards if s.split == split]
        assert all(x == 7 for x in sizes[:-1]) and 1 <= sizes[-1] <= 7
    assert sum(p.split_counts().values()) == p.n_units


def test_splits_follow_strat_fold_and_never_split_a_patient():
    p = make_plan(recipe(), refs_provider=provider)
    units = [u for s in p.shards for u in s.units]
    for u in units:
        if u.source_id == "ptbxl":
            fold = u.ref.extra["strat_fold"]
            assert u.split == {9: "val", 10: "test"}.get(fold, "train")
    patients: dict = {}
    for u in units:
        patients.setdefault((u.source_id, u.ref.patient_id), set()).add(u.split)
    assert all(len(s) == 1 for s in patients.values())


def test_patient_split_is_consistent_across_sources_of_one_namespace():
    # an ECG-QA item of a PTB-XL test patient must not land in train
    ptb = RecordRef("ptbxl", "5", "77", {"strat_fold": 10})
    qa = RecordRef("ecgqa", "ecgqa-1", "77", {"split": "train", "ecg_id": [5]})
    other = RecordRef("ecgqa", "ecgqa-2", "78", {"split": "valid"})
    s = assign_splits(
        [(ptb, "ptbxl", "auto"), (qa, "ptbxl", "auto"), (other, "ptbxl", "auto")],
        {"val": 0.1, "test": 0.1, "strat_fold": {"val": [9], "test": [10]}},
    )
    assert s == ["test", "test", "val"]


def test_hash_split_is_stable_and_near_the_fractions():
    splits = Counter(hash_split("mimic", str(i), 0.1, 0.2) for i in range(5000))
    assert splits == Counter(hash_split("mimic", str(i), 0.1, 0.2) for i in range(5000))
    assert abs(splits["test"] / 5000 - 0.2) < 0.03
    assert abs(splits["val"] / 5000 - 0.1) < 0.03


def test_largest_remainder():
    assert largest_remainder(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert sum(largest_remainder(1_156_110, {"x": 0.3, "y": 0.7}).values()) == 1_156_110
    assert largest_remainder(0, {"a": 1}) == {"a": 0}


def test_limit_keeps_the_mix():
    p = make_plan(recipe(), limit=15, refs_provider=provider)
    assert p.n_units == 15
    tasks = Counter((u.source_id, u.task) for s in p.shards for u in s.units)
    assert tasks[("synthetic", "basic_feature/fill_blank")] == 6
    assert tasks[("ptbxl", "morphology/close_ended")] == 3


def test_select_ids_limit_and_sample(tmp_path):
    (tmp_path / "ids.txt").write_text("3\n4\n\n")
    r = recipe(
        sources=[
            {
                "source": "ptbxl",
                "root": "/x",
                "select": {"ids": ["1", "2"], "ids_file": str(tmp_path / "ids.txt")},
                "samples": "all",
                "tasks": {"rhythm/mcq": 1},
            },
            {
                "source": "synthetic",
                "select": {"sample": 5},
                "samples": "all",
                "tasks": {"auto": 1},
            },
        ]
    )
    p = make_plan(r, refs_provider=provider)
    ids = Counter((u.source_id, u.ref.record_id) for s in p.shards for u in s.units)
    assert {k[1] for k in ids if k[0] == "ptbxl"} == {"1", "2", "3", "4"}
    assert sum(1 for k in ids if k[0] == "synthetic") == 5
    assert all(v == 1 for v in ids.values())


def test_no_records_left_is_a_clear_error():
    r = recipe(
        sources=[
            {
                "source": "ptbxl",
                "root": "/x",
                "select": {"ids": ["nope"]},
                "tasks": {"rhythm/mcq": 2},
            }
        ]
    )
    with pytest.raises(ConfigError, match="no records are left"):
        make_plan(r, refs_provider=provider)


def test_exclusions_drop_records_and_their_patients(tmp_path):
    f = write_exclusions(
        tmp_path / "ex.csv",
        [Exclusion("ptbxl", "00003", "bench"), Exclusion("physionet2021", "HR00010", "bench")],
    )
    p = make_plan(recipe(exclude=[str(f)]), refs_provider=provider)
    units = [u for s in p.shards for u in s.units]
    present = {u.ref.record_id for u in units if u.source_id == "ptbxl"}
    # ecg 3 and 10 excluded, and 2 / 11 share their patients (1001, 1005)
    assert not present & {"2", "3", "10", "11"}
    assert {e["record_id"] for e in p.excluded} == {"2", "3", "10", "11"}
    assert p.n_units == 75  # counts kept: other records are used instead


def test_exclusion_file_roundtrip_and_canonical_ids(tmp_path):
    items = [Exclusion("ptbxl", "12", "x"), Exclusion("code15", "99", "")]
    f = write_exclusions(tmp_path / "e.csv", items)
    assert sorted(read_exclusions(f), key=repr) == sorted(items, key=repr)
    ex = ExclusionSet(items)
    assert ex.match(RecordRef("physionet2021", "HR00012")) is not None
    assert ex.match(RecordRef("ecgqa", "ecgqa-5", None, {"ecg_id": [3, 12]})) is not None
    assert ex.match(RecordRef("ptbxl", "13")) is None
    assert canonical("physionet2021", "g1/E00001") == ("g12ec", "E00001")
    assert canonical("physionet2021", "JS00002") == ("csn", "JS00002")
    (tmp_path / "bad.csv").write_text("source,record_id\nptbxl\n")
    with pytest.raises(ConfigError, match="needs source,record_id"):
        read_exclusions(tmp_path / "bad.csv")


def test_ecgbench_image_paths():
    assert parse_ecgbench_image_path("ptb-xl/12345_hr-0.png") == ("ptbxl", "12345")
    assert parse_ecgbench_image_path("ecg_images/00077.png", "ecgqa-test") == ("ptbxl", "77")
    assert parse_ecgbench_image_path("code15/1169160-0.png") == ("code15", "1169160")
    assert parse_ecgbench_image_path("cpsc/A0001-1.png") == ("cpsc2018", "A0001")
    assert parse_ecgbench_image_path("csn/JS00001-0.png") == ("csn", "JS00001")
    assert parse_ecgbench_image_path("g12/E00010-0.png") == ("g12ec", "E00010")
    assert parse_ecgbench_image_path("mmmu-ecg/q12.png") is None
    with pytest.raises(ConfigError):
        parse_ecgbench_image_path("zzz/1.png", "zzz")


def test_exclusions_from_ecgbench_folder_and_cli(tmp_path, capsys):
    bench = tmp_path / "ECGBench"
    (bench / "ptb-test").mkdir(parents=True)
    pq.write_table(
        pa.table({"image_path": ["ptb-xl/00012_hr-0.png", "ptb-xl/00013_hr-0.png"]}),
        bench / "ptb-test" / "test-00000-of-00001.parquet",
    )
    (bench / "code15-test").mkdir()
    (bench / "code15-test" / "test.json").write_text(
        json.dumps([{"image_path": "code15/777-0.png", "conversations": []}])
    )
    (bench / "arena").mkdir()
    (bench / "arena" / "test.jsonl").write_text(json.dumps({"image_path": "arena/a1.png"}) + "\n")
    items, counts = from_ecgbench(bench)
    assert {(e.source, e.record_id) for e in items} == {
        ("ptbxl", "12"),
        ("ptbxl", "13"),
        ("code15", "777"),
    }
    assert counts == Counter({"ptb-test": 2, "code15-test": 1, "arena:skipped": 1})
    out = tmp_path / "ex.csv"
    assert main(["exclusions", "--from-ecgbench", str(bench), "--out", str(out)]) == 0
    assert "3 distinct records" in capsys.readouterr().out
    assert {e.record_id for e in read_exclusions(out)} == {"12", "13", "777"}
    assert main(["exclusions", "--from-ecgbench", str(tmp_path / "none")]) == 2


def test_key_order_in_the_recipe_does_not_change_the_plan():
    a = recipe()
    d = {
        "name": "t",
        "seed": 3,
        "samples_per_shard": 7,
        "sources": [
            {
                "source": "ptbxl",
                "root": "/nowhere",
                "tasks": {"report/open_ended": 5, "morphology/close_ended": 15, "rhythm/mcq": 10},
            },
            {
                "samples": 45,
                "source": "synthetic",
                "tasks": {"rhythm/close_ended": 1, "basic_feature/fill_blank": 2},
            },
        ],
    }
    b = parse_recipe(d)
    pa_, pb_ = make_plan(a, refs_provider=provider), make_plan(b, refs_provider=provider)
    assert [(u.uid, u.task) for s in pa_.shards for u in s.units] == [
        (u.uid, u.task) for s in pb_.shards for u in s.units
    ]
