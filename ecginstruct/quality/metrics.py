"""ECGBench's metrics: macro AUC, macro F1 and Hamming loss for multi-label sets, accuracy for
choice/yes-no sets (scikit-learn does the arithmetic).

One deliberate difference from ECGBench's script: a label whose truth column has fewer than
``min_positives`` positives (or no negatives) has no defined AUC; ECGBench would put NaN into the
mean (or skip it silently); here it leaves the macro AUC and is *listed* in ``left_out``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, hamming_loss, roc_auc_score


def multilabel_metrics(
    y_true: np.ndarray,
    y_score: np.ndarray,
    labels: Sequence[str],
    *,
    threshold: float | np.ndarray = 0.5,
    min_positives: int = 1,
) -> dict[str, Any]:
    """Metrics of an (n, k) 0/1 truth matrix against (n, k) scores (probabilities or 0/1).

    Returns ``macro_auc`` (over the labels with at least ``min_positives`` positives and one
    negative), ``macro_f1`` and ``hamming_loss`` (over all k labels, predictions = score >=
    threshold), ``per_label`` ({code: {auc, f1, positives}}), ``left_out`` (codes without an AUC)
    and ``n``. Empty input gives NaNs.
    """
    y_true = np.asarray(y_true, dtype=np.int64).reshape(len(y_true), len(labels))
    y_score = np.asarray(y_score, dtype=np.float64).reshape(y_true.shape)
    n = int(y_true.shape[0])
    out: dict[str, Any] = {"n": n, "labels": list(labels), "per_label": {}, "left_out": []}
    if n == 0 or not labels:
        out.update(macro_auc=math.nan, macro_f1=math.nan, hamming_loss=math.nan)
        return out
    y_pred = (y_score >= np.asarray(threshold)).astype(np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero_division warnings: 0 is the documented answer
        f1 = f1_score(y_true, y_pred, average=None, zero_division=0, labels=range(len(labels)))
    aucs = []
    for j, code in enumerate(labels):
        pos = int(y_true[:, j].sum())
        auc = math.nan
        if pos >= max(1, min_positives) and pos < n:
            auc = float(roc_auc_score(y_true[:, j], y_score[:, j]))
            aucs.append(auc)
        else:
            out["left_out"].append(code)
        out["per_label"][code] = {"auc": auc, "f1": float(f1[j]), "positives": pos}
    out["macro_auc"] = float(np.mean(aucs)) if aucs else math.nan
    out["macro_f1"] = float(np.mean(f1))
    out["hamming_loss"] = float(hamming_loss(y_true, y_pred))
    return out


def accuracy(correct: Sequence[bool]) -> float:
    """Share of True (NaN for none)."""
    return float(np.mean(np.asarray(correct, dtype=bool))) if len(correct) else math.nan


def binarize(label_sets: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """(n, k) 0/1 matrix of label sets over ``labels`` (codes outside ``labels`` are ignored, as
    ECGBench's MultiLabelBinarizer does)."""
    index = {c: j for j, c in enumerate(labels)}
    m = np.zeros((len(label_sets), len(labels)), dtype=np.int64)
    for i, s in enumerate(label_sets):
        for c in s:
            j = index.get(c)
            if j is not None:
                m[i, j] = 1
    return m
