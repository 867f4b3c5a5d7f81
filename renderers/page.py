"""``render_page``: one ECG record (or a pair) -> a printed-paper :class:`Page` with ground truth.

Order of work: validate spec and record, lay the page out in mm (``layouts.plan``), copy the
cached grid, draw calibration pulses, lead separators, traces, labels and header, and record
every panel's affine signal -> pixel mapping plus its polyline. Pure: same inputs, same bytes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ecginstruct.types import BadSignal, ECGRecord, LeadPanel, Page, RecordError
from renderers import text, traces
from renderers.geometry import HEADER_TOP_MM, frame, px_per_mm
from renderers.grid import blank_grid
from renderers.layouts import SEPARATOR_HALF_MM, Plan, Slot, plan
from renderers.spec import RenderSpec, as_spec

LABEL_MM = 2.6  # lead label cap height
LABEL_ABOVE_MM = 8.0  # label top above the baseline (rows permitting)
HEADER_MM = 2.8
HEADER_LINE_MM = 4.6
TITLE_MM = 3.2
PULSE_S = 0.2  # the 1 mV calibration pulse is 0.2 s wide


def _check(record: ECGRecord) -> np.ndarray:
    """The record's (12, n) float64 signal, or a typed error naming the record."""

    def bad(reason: str) -> RecordError:
        return BadSignal(record.source, record.record_id, reason, stage="render")

    sig = np.asarray(record.signal)
    if sig.ndim != 2 or sig.shape[0] != len(record.leads):
        raise bad(f"signal shape {sig.shape} does not match {len(record.leads)} lead names")
    if sig.shape[1] < 2:
        raise bad(f"signal has {sig.shape[1]} sample(s); nothing to draw")
    fs = record.fs
    if not (isinstance(fs, (int, float, np.number)) and math.isfinite(fs) and fs > 0):
        raise bad(f"sampling rate {fs!r} is not a positive number")
    if not np.isfinite(sig).all():
        raise bad("signal has NaN/inf samples")
    return sig.astype(np.float64, copy=False)


def _lead_signal(record: ECGRecord, sig: np.ndarray, slot: Slot) -> np.ndarray:
    try:
        row = record.leads.index(slot.source_lead)
    except ValueError:
        raise BadSignal(
            record.source, record.record_id, f"lead {slot.source_lead} missing", stage="render"
        ) from None
    return slot.sign * sig[row]


def _window_start(
    record: ECGRecord, spec: RenderSpec, span_s: float, rng: np.random.Generator | None
) -> float:
    """First second shown: spec.start_s, else a random whole-sample offset, else 0."""
    if spec.start_s is not None:
        return float(spec.start_s)
    n = record.n_samples
    need = int(math.ceil(span_s * record.fs - 1e-6))
    if rng is None or n <= need:
        return 0.0
    return int(rng.integers(0, n - need + 1)) / float(record.fs)


def _pulse(img, x_end_mm, base_mm, spec: RenderSpec, s: float, thick: float, pad: float):
    """The 1 mV calibration pulse ending at ``x_end_mm``; returns its box in px."""
    pw = PULSE_S * float(spec.speed_mm_s)
    up = float(spec.gain_mm_mv)
    xs = [x_end_mm - pw - 4, x_end_mm - pw - 2, x_end_mm - pw - 2, x_end_mm - 2, x_end_mm - 2]
    ys = [base_mm, base_mm, base_mm - up, base_mm - up, base_mm]
    pts = np.array(list(zip(xs + [x_end_mm], ys + [base_mm])), dtype=np.float64) * s
    traces.draw_polyline(img, pts, thick)
    return traces.pad_box(pts, pad)


def _header(img, records: list[ECGRecord], spec: RenderSpec, gx0: float, s: float, filt: str):
    boxes = []
    settings = text.settings_line(spec.speed_mm_s, spec.gain_mm_mv, filt)
    if not spec.header:
        # Still say how to read the page, small, in the footer like a cart printout.
        fr = frame(spec.paper)
        boxes.append(text.put_text(img, settings, gx0 * s, (fr.grid[3] + 2.0) * s, 2.2, s))
        return boxes
    columns = [gx0, gx0 + 80.0, gx0 + 160.0]
    blocks = [
        text.measurement_lines(records[0])
        if len(records) == 1 and spec.header_measurements
        else [],
        text.demographic_lines(records[0]) if len(records) == 1 else [],
        [settings],
    ]
    for x_mm, lines in zip(columns, blocks):
        for k, line in enumerate(lines[:5]):
            top = (HEADER_TOP_MM + k * HEADER_LINE_MM) * s
            boxes.append(text.put_text(img, line, x_mm * s, top, HEADER_MM, s))
    return boxes


