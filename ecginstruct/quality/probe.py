"""The learnability probe: a small CNN trained on CPU to predict each image's harmonised labels.

If a small model cannot learn the labels from the pictures, the pictures (or the labels) are
broken. The probe decodes every image once to a small grayscale thumbnail (ink bright, paper dark),
trains a compact convolutional network with horizontal strides kept fine (the time axis carries
the rhythm) and a global average + max pool (beat counts and single odd beats both survive), and
scores the test split with ECGBench's metrics, per style, intensity and source.

A *control* run trains the same model on the same images with the training labels shuffled across
rows: it must land near AUC 0.5. A real run that does not beat its control by a margin means the
labels carry no information the images show -- the signature of a corrupted label column.

torch is an optional dependency (the ``train`` extra); it is imported here only, never at package
import. Every random choice is seeded (``torch.manual_seed`` and ``rng_for``); with one thread the
result is bit-for-bit repeatable, with more threads float reductions may differ in the last bits.
"""

from __future__ import annotations

import logging
import math
import pickle
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ecginstruct.quality.metrics import multilabel_metrics
from ecginstruct.seeding import rng_for, seed_for
from ecginstruct.types import ConfigError

log = logging.getLogger(__name__)

PROBE_COLUMNS = ("id", "image", "labels", "split", "style", "intensity", "source", "answer_key")
GROUP_BY = ("style", "intensity", "source")
STYLE_ORDER = ("printed", "scanned", "photographed")


@dataclass
class ProbeSettings:
    width: int = 640
    height: int = 192
    epochs: int = 20
    control_epochs: int | None = None  # default: half the epochs (chance needs no long run)
    batch_size: int = 32
    lr: float = 0.003
    weight_decay: float = 1e-4
    channels: int = 8
    arch: str = "rows"
    seed: int = 0
    threads: int = 2
    min_label_count: int = 10
    min_test_positives: int = 5
    max_rows: int | None = None
    checkpoint: str | None = None
    device: str = "cpu"  # "cuda" trains on a GPU when torch has one (same seeds, faster)

    @classmethod
    def from_config(cls, d: dict[str, Any], **overrides) -> ProbeSettings:
        known = set(cls.__dataclass_fields__)
        bad = sorted(set(d) - known)
        if bad:
            raise ConfigError(f"probe settings: unknown key(s) {bad}; known: {sorted(known)}")
        merged = {**d, **{k: v for k, v in overrides.items() if v is not None}}
        return cls(**merged)


@dataclass
class ProbeData:
    x: np.ndarray  # (N, H, W) uint8, ink bright
    labels: list[list[str]]
    split: np.ndarray
    groups: dict[str, np.ndarray]  # style / intensity / source per row
    ids: list[str]
    decode_s: float = 0.0
    answer_keys: list[dict] | None = None  # per row, for the probe's MCQ / yes-no accuracy


def load_probe_data(
    out: str | Path, settings: ProbeSettings, label_override: Callable | None = None
) -> ProbeData:
    """Decode every image of the dataset once (train, val and test splits)."""
    from ecginstruct.quality.data import ink_thumbnail, iter_batches, norm_split

    t0 = time.perf_counter()
    xs, labels, split, ids, keys = [], [], [], [], []
    groups: dict[str, list[str]] = {g: [] for g in GROUP_BY}
    per_split: Counter = Counter()
    for batch in iter_batches(out, PROBE_COLUMNS, batch_size=64):
        for r in batch:
            s = norm_split(r["split"])
            if settings.max_rows is not None and per_split[s] >= settings.max_rows:
                continue
            per_split[s] += 1
            img = ink_thumbnail((r["image"] or {}).get("bytes"), settings.width, settings.height)
            xs.append(img)
            labels.append(list(r["labels"] or []))
            split.append(s)
            ids.append(r["id"])
            keys.append(_key(r.get("answer_key")))
            for g in GROUP_BY:
                groups[g].append(str(r[g]))
    if not xs:
        raise ConfigError(f"{out}: the dataset has no rows")
    if label_override is not None:
        labels = label_override(ids, labels)
    return ProbeData(
        x=np.stack(xs),
        labels=labels,
        split=np.asarray(split),
        groups={g: np.asarray(v) for g, v in groups.items()},
        ids=ids,
        decode_s=time.perf_counter() - t0,
        answer_keys=keys,
    )


