"""Writing the quality report: ``report.md``, ``report.html``, ``quality.json`` and PNG figures."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ecginstruct.quality import plots
from ecginstruct.quality.document import Doc
from ecginstruct.seeding import seed_for


def _f(x: Any, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        if not math.isfinite(x):
            return "-"
        return f"{x:.{digits}f}" if abs(x) < 1000 else f"{x:,.0f}"
    return str(x)


def clean(obj: Any) -> Any:
    """JSON-safe copy: NaN/inf -> None, tuples -> lists, unknown objects -> str."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    if hasattr(obj, "item"):
        return clean(obj.item())
    return str(obj)


def _examples(res, rows: list[dict], k: int = 6) -> list:
    from ecginstruct.quality.data import decode_image, iter_batches

    by_style: dict[str, list] = {}
    for r in sorted(rows, key=lambda r: seed_for(0, r["id"], "report-example")):
        by_style.setdefault(r.get("style"), []).append(r)
    pick = []
    while len(pick) < k and any(by_style.values()):
        for s in sorted(by_style, key=str):
            if by_style[s] and len(pick) < k:
                pick.append(by_style[s].pop(0))
    want = {r["id"]: r for r in pick}
    images = {}
    for batch in iter_batches(res.out, ("id", "image"), batch_size=32):
        for b in batch:
            if b["id"] in want:
                images[b["id"]] = decode_image(b["image"]["bytes"])
    out = []
    for r in pick:
        if r["id"] not in images:
            continue
        conv = "\n".join(f"{t['from']}: {t['value']}" for t in r["conversations"])
        cap = f"{r['id']} | {r.get('style')}/{r.get('intensity')} | {', '.join(r.get('labels') or [])}"
        out.append((images[r["id"]], cap, conv))
    return out


def write_report(res, report_dir: str | Path) -> Path:
    """Write the report folder; returns the Markdown file."""
    d = Path(report_dir)
    d.mkdir(parents=True, exist_ok=True)
    rows = res.details.get("_rows_for_plots") or []
    det = {k: v for k, v in res.details.items() if k != "_rows_for_plots"}
    doc = Doc()
    doc.h(1, f"Dataset quality report: {res.verdict}")
    fails = [c.name for c in res.checks if c.status == "fail"]
    doc.p(
        f"Dataset: `{res.out}` ({det.get('rows', 0):,} rows). Verdict **{res.verdict}**"
        + (f" -- failed: {', '.join(fails)}." if fails else " -- every check within its threshold.")
    )
    doc.h(2, "Checks")
    doc.table(
        ["check", "value", "threshold", "status", "n", "detail"],
        [[c.name, _f(c.value), c.threshold_text, c.status, _f(c.n), c.detail] for c in res.checks],
    )
    probe = det.get("probe")
    if probe:
        _probe_section(doc, probe, d)
    fid = det.get("fidelity")
    if fid or probe:
        doc.image(plots.per_style(probe, fid, d / "per_style.png"), "per-style metrics")
    if fid:
        doc.h(2, "Signal fidelity")
        doc.p(
            "Pages are unwarped into the page frame, digitized lead by lead and compared with the "
            "source record (reference 'source') or, when the source cannot be opened here, with "
            "the signal implied by the stored trace polylines ('polyline')."
        )
        doc.table(
            ["style", "pages", "median r", "p10 r", "median SNR dB", "r vs polylines", "reference"],
            [
                [
                    s,
                    str(v["pages"]),
                    _f(v["median_r"]),
                    _f(v["p10_r"]),
                    _f(v["median_snr_db"], 1),
                    _f(v.get("polyline_median_r")),
                    "/".join(v["references"]),
                ]
                for s, v in fid["by_style"].items()
            ],
        )
        if fid.get("source_error"):
            doc.p(f"Source reload: {fid['source_error']}")
    _text_section(doc, det.get("text") or {}, rows, d)
    _split_section(doc, det.get("split") or {})
    if rows:
        ex = _examples(res, rows)
        if ex:
            doc.h(2, "Examples")
            doc.image(plots.examples(ex, d / "examples.png"), "example pages")
    doc.h(2, "Timing")
    doc.p(", ".join(f"{k} {v:.1f} s" for k, v in res.seconds.items()))
    md = d / "report.md"
    md.write_text(doc.markdown())
    (d / "report.html").write_text(doc.html(f"Quality report: {res.verdict}"))
    (d / "quality.json").write_text(
        json.dumps(clean({**res.to_json(), "details": det}), indent=1, sort_keys=True) + "\n"
    )
    return md


