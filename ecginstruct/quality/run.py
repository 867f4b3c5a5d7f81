"""``run_quality``: every check on a built dataset, one verdict, a report folder.

Order: split checks and text checks (every row, cheap), signal fidelity (a sample of pages), then
the learnability probe (the slow part; ``probe=False`` skips it). The verdict is "fail" when any
check fails; checks without enough rows are "skip" and do not fail the dataset.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecginstruct.quality.config import FAIL, Check, QualityConfig, judge, load_config
from ecginstruct.quality.data import read_rows
from ecginstruct.quality.split_checks import SPLIT_COLUMNS, split_checks
from ecginstruct.quality.text_checks import TEXT_COLUMNS, text_checks

log = logging.getLogger(__name__)

ROW_COLUMNS = tuple(
    dict.fromkeys(
        (*TEXT_COLUMNS, *SPLIT_COLUMNS, "style", "intensity", "ground_truth", "patient_id")
    )
)


@dataclass
class QualityResult:
    out: str
    checks: list[Check] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(c.status == FAIL for c in self.checks)

    @property
    def verdict(self) -> str:
        return "PASS" if self.ok else "FAIL"

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.out,
            "verdict": self.verdict,
            "checks": [c.to_json() for c in self.checks],
            "details": self.details,
            "seconds": self.seconds,
        }


def probe_checks(config: QualityConfig, probe: dict[str, Any]) -> list[Check]:
    """Checks on a probe report (``ProbeReport.to_json()``)."""
    real, ctrl = probe["real"], probe.get("control")
    styles = real["by_group"].get("style", {})
    checks = []
    for style, m in styles.items():
        name = f"probe.macro_auc.{style}"
        if name in config.checks:
            checks.append(
                judge(
                    config,
                    name,
                    m["macro_auc"],
                    n=m["n"],
                    detail=f"F1 {m['macro_f1']:.3f}, HL {m['hamming_loss']:.3f}; "
                    f"left out: {', '.join(m['left_out']) or 'none'}",
                )
            )
    if ctrl is not None:
        checks.append(
            judge(config, "probe.control_auc", ctrl["test"]["macro_auc"], n=ctrl["test"]["n"])
        )
        checks.append(
            judge(
                config,
                "probe.auc_margin",
                probe["margin"],
                n=real["test"]["n"],
                detail=(
                    f"real {real['test']['macro_auc']:.3f} vs shuffled {ctrl['test']['macro_auc']:.3f}"
                    " -- a small margin means the labels are not learnable from the images "
                    "(corrupted or shuffled labels?)"
                ),
            )
        )
    return checks


def style_drop(probe: dict[str, Any]) -> dict[str, float]:
    """Macro AUC drop from printed to each other style."""
    s = {k: m["macro_auc"] for k, m in probe["real"]["by_group"].get("style", {}).items()}
    base = s.get("printed", math.nan)
    return {k: base - v for k, v in s.items() if k != "printed"}


def run_quality(
    out: str | Path,
    report_dir: str | Path | None = None,
    *,
    config: QualityConfig | None = None,
    probe: bool = True,
    fidelity: bool = True,
    epochs: int | None = None,
    checkpoint: str | None = None,
    exclude: Sequence[str | Path] = (),
    progress: Callable[[str], None] | None = None,
) -> QualityResult:
    """Run every check on the dataset in ``out``; write the report into ``report_dir`` if given."""
    config = config or load_config()
    say = progress or (lambda m: log.info("%s", m))
    res = QualityResult(out=str(out))
    if report_dir is not None:
        Path(report_dir).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rows = read_rows(out, ROW_COLUMNS)
    res.details["rows"] = len(rows)
    say(f"read {len(rows):,} rows")
    checks, res.details["split"] = split_checks(rows, config, out, exclude)
    res.checks += checks
    checks, res.details["text"] = text_checks(rows, config)
    res.checks += checks
    res.seconds["rows"] = time.perf_counter() - t0
    if fidelity:
        from ecginstruct.quality.fidelity import fidelity_report

        t = time.perf_counter()
        checks, res.details["fidelity"] = fidelity_report(out, config, rows)
        res.checks += checks
        res.seconds["fidelity"] = time.perf_counter() - t
        say(f"fidelity on {len(res.details['fidelity']['pages'])} pages")
    if probe:
        from ecginstruct.quality.probe import ProbeSettings, run_probe

        t = time.perf_counter()
        settings = ProbeSettings.from_config(config.probe, epochs=epochs, checkpoint=checkpoint)
        rep = run_probe(out, settings, save_dir=report_dir, progress=say).to_json()
        rep["style_drop"] = style_drop(rep)
        res.details["probe"] = rep
        res.checks += probe_checks(config, rep)
        res.seconds["probe"] = time.perf_counter() - t
    res.seconds["total"] = time.perf_counter() - t0
    res.details["_rows_for_plots"] = rows
    if report_dir is not None:
        from ecginstruct.quality.report import write_report

        write_report(res, report_dir)
    res.details.pop("_rows_for_plots", None)
    return res