def _torch():
    try:
        import torch
    except ImportError:
        raise ConfigError(
            "the learnability probe needs torch (pip install 'ecginstruct[train]'), or use "
            "--no-probe"
        ) from None
    return torch


def make_model(n_labels: int, c: int = 8, arch: str = "rows"):
    """The probe network.

    ``rows``: a small 2-D stem brings the page down 8x in height and 2x in time, a max over the
    remaining rows makes it layout-agnostic (a feature fires wherever a lead is drawn), then 1-D
    convolutions along time and a global average + max pool (beat counts and single odd beats both
    survive). ``cnn2d``: a plain 2-D CNN (stride-2 stages, global pool), slower.
    """
    torch = _torch()
    nn = torch.nn

    def conv(cin, cout, k, stride, dim=2):
        Conv, BN = (nn.Conv2d, nn.BatchNorm2d) if dim == 2 else (nn.Conv1d, nn.BatchNorm1d)
        pad = tuple(x // 2 for x in k) if isinstance(k, tuple) else k // 2
        return [Conv(cin, cout, k, stride=stride, padding=pad, bias=False), BN(cout), nn.ReLU(True)]

    if arch == "cnn2d":
        stem = nn.Sequential(
            *conv(1, c, 5, 2),
            *conv(c, 2 * c, 3, 2),
            *conv(2 * c, 2 * c, 3, 1),
            *conv(2 * c, 4 * c, 3, 2),
            *conv(4 * c, 4 * c, 3, 1),
            *conv(4 * c, 6 * c, 3, (2, 1)),
            *conv(6 * c, 8 * c, 3, 2),
        )
        temporal = None
        width = 8 * c
    elif arch == "rows":
        stem = nn.Sequential(
            *conv(1, c, (7, 5), (4, 2)),
            *conv(c, 2 * c, 3, (2, 2)),
            *conv(2 * c, 4 * c, 3, (2, 1)),
        )
        temporal = nn.Sequential(
            *conv(4 * c, 8 * c, 5, 1, dim=1),
            *conv(8 * c, 8 * c, 5, 2, dim=1),
            *conv(8 * c, 12 * c, 5, 2, dim=1),
            *conv(12 * c, 12 * c, 5, 1, dim=1),
        )
        width = 12 * c
    else:
        raise ConfigError(f"unknown probe architecture {arch!r} (rows or cnn2d)")

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem, self.temporal = stem, temporal
            self.head = nn.Linear(2 * width, n_labels)

        def forward(self, x):
            f = self.stem(x)
            if self.temporal is not None:
                f = self.temporal(f.amax(dim=2))
                pooled = torch.cat([f.mean(dim=2), f.amax(dim=2)], dim=1)
            else:
                pooled = torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], dim=1)
            return self.head(pooled)

    return Probe()


def _load_checkpoint(model, path: str) -> list[str]:
    """Copy every tensor of a state dict whose name and shape match; returns the names loaded."""
    torch = _torch()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ConfigError(f"cannot read probe checkpoint {path}: {first}") from None
    state = state.get("model", state) if isinstance(state, dict) else state
    own = model.state_dict()
    take = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not take:
        raise ConfigError(f"checkpoint {path} has no tensor matching the probe model")
    model.load_state_dict(take, strict=False)
    return sorted(take)


@dataclass
class ProbeRun:
    labels: list[str]
    test: dict[str, Any]
    by_group: dict[str, dict[str, dict[str, Any]]]
    curve: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    shuffled: bool = False
    checkpoint_tensors: int = 0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def label_matrix(labels: Sequence[Sequence[str]], vocab: Sequence[str]) -> np.ndarray:
    from ecginstruct.quality.metrics import binarize

    return binarize(labels, vocab).astype(np.float32)