def render_page(
    record: ECGRecord,
    spec: RenderSpec | dict[str, Any] | None = None,
    rng: np.random.Generator | None = None,
) -> Page:
    """Print ``record`` on ECG paper as ``spec`` says and return the page with its ground truth.

    ``record.meta["paired_record"]`` (an :class:`ECGRecord`) makes a two-ECG comparison page:
    both as 3x4 grids, "ECG 1" on top, "ECG 2" below (its panels carry ``record_index=1``).
    ``rng`` is only used to pick the window of a record longer than the page shows.
    """
    spec = as_spec(spec)
    paired = record.meta.get("paired_record") if isinstance(record.meta, dict) else None
    records = [record] + ([paired] if isinstance(paired, ECGRecord) else [])
    signals = [_check(r) for r in records]
    fr = frame(spec.paper)
    pl: Plan = plan(spec, fr, paired=len(records) == 2)
    s = px_per_mm(spec.dpi)
    pps = float(spec.speed_mm_s) * s
    ppmv = float(spec.gain_mm_mv) * s
    thick = spec.line_width_mm * s  # trace width in px
    pad = thick / 2.0 + 1.5
    filt = spec.filter_text or record.meta.get("filter_text") or text.default_filter_text(record.fs)

    img = blank_grid(spec.paper, spec.dpi, spec.grid_color).copy()
    calibration_boxes, separator_boxes, text_boxes = [], [], []

    # Calibration pulses and lead separators (non-trace ink).
    for row in pl.rows:
        calibration_boxes.append(_pulse(img, fr.leads_x0 - 1.0, row.baseline, spec, s, thick, pad))
    for x_mm, base_mm in pl.separators:
        p = (x_mm * s, (base_mm - SEPARATOR_HALF_MM) * s)
        q = (x_mm * s, (base_mm + SEPARATOR_HALF_MM) * s)
        traces.draw_segment(img, p, q, thick)
        separator_boxes.append(traces.pad_box(np.array([p, q]), pad))

    # Traces.
    starts = [_window_start(r, spec, pl.span_s, rng) for r in records]
    panels: list[LeadPanel] = []
    empty, truncated = [], []
    for slot in pl.slots:
        rec, sig = records[slot.record_index], signals[slot.record_index]
        t0 = starts[slot.record_index] + slot.t_offset_s
        i0, i1 = traces.sample_range(t0, t0 + slot.dur_s, rec.fs, rec.n_samples)
        name = f"{slot.lead}{' (rhythm)' if slot.is_rhythm else ''}#{slot.record_index + 1}"
        if i1 - i0 < 1:
            empty.append(name)
            continue
        if i1 - i0 < int(math.floor(slot.dur_s * rec.fs - 1e-6)):
            truncated.append(name)
        box = tuple(float(b * s) for b in slot.box)
        x0_px, base_px = slot.x0 * s, slot.baseline * s
        pts = traces.polyline(
            _lead_signal(rec, sig, slot)[i0:i1], rec.fs, i0, t0, x0_px, base_px, pps, ppmv
        )
        outside = (pts[:, 1] < box[1]) | (pts[:, 1] > box[3])
        clipped = overlap = False
        if outside.any():
            if spec.overflow == "clip":
                pts[:, 1] = np.clip(pts[:, 1], box[1], box[3])
                clipped = True
            else:
                overlap = True
        traces.draw_polyline(img, pts, thick)
        panels.append(
            LeadPanel(
                lead=slot.lead,
                box=box,
                t0_s=float(t0),
                x0_px=float(x0_px),
                baseline_px=float(base_px),
                px_per_s=float(pps),
                px_per_mv=float(ppmv),
                sample_start=int(i0),
                sample_end=int(i1),
                polyline=pts.astype(np.float32),
                clipped=clipped,
                overlap=overlap,
                row=slot.row,
                col=slot.col,
                is_rhythm=slot.is_rhythm,
                record_index=slot.record_index,
            )
        )
    if not panels:
        raise RecordError(
            record.source,
            record.record_id,
            f"no samples fall in the page window (start {starts[0]:g} s, record "
            f"{record.duration_s:g} s long)",
            stage="render",
        )

    # Labels last, on top of the traces, as printers do.
    for p in panels:
        # Near the trace start, a few mm above the baseline, as carts print it.
        top = max(p.box[1] + 0.8 * s, p.baseline_px - LABEL_ABOVE_MM * s)
        p.label_box = text.put_text(img, p.lead, p.box[0] + 1.0 * s, top, LABEL_MM, s)
        text_boxes.append(p.label_box)
    for (title, x_mm, top_mm), rec in zip(pl.titles, records):
        summary = text.short_summary(rec, rate=spec.header_measurements)
        line = title + ("   " + summary if spec.header else "")
        text_boxes.append(
            text.put_text(
                img,
                line.rstrip(),
                (x_mm + 1.0) * s,
                (top_mm + 1.5) * s,
                TITLE_MM,
                s,
                background=(255, 255, 255),
            )
        )
    text_boxes += _header(img, records, spec, fr.grid[0], s, filt)

    h, w = img.shape[:2]
    return Page(
        image=img,
        px_per_mm=float(s),
        panels=panels,
        spec=spec.to_dict(),
        calibration_boxes=calibration_boxes + separator_boxes,
        text_boxes=text_boxes,
        page_size_px=(w, h),
        meta={
            "renderer": "paper",
            # identifiers only (never personal data): lets later stages name the record in errors
            "source": records[0].source,
            "record_id": records[0].record_id,
            "layout": "3x4 pair" if len(records) == 2 else spec.layout,
            "rhythm_leads": list(spec.resolved_rhythm_leads()) if len(records) == 1 else [],
            "window_start_s": [float(x) for x in starts],
            "record_duration_s": [float(r.duration_s) for r in records],
            "span_s": float(pl.span_s),
            "empty_panels": empty,
            "truncated_panels": truncated,
            "separator_boxes": [list(b) for b in separator_boxes],
            "grid_box": [float(v * s) for v in fr.grid],
            "filter_text": filt,
            "trace_width_px": float(thick),
            "overflow": spec.overflow,
            "clipped_panels": sum(p.clipped for p in panels),
            "overlapping_panels": sum(p.overlap for p in panels),
        },
    )


class PaperRenderer:
    """The :class:`ecginstruct.types.Renderer` for printed paper pages."""

    name = "paper"

    def render(
        self,
        record: ECGRecord,
        spec: RenderSpec | dict[str, Any] | None,
        rng: np.random.Generator | None = None,
    ) -> Page:
        return render_page(record, spec, rng)
