"""The report's figures (matplotlib, Agg backend, written as PNG next to the report)."""

from __future__ import annotations

import math
import textwrap
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    _plt().close(fig)
    return path.name


def learning_curve(probe: dict[str, Any], path: Path) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    ax2 = ax.twinx()
    for name, style in (("real", "-"), ("control", "--")):
        run = probe.get(name)
        if not run:
            continue
        ep = [p["epoch"] for p in run["curve"]]
        ax.plot(ep, [p["train_loss"] for p in run["curve"]], "C0" + style, label=f"{name} loss")
        auc = [p.get("val_macro_auc", math.nan) for p in run["curve"]]
        if any(math.isfinite(a) for a in auc):
            ax2.plot(ep, auc, "C1" + style, label=f"{name} val AUC")
    ax.set_xlabel("epoch")
    ax.set_ylabel("train loss")
    ax2.set_ylabel("validation macro AUC")
    ax2.set_ylim(0.3, 1.0)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="center right")
    ax.set_title("Learnability probe: learning curve")
    return _save(fig, path)


def per_style(probe: dict[str, Any] | None, fidelity: dict[str, Any] | None, path: Path) -> str:
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.3))
    if probe:
        styles = list(probe["real"]["by_group"].get("style", {}))
        x = np.arange(len(styles))
        for k, (key, run) in enumerate((("probe", "real"), ("shuffled control", "control"))):
            r = probe.get(run)
            if not r:
                continue
            vals = [r["by_group"]["style"].get(s, {}).get("macro_auc", math.nan) for s in styles]
            axes[0].bar(x + 0.4 * k, vals, 0.4, label=key)
        axes[0].set_xticks(x + 0.2, styles)
        axes[0].axhline(0.5, color="grey", lw=0.8)
        axes[0].set_ylim(0, 1)
        axes[0].set_title("probe macro AUC (test)")
        axes[0].legend(fontsize=8)
    if fidelity:
        bs = fidelity["by_style"]
        styles = list(bs)
        axes[1].bar(styles, [bs[s]["median_r"] for s in styles])
        axes[1].set_ylim(min(0, *[bs[s]["median_r"] for s in styles] or [0]), 1)
        axes[1].set_title("digitized trace: median Pearson r")
    return _save(fig, path)


def distributions(rows: Sequence[dict[str, Any]], path: Path) -> str:
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    labels = Counter(x for r in rows for x in r.get("labels") or [])
    top = labels.most_common(25)
    axes[0].barh([k for k, _ in top][::-1], [v for _, v in top][::-1])
    axes[0].set_title("labels (rows)")
    tasks = Counter(r.get("task") for r in rows).most_common()
    axes[1].barh([str(k) for k, _ in tasks][::-1], [v for _, v in tasks][::-1])
    axes[1].set_title("tasks")
    combos = Counter((r.get("style"), r.get("intensity")) for r in rows)
    names = sorted(combos)
    axes[2].bar([f"{s}\n{i}" for s, i in names], [combos[n] for n in names])
    axes[2].tick_params(axis="x", labelsize=7)
    axes[2].set_title("style / intensity")
    for ax in axes[:2]:
        ax.tick_params(axis="y", labelsize=7)
    return _save(fig, path)


def lengths(q: Sequence[int], a: Sequence[int], path: Path) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 3))
    hi = max([*q, *a, 1])
    bins = np.linspace(0, hi + 1, min(40, hi + 2))
    ax.hist(q, bins=bins, alpha=0.6, label="questions")
    ax.hist(a, bins=bins, alpha=0.6, label="answers")
    ax.set_xlabel("words")
    ax.legend()
    ax.set_title("length distribution")
    return _save(fig, path)


def examples(samples: Sequence[tuple[np.ndarray, str, str]], path: Path) -> str:
    """A grid of (image, caption, conversation) panels."""
    plt = _plt()
    n = len(samples)
    cols = min(3, max(n, 1))
    rows = max(1, math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 5.6 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (img, caption, conv) in zip(axes.flat, samples):
        ax.imshow(img)
        ax.set_title(caption, fontsize=8)
        text = "\n".join(textwrap.fill(line, 70) for line in conv.splitlines())
        ax.text(
            0, -0.02, text[:600], transform=ax.transAxes, va="top", fontsize=6.5, family="monospace"
        )
    return _save(fig, path)