def choose_labels(data: ProbeData, min_count: int) -> list[str]:
    """Labels with at least ``min_count`` positives in the training split, sorted."""
    c = Counter(x for lab, s in zip(data.labels, data.split) if s == "train" for x in set(lab))
    return sorted(k for k, v in c.items() if v >= min_count)


def train_probe(
    data: ProbeData,
    settings: ProbeSettings,
    *,
    shuffle_labels: bool = False,
    save_to: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> ProbeRun:
    """Train on the train split, evaluate on the test split (val, when present, for the curve)."""
    torch = _torch()
    t0 = time.perf_counter()
    torch.set_num_threads(max(1, int(settings.threads)))
    torch.manual_seed(seed_for(settings.seed, "probe", "torch") % 2**63)
    vocab = choose_labels(data, settings.min_label_count)
    if not vocab:
        raise ConfigError(
            f"no label has {settings.min_label_count} positives in the train split: nothing to probe"
        )
    y = label_matrix(data.labels, vocab)
    tr = np.flatnonzero(data.split == "train")
    va = np.flatnonzero(data.split == "val")
    te = np.flatnonzero(data.split == "test")
    if len(te) == 0:
        raise ConfigError("the dataset has no test split: the probe has nothing to evaluate")
    y_train = y[tr]
    if shuffle_labels:
        perm = rng_for(settings.seed, "probe", "control-shuffle").permutation(len(tr))
        y_train = y_train[perm]
    model = make_model(len(vocab), settings.channels, settings.arch)
    loaded = _load_checkpoint(model, settings.checkpoint) if settings.checkpoint else []
    dev = torch.device(settings.device)
    model.to(dev)
    epochs = settings.epochs
    if shuffle_labels:
        epochs = settings.control_epochs or max(1, math.ceil(settings.epochs / 2))
    steps = max(1, math.ceil(len(tr) / settings.batch_size)) * epochs
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=settings.lr, total_steps=steps)
    # positives are rare for most labels: weight them up (capped) so the probe does not just
    # predict "absent" everywhere
    pos = y_train.mean(axis=0).clip(1e-3, 1.0)
    pos_weight = torch.tensor(np.minimum((1 - pos) / pos, 10.0), dtype=torch.float32, device=dev)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    order_rng = rng_for(settings.seed, "probe", "batches")
    curve = []
    for epoch in range(epochs):
        model.train()
        order = order_rng.permutation(len(tr))
        total, seen = 0.0, 0
        for i in range(0, len(order), settings.batch_size):
            b = order[i : i + settings.batch_size]
            xb = _tensor(torch, data.x[tr[b]], dev)
            yb = torch.from_numpy(y_train[b]).to(dev)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(b)
            seen += len(b)
        point = {"epoch": epoch + 1, "train_loss": total / max(seen, 1)}
        if len(va):
            sv = predict(model, data.x[va], settings.batch_size)
            mv = multilabel_metrics(y[va], sv, vocab, min_positives=settings.min_test_positives)
            point["val_macro_auc"] = mv["macro_auc"]
        point["seconds"] = time.perf_counter() - t0
        curve.append(point)
        if progress:
            progress(
                f"{'control' if shuffle_labels else 'probe'} epoch {epoch + 1}/{epochs}: "
                + ", ".join(f"{k} {v:.3f}" for k, v in point.items() if k != "epoch")
            )
    scores = predict(model, data.x[te], settings.batch_size)
    mp = settings.min_test_positives
    test = multilabel_metrics(y[te], scores, vocab, min_positives=mp)
    if data.answer_keys is not None:
        test.update(question_accuracy([data.answer_keys[i] for i in te], scores, vocab))
    by_group: dict[str, dict[str, dict[str, Any]]] = {}
    for g in GROUP_BY:
        vals = data.groups[g][te]
        by_group[g] = {
            v: multilabel_metrics(y[te][vals == v], scores[vals == v], vocab, min_positives=mp)
            for v in _ordered(set(vals.tolist()))
        }
    if save_to is not None:
        state = {k: v.cpu() for k, v in model.state_dict().items()}
        torch.save({"model": state, "labels": vocab}, save_to)
    return ProbeRun(
        labels=vocab,
        test=_slim(test),
        by_group={g: {k: _slim(m) for k, m in d.items()} for g, d in by_group.items()},
        curve=curve,
        seconds=time.perf_counter() - t0,
        shuffled=shuffle_labels,
        checkpoint_tensors=len(loaded),
    )


