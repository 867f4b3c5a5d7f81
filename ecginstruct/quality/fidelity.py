"""Signal fidelity on built data: digitize pages back and compare with the signal they show.

For a deterministic sample of pages per style, the stored image is resampled back into the page
frame with :func:`augment.unwarp` (using the row's recorded ``warp``), every lead panel is read
back with :func:`renderers.digitize.digitize_panels`, and each lead is scored (Pearson r, SNR in
dB) with :func:`renderers.digitize.score` against a reference:

* ``source`` (preferred): the record reloaded through the source named in the row, opened from the
  build's own ``recipe.yaml`` -- the full round trip signal -> page -> augmented image -> signal;
* ``polyline`` (fallback, when the source cannot be opened here, e.g. the raw data is on another
  machine): the signal implied by the stored trace polylines (image pixels mapped back to the page
  frame through the inverse warp, then through the panel's affine time/voltage mapping). This is
  the drawn signal, so it scores the picture and the digitizer, not the source-to-page mapping.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ecginstruct.quality.config import Check, QualityConfig, judge
from ecginstruct.quality.data import decode_image, read_rows
from ecginstruct.seeding import seed_for
from ecginstruct.types import ECGInstructError, LeadPanel

log = logging.getLogger(__name__)

FIDELITY_COLUMNS = ("id", "source", "record_id", "patient_id", "style", "ground_truth", "meta")


def pick_rows(rows: Sequence[dict[str, Any]], per_style: int) -> list[dict[str, Any]]:
    """``per_style`` rows of each style, chosen by a seeded hash of the id (order-independent)."""
    by_style: dict[str, list] = defaultdict(list)
    for r in rows:
        by_style[r["style"]].append(r)
    out = []
    for style in sorted(by_style):
        ranked = sorted(by_style[style], key=lambda r: seed_for(0, r["id"], "fidelity-pick"))
        out += ranked[:per_style]
    return out


def panels_of(gt: dict[str, Any]) -> list[LeadPanel]:
    return [LeadPanel.from_json(p) for p in gt.get("panels") or []]


def to_page_frame(image: np.ndarray, gt: dict[str, Any]) -> np.ndarray:
    """The image resampled into the page frame (a copy of it when there is no warp)."""
    from augment import unwarp

    warp = gt.get("warp")
    if not warp:
        return image
    size = gt.get("page_size_px") or [gt["width"], gt["height"]]
    return unwarp(image, warp, tuple(size))


def polyline_reference(panel: LeadPanel, warp) -> tuple[np.ndarray, np.ndarray]:
    """(t_s, mv) implied by a panel's stored polyline (image pixels -> page frame -> signal)."""
    from augment.geometry import backward_points

    pts = np.asarray(panel.polyline, dtype=np.float64).reshape(-1, 2)
    for step in reversed(warp or []):
        pts = backward_points(step, pts)
    t = panel.t0_s + (pts[:, 0] - panel.x0_px) / panel.px_per_s
    v = (panel.baseline_px - pts[:, 1]) / panel.px_per_mv
    order = np.argsort(t, kind="stable")
    return t[order], v[order]


class SourceLoader:
    """Reloads records through the sources of the build's recipe (opened lazily, cached)."""

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.recipe = None
        self.sources: dict[str, Any] = {}
        self.error: str | None = None
        try:
            from ecginstruct.recipe import load_recipe

            self.recipe = load_recipe(self.out / "recipe.yaml")
        except ECGInstructError as e:
            self.error = f"no usable recipe.yaml in the build ({e})"

    def load(self, row: dict[str, Any]):
        if self.recipe is None:
            return None
        sid = (row.get("meta") or {}).get("source_id") or row["source"]
        try:
            if sid not in self.sources:
                from ecginstruct.sources import get_source

                spec = self.recipe.source(sid)
                self.sources[sid] = get_source(spec.source, spec.root, **spec.options)
            src = self.sources[sid]
            if hasattr(src, "load_id"):
                return src.load_id(row["record_id"])
            from ecginstruct.sources.base import find_ref

            return src.load(find_ref(src.refs(), row["record_id"], source=row["source"]))
        except (ECGInstructError, OSError) as e:
            self.error = f"{sid}: {e}"
            return None