def _probe_section(doc: Doc, probe: dict, d: Path) -> None:
    real, ctrl = probe["real"], probe.get("control")
    doc.h(2, "Learnability probe")
    s = probe["settings"]
    doc.p(
        f"A {s['arch']} CNN (channels {s['channels']}) trained from "
        f"{'checkpoint ' + str(s['checkpoint']) if s.get('checkpoint') else 'scratch'} for "
        f"{s['epochs']} epochs on {s['width']}x{s['height']} ink maps of the train split "
        f"({', '.join(f'{k} {v:,}' for k, v in sorted(probe['n_rows'].items()))} rows); scored on "
        f"the test split. Labels: {', '.join(real['labels'])}. "
        f"Decode {probe['decode_s']:.0f} s, training {real['seconds']:.0f} s"
        + (f", control {ctrl['seconds']:.0f} s." if ctrl else ".")
    )
    head = ["group", "n", "macro AUC", "macro F1", "Hamming loss", "left out of AUC"]
    rows = [["all (test)", *_m(real["test"])]]
    if ctrl:
        rows.append(["shuffled-label control", *_m(ctrl["test"])])
    for g, vals in real["by_group"].items():
        for k, m in vals.items():
            rows.append([f"{g}={k}", *_m(m)])
    doc.table(head, rows)
    t = real["test"]
    if t.get("mcq_n") or t.get("yesno_n"):
        doc.p(
            "The probe answering the test rows' own questions from its label scores: MCQ accuracy "
            f"{_f(t.get('mcq_accuracy'))} (n={t.get('mcq_n', 0)}), close-ended accuracy "
            f"{_f(t.get('yesno_accuracy'))} (n={t.get('yesno_n', 0)})"
            + (
                f"; shuffled control {_f(ctrl['test'].get('mcq_accuracy'))} / "
                f"{_f(ctrl['test'].get('yesno_accuracy'))}."
                if ctrl
                else "."
            )
        )
    drop = probe.get("style_drop") or {}
    if drop:
        doc.p(
            "Drop in macro AUC from printed pages: "
            + ", ".join(f"{k} {_f(v)}" for k, v in drop.items())
            + "."
        )
    doc.table(
        ["label", "test positives", "AUC", "F1"],
        [
            [k, str(v["positives"]), _f(v["auc"]), _f(v["f1"])]
            for k, v in real["test"]["per_label"].items()
        ],
    )
    doc.image(plots.learning_curve(probe, d / "learning_curve.png"), "learning curve")


def _m(m: dict) -> list[str]:
    return [
        str(m["n"]),
        _f(m["macro_auc"]),
        _f(m["macro_f1"]),
        _f(m["hamming_loss"]),
        ", ".join(m["left_out"]) or "-",
    ]


def _text_section(doc: Doc, t: dict, rows: list, d: Path) -> None:
    if not t:
        return
    doc.h(2, "Text")
    dist = t.get("distinct") or {}
    doc.table(
        ["measure", "value"],
        [
            ["templates used", str(t.get("templates"))],
            ["question words (min/median/p95/max)", _lens(t.get("question_words"))],
            ["answer words (min/median/p95/max)", _lens(t.get("answer_words"))],
            ["yes / no (close-ended)", f"{t['yes_no'].get('yes', 0)} / {t['yes_no'].get('no', 0)}"],
            [
                "correct MCQ letters",
                ", ".join(f"{k}: {v}" for k, v in t["correct_letters"].items()) or "-",
            ],
            *[[k.replace("_", " "), _f(v)] for k, v in dist.items()],
        ],
    )
    for key, title in (
        ("inconsistent", "Inconsistent rows"),
        ("label_measurement_conflicts", "Labels contradicting measurements"),
        ("report_language_mismatches", "Report language mismatches"),
    ):
        items = t.get(key) or []
        if items:
            doc.p(f"{title} (first {len(items)}):")
            doc.bullets(
                [f"{i}: {'; '.join(p) if isinstance(p, list) else p}" for i, p in items[:20]]
            )
    if rows:
        doc.image(
            plots.distributions(rows, d / "distributions.png"), "label and task distributions"
        )
        doc.image(
            plots.lengths(
                t.get("question_word_lengths") or [],
                t.get("answer_word_lengths") or [],
                d / "lengths.png",
            ),
            "length distributions",
        )


def _lens(s: dict | None) -> str:
    if not s:
        return "-"
    return f"{s['min']} / {s['p50']:g} / {s['p95']:g} / {s['max']}"


def _split_section(doc: Doc, s: dict) -> None:
    if not s:
        return
    doc.h(2, "Splits")
    doc.p(
        "Rows per split: "
        + ", ".join(f"{k} {v:,}" for k, v in s["rows_per_split"].items())
        + f"; {s['patients']:,} patients. Exclusion lists: {', '.join(s['exclusion_lists']) or 'none'}."
    )
    for key, title in (
        ("shared_patients", "Patients in more than one split"),
        ("exclusion_hits", "Excluded records present"),
        ("duplicate_ids", "Duplicate ids"),
    ):
        if s.get(key):
            doc.p(f"{title}:")
            doc.bullets([json.dumps(x) if not isinstance(x, str) else x for x in s[key][:20]])