def _key(text) -> dict:
    import json

    if isinstance(text, dict):
        return text
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return {}


def question_accuracy(keys: Sequence[dict], scores: np.ndarray, vocab: Sequence[str]) -> dict:
    """The probe answering the rows' own questions from its label scores: an MCQ by the option
    whose code scores highest, a close-ended question by score >= 0.5. Only questions whose codes
    the probe models are counted (MCQs: the true option and at least one other; ``mcq_n``,
    ``yesno_n``)."""
    index = {c: j for j, c in enumerate(vocab)}
    mcq, yn = [], []
    for k, s in zip(keys, scores):
        codes = k.get("option_codes") or {}
        correct = k.get("correct") or []
        modelled = {letter: s[index[c]] for letter, c in codes.items() if c in index}
        # at least two modelled options: otherwise unmodelled distractors make it a give-away
        if len(correct) == 1 and codes.get(correct[0]) in index and len(modelled) >= 2:
            mcq.append(max(sorted(modelled), key=lambda letter: modelled[letter]) == correct[0])
        elif k.get("code") in index and str(k.get("answer")) in ("yes", "no"):
            yn.append((s[index[k["code"]]] >= 0.5) == (k["answer"] == "yes"))
    return {
        "mcq_accuracy": float(np.mean(mcq)) if mcq else math.nan,
        "mcq_n": len(mcq),
        "yesno_accuracy": float(np.mean(yn)) if yn else math.nan,
        "yesno_n": len(yn),
    }


def _ordered(values: set[str]) -> list[str]:
    known = [v for v in STYLE_ORDER if v in values]
    return known + sorted(values - set(known))


def _slim(m: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in m.items() if k != "labels"}


def _tensor(torch, x: np.ndarray, device=None):
    t = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    return t if device is None else t.to(device)


def predict(model, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
    torch = _torch()
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            xb = _tensor(torch, x[i : i + batch_size], next(model.parameters()).device)
            out.append(torch.sigmoid(model(xb)).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)


@dataclass
class ProbeReport:
    real: ProbeRun
    control: ProbeRun | None
    n_rows: dict[str, int]
    decode_s: float
    settings: dict[str, Any]

    @property
    def margin(self) -> float:
        if self.control is None:
            return math.nan
        return self.real.test["macro_auc"] - self.control.test["macro_auc"]

    def style_auc(self) -> dict[str, float]:
        return {k: m["macro_auc"] for k, m in self.real.by_group.get("style", {}).items()}

    def to_json(self) -> dict[str, Any]:
        return {
            "real": self.real.to_json(),
            "control": self.control.to_json() if self.control else None,
            "n_rows": self.n_rows,
            "decode_s": self.decode_s,
            "settings": self.settings,
            "margin": self.margin,
        }


def run_probe(
    out: str | Path,
    settings: ProbeSettings,
    *,
    control: bool = True,
    save_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> ProbeReport:
    """Decode, train the real probe and (by default) the shuffled-label control."""
    data = load_probe_data(out, settings)
    if progress:
        progress(f"decoded {len(data.ids)} images in {data.decode_s:.1f} s")
    save = Path(save_dir) / "probe.pt" if save_dir is not None else None
    real = train_probe(data, settings, save_to=save, progress=progress)
    ctrl = train_probe(data, settings, shuffle_labels=True, progress=progress) if control else None
    return ProbeReport(
        real=real,
        control=ctrl,
        n_rows=dict(Counter(data.split.tolist())),
        decode_s=data.decode_s,
        settings=dict(settings.__dict__),
    )