def page_fidelity(row: dict[str, Any], image: np.ndarray, record=None) -> dict[str, Any]:
    """Per-lead r/SNR of one row's page against the polyline-implied signal and, when ``record``
    is given, against the source record (then the page's headline numbers use the source)."""
    from renderers.digitize import digitize_panel, lead_key, reference_at, score

    gt = row["ground_truth"]
    page_img = to_page_frame(image, gt)
    exclude = [tuple(b) for b in gt.get("calibration_boxes") or []]
    pooled: dict[str, dict[str, tuple[list, list]]] = {"polyline": {}, "source": {}}
    for p in panels_of(gt):
        t, mv = digitize_panel(page_img, p, exclude)
        rt, rv = polyline_reference(p, gt.get("warp"))
        inside = (t >= rt[0]) & (t <= rt[-1]) if len(rt) else np.zeros(len(t), bool)
        refs, ests = pooled["polyline"].setdefault(lead_key(p), ([], []))
        refs.append(np.interp(t[inside], rt, rv))
        ests.append(mv[inside])
        rec = None
        if record is not None:
            rec = record if p.record_index == 0 else (record.meta or {}).get("paired_record")
        if rec is not None:
            inside = (t >= 0) & (t <= (rec.n_samples - 1) / rec.fs)
            refs, ests = pooled["source"].setdefault(lead_key(p), ([], []))
            refs.append(reference_at(rec, p.lead, t[inside]))
            ests.append(mv[inside])
    out: dict[str, Any] = {"id": row["id"], "style": row["style"]}
    for ref_name, leads in pooled.items():
        scores = {k: score(np.concatenate(r), np.concatenate(e)) for k, (r, e) in leads.items()}
        rs = [v["r"] for v in scores.values() if math.isfinite(v["r"])]
        snr = [v["snr_db"] for v in scores.values() if math.isfinite(v["snr_db"])]
        out[ref_name] = {
            "median_r": float(np.median(rs)) if rs else math.nan,
            "median_snr_db": float(np.median(snr)) if snr else math.nan,
            "leads": scores,
        }
    out["reference"] = "source" if out["source"]["leads"] else "polyline"
    out["median_r"] = out[out["reference"]]["median_r"]
    out["median_snr_db"] = out[out["reference"]]["median_snr_db"]
    out["polyline_r"] = out["polyline"]["median_r"]
    return out


def fidelity_report(
    out: str | Path, config: QualityConfig, rows: Sequence[dict[str, Any]] | None = None
) -> tuple[list[Check], dict[str, Any]]:
    """Digitize a sample of pages per style; checks ``fidelity.median_r.<style>``."""
    per_style = int(config.fidelity.get("pages_per_style", 12))
    if rows is None:
        rows = read_rows(out, FIDELITY_COLUMNS)
    picked = pick_rows(rows, per_style)
    want = {r["id"] for r in picked}
    images = _images(out, want)
    loader = SourceLoader(out)
    pages = []
    for r in picked:
        rec = loader.load(r)
        try:
            pages.append(page_fidelity(r, images[r["id"]], rec))
        except (ECGInstructError, KeyError, ValueError) as e:
            log.warning("fidelity: %s skipped (%s)", r["id"], e)
    by_style: dict[str, dict[str, Any]] = {}
    for style in sorted({p["style"] for p in pages}):
        ps = [p for p in pages if p["style"] == style]
        r = [p["median_r"] for p in ps if math.isfinite(p["median_r"])]
        s = [p["median_snr_db"] for p in ps if math.isfinite(p["median_snr_db"])]
        by_style[style] = {
            "pages": len(ps),
            "median_r": float(np.median(r)) if r else math.nan,
            "p10_r": float(np.percentile(r, 10)) if r else math.nan,
            "median_snr_db": float(np.median(s)) if s else math.nan,
            "references": sorted({p["reference"] for p in ps}),
            "polyline_median_r": _median([p["polyline_r"] for p in ps]),
        }
    checks = [
        judge(
            config,
            f"fidelity.median_r.{style}",
            v["median_r"],
            n=v["pages"],
            detail=(
                f"SNR {v['median_snr_db']:.1f} dB; reference {'/'.join(v['references'])}; "
                f"against the drawn polylines r {v['polyline_median_r']:.3f}"
            ),
        )
        for style, v in by_style.items()
    ]
    details = {
        "by_style": by_style,
        "pages": [{k: v for k, v in p.items() if k not in ("source", "polyline")} for p in pages],
        "source_error": loader.error,
    }
    return checks, details


def _images(out, ids: set[str]) -> dict[str, np.ndarray]:
    from ecginstruct.quality.data import iter_batches

    found = {}
    for batch in iter_batches(out, ("id", "image"), batch_size=32):
        for r in batch:
            if r["id"] in ids:
                found[r["id"]] = decode_image((r["image"] or {}).get("bytes"))
    return found


def _median(xs) -> float:
    xs = [x for x in xs if math.isfinite(x)]
    return float(np.median(xs)) if xs else math.nan
