"""The learnability probe on toy pages: it learns what the pictures show, its shuffled-label
control does not, it is deterministic, and the verdict flags labels that cannot be learned."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from ecginstruct.quality.config import FAIL, PASS, load_config  # noqa: E402
from ecginstruct.quality.probe import ProbeData, ProbeSettings, train_probe  # noqa: E402
from ecginstruct.quality.run import probe_checks  # noqa: E402
from ecginstruct.seeding import rng_for  # noqa: E402
from ecginstruct.types import ConfigError  # noqa: E402

H, W = 32, 128


def toy_data(n_train=160, n_test=80) -> ProbeData:
    """Strips of 'beats': FAST = a spike every 8 px (else every 20), WIDE = 3-px spikes (else 1)."""
    rng = rng_for(0, "toy", "probe")
    n = n_train + n_test
    x = np.zeros((n, H, W), dtype=np.uint8)
    labels, styles = [], []
    for i in range(n):
        fast, wide = rng.random() < 0.5, rng.random() < 0.5
        period, width = (8 if fast else 20), (3 if wide else 1)
        row = int(rng.integers(4, H - 12))
        for c in range(int(rng.integers(0, period)), W - width, period):
            x[i, row : row + 8, c : c + width] = 255
        labels.append([k for k, on in (("FAST", fast), ("WIDE", wide)) if on])
        styles.append("printed" if i % 2 else "photographed")
    split = np.array(["train"] * n_train + ["test"] * n_test)
    groups = {
        "style": np.array(styles),
        "intensity": np.array(["light"] * n),
        "source": np.array(["toy"] * n),
    }
    return ProbeData(
        x=x, labels=labels, split=split, groups=groups, ids=[f"t{i}" for i in range(n)]
    )


def settings(**kw) -> ProbeSettings:
    base = dict(width=W, height=H, channels=4, epochs=8, lr=0.01, threads=1, min_label_count=5)
    return ProbeSettings(**{**base, **kw})


def test_probe_learns_what_the_images_show_and_the_control_does_not():
    data = toy_data()
    real = train_probe(data, settings())
    assert real.labels == ["FAST", "WIDE"]
    assert real.test["macro_auc"] > 0.9, real.test
    assert real.by_group["style"]["printed"]["n"] == 40
    assert len(real.curve) == 8 and real.curve[-1]["train_loss"] < real.curve[0]["train_loss"]
    control = train_probe(data, settings(), shuffle_labels=True)
    assert len(control.curve) == 4  # half the epochs by default
    assert abs(control.test["macro_auc"] - 0.5) < 0.2, control.test


def test_probe_is_deterministic_with_one_thread():
    data = toy_data(80, 40)
    a = train_probe(data, settings(epochs=2))
    b = train_probe(data, settings(epochs=2))
    assert a.test == b.test and [p["train_loss"] for p in a.curve] == [
        p["train_loss"] for p in b.curve
    ]


def test_checkpoint_round_trip_and_bad_checkpoint(tmp_path):
    data = toy_data(80, 40)
    train_probe(data, settings(epochs=1), save_to=tmp_path / "p.pt")
    run = train_probe(data, settings(epochs=1, checkpoint=str(tmp_path / "p.pt")))
    assert run.checkpoint_tensors > 10
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="cannot read probe checkpoint"):
        train_probe(data, settings(epochs=1, checkpoint=str(tmp_path / "junk.pt")))


def test_probe_refuses_data_without_test_split_or_labels():
    data = toy_data(40, 0)
    with pytest.raises(ConfigError, match="no test split"):
        train_probe(data, settings(epochs=1))
    data = toy_data(40, 20)
    with pytest.raises(ConfigError, match="positives in the train split"):
        train_probe(data, settings(epochs=1, min_label_count=1000))


def _report(real_auc, control_auc, printed_auc):
    m = {"macro_auc": printed_auc, "macro_f1": 0.5, "hamming_loss": 0.2, "left_out": [], "n": 100}
    return {
        "real": {"test": {"macro_auc": real_auc, "n": 300}, "by_group": {"style": {"printed": m}}},
        "control": {"test": {"macro_auc": control_auc, "n": 300}},
        "margin": real_auc - control_auc,
    }


def test_verdict_flags_unlearnable_labels_and_a_bad_control():
    cfg = load_config()
    good = {c.name: c.status for c in probe_checks(cfg, _report(0.95, 0.5, 0.97))}
    assert good == {
        "probe.macro_auc.printed": PASS,
        "probe.control_auc": PASS,
        "probe.auc_margin": PASS,
    }
    # corrupted labels: the real probe is no better than its shuffled control
    corrupted = {c.name: c.status for c in probe_checks(cfg, _report(0.55, 0.5, 0.56))}
    assert corrupted["probe.auc_margin"] == FAIL and corrupted["probe.macro_auc.printed"] == FAIL
    # a control far from chance means the evaluation leaks (e.g. duplicates across splits)
    leaky = {c.name: c.status for c in probe_checks(cfg, _report(0.95, 0.8, 0.97))}
    assert leaky["probe.control_auc"] == FAIL


def test_settings_reject_unknown_keys():
    with pytest.raises(ConfigError, match="unknown key"):
        ProbeSettings.from_config({"epoch": 3})
    assert ProbeSettings.from_config({"epochs": 3}, epochs=None).epochs == 3
    assert ProbeSettings.from_config({"epochs": 3}, epochs=5).epochs == 5


def test_probe_answers_its_rows_questions_from_label_scores():
    from ecginstruct.quality.probe import question_accuracy

    keys = [
        {"option_codes": {"A": "SR", "B": "AFIB"}, "correct": ["B"]},
        {"code": "AFIB", "answer": "no"},
        {"code": "XYZ", "answer": "yes"},  # not modelled: not counted
        {"option_codes": {"A": "SR", "B": "JPC"}, "correct": ["B"]},  # true code not modelled
    ]
    scores = np.array([[0.9, 0.2], [0.7, 0.1], [0.5, 0.5], [0.1, 0.9]])
    got = question_accuracy(keys, scores, ["AFIB", "SR"])
    assert got == {"mcq_accuracy": 1.0, "mcq_n": 1, "yesno_accuracy": 0.0, "yesno_n": 1}
