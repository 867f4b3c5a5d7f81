"""The six interfaces of ecginstruct, in one place.

Everything else in the three packages implements one of these:

1. :class:`ECGRecord`      -- one 12-lead ECG in millivolts, with its labels and measurements.
2. :class:`Source`         -- ``refs()`` lists records cheaply, ``load(ref)`` reads one.
3. :class:`Renderer`       -- ``render(record, spec, rng) -> Page``.
4. :class:`Augmenter`      -- ``sample(rng, page) -> params`` then ``apply(page, params) -> Page``.
5. :class:`TaskGenerator`  -- ``generate(record, rng) -> list[Conversation]``.
6. :class:`Executor`       -- runs the shards of a plan (see ``ecginstruct.executors``).

Conventions that hold everywhere:

* signals are float32 arrays of shape (leads, samples) in millivolts, rows in the order of
  :data:`STANDARD_LEADS` (I, II, III, aVR, aVL, aVF, V1..V6) whatever the file's order;
* images are uint8 RGB arrays of shape (H, W, 3);
* pixel coordinates are (x, y) floats with the origin at the top-left corner of the top-left
  pixel, so the centre of pixel (i, j) is (j + 0.5, i + 0.5);
* every random choice comes from a ``numpy.random.Generator`` seeded by
  :func:`ecginstruct.seeding.seed_for` -- nothing reads global random state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

STANDARD_LEADS: tuple[str, ...] = (
    "I",
    "II",
    "III",
    "aVR",
    "aVL",
    "aVF",
    "V1",
    "V2",
    "V3",
    "V4",
    "V5",
    "V6",
)

Box = tuple[float, float, float, float]
"""An axis-aligned box in pixels: (x0, y0, x1, y1), x1 > x0, y1 > y0."""


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------


class ECGInstructError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class RecordError(ECGInstructError):
    """Bad input for one record. Names the source, the record and the reason.

    ``stage`` says where it was caught (``load``, ``render``, ``augment``, ``tasks``...); the
    pipeline writes these to ``rejects.jsonl`` and goes on.
    """

    kind = "bad_record"

    def __init__(self, source: str, record_id: str, reason: str, stage: str = "load"):
        self.source = source
        self.record_id = record_id
        self.reason = reason
        self.stage = stage
        super().__init__(f"[{source}:{record_id}] {reason}")

    def to_json(self) -> dict[str, str]:
        return {
            "source": self.source,
            "record_id": self.record_id,
            "stage": self.stage,
            "kind": self.kind,
            "reason": self.reason,
        }


class RecordNotFound(RecordError):
    kind = "not_found"


class CorruptRecord(RecordError):
    """Truncated or unreadable signal file, malformed header."""

    kind = "corrupt"


class BadSignal(RecordError):
    """Readable, but the samples are unusable: NaN/inf, flat or missing lead, absurd fs."""

    kind = "bad_signal"


class BadLabel(RecordError):
    kind = "bad_label"


class UnsafePath(RecordError):
    """A path in an index file resolves outside the source root."""

    kind = "unsafe_path"


class ConfigError(ECGInstructError):
    """A recipe, render spec or option is invalid. The message names the bad key."""


# --------------------------------------------------------------------------------------------
# 1. ECGRecord
# --------------------------------------------------------------------------------------------


@dataclass
class Measurements:
    """Global ECG measurements. ``None`` where unknown.

    ``origin`` says where the numbers come from: ``"source"`` (the repository's own machine
    measurements), ``"synthetic"`` (exact, known by construction) or ``"computed"`` (delineated
    from the signal, e.g. with neurokit2).
    """

    hr_bpm: float | None = None
    rr_ms: float | None = None
    pr_ms: float | None = None
    qrs_ms: float | None = None
    qt_ms: float | None = None
    qtc_ms: float | None = None
    p_axis_deg: float | None = None
    qrs_axis_deg: float | None = None
    t_axis_deg: float | None = None
    origin: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Measurements:
        return cls(**(d or {}))


@dataclass
class Demographics:
    """Only what sources license for display: age in years and sex ("M"/"F")."""

    age: float | None = None
    sex: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class RecordRef:
    """A cheap pointer to one record of a source (no signal read).

    ``record_id`` is unique within the source and stable across runs. ``patient_id`` is filled
    when the index has it (used for leakage-free splits without loading signals). ``extra`` holds
    whatever the source needs to load the record (a path, a window offset, an HDF5 row...); it
    must be JSON-serialisable so that plans can be written to disk.
    """

    source: str
    record_id: str
    patient_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ECGRecord:
    """One ECG: a (12, n) float32 signal in mV, standard lead order, plus annotations.

    ``labels`` are harmonised condition codes (see ``manifests/labels``); ``source_labels`` maps the
    source's own codes to a likelihood / confidence in [0, 100] or ``None`` when the source gives
    none. ``meta`` carries everything else (e.g. PTB-XL ``strat_fold``, extra channels such as
    Frank leads under ``meta["extra_channels"]``, notes about dropped channels).
    """

    record_id: str
    source: str
    signal: np.ndarray
    fs: float
    leads: tuple[str, ...] = STANDARD_LEADS
    patient_id: str | None = None
    labels: tuple[str, ...] = ()
    source_labels: dict[str, float | None] = field(default_factory=dict)
    report: str | None = None
    report_language: str | None = None
    measurements: Measurements = field(default_factory=Measurements)
    demographics: Demographics = field(default_factory=Demographics)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return int(self.signal.shape[1])

    @property
    def duration_s(self) -> float:
        return self.n_samples / float(self.fs)

    def lead(self, name: str) -> np.ndarray:
        return self.signal[self.leads.index(name)]


# --------------------------------------------------------------------------------------------
# 2. Source
# --------------------------------------------------------------------------------------------


@runtime_checkable
class Source(Protocol):
    """One public repository on local disk.

    ``refs()`` is cheap and deterministic (reads index files only, sorted order). ``load(ref)``
    reads one record and raises a :class:`RecordError` subclass naming the record on bad input.
    A source never parallelises or shards: the executor does.
    """

    name: str

    def refs(self) -> Iterable[RecordRef]: ...

    def load(self, ref: RecordRef) -> ECGRecord: ...


# --------------------------------------------------------------------------------------------
# 3. Renderer and Page
# --------------------------------------------------------------------------------------------


@dataclass
class LeadPanel:
    """Ground truth of one drawn lead trace.

    Two coordinate frames: *page* pixels (the page as rendered, before any augmentation) and
    *image* pixels (the final image). ``box``, ``label_box``, ``x0_px`` and ``baseline_px`` are in
    page pixels and never change; the mapping from signal to page pixels is affine::

        x = x0_px + (t - t0_s) * px_per_s        t in seconds since the record start
        y = baseline_px - v * px_per_mv          v in mV

    ``polyline`` holds the trace's points in *image* pixels, one point per drawn sample
    ``sample_start .. sample_end - 1``; where a geometric augmentation moved the page these are the
    moved points, and ``image_box`` is the panel box's bounding box in image pixels (``None`` while
    the image is the page itself). ``Page.warp`` maps page to image pixels. ``clipped`` is True when part of the trace was
    cut at the panel's vertical limits (``overflow == "clip"``); ``overlap`` when it was drawn
    across its neighbours (``overflow == "overlap"``) and actually left its box.
    """

    lead: str
    box: Box
    t0_s: float
    x0_px: float
    baseline_px: float
    px_per_s: float
    px_per_mv: float
    sample_start: int
    sample_end: int
    polyline: np.ndarray
    label_box: Box | None = None
    clipped: bool = False
    overlap: bool = False
    row: int = 0
    col: int = 0
    is_rhythm: bool = False
    record_index: int = 0  # 1 for the second ECG of a two-ECG comparison page
    image_box: Box | None = None

    def to_json(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in LEAD_PANEL_FIELDS if k != "polyline"}
        d["box"] = list(self.box)
        d["label_box"] = list(self.label_box) if self.label_box is not None else None
        d["image_box"] = list(self.image_box) if self.image_box is not None else None
        # 0.01 px is far below what any digitizer resolves; 3+ decimals only bloat every row
        d["polyline"] = np.round(np.asarray(self.polyline, dtype=np.float64), 2).tolist()
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> LeadPanel:
        d = dict(d)
        d["box"] = tuple(d["box"])
        d["label_box"] = tuple(d["label_box"]) if d.get("label_box") is not None else None
        d["image_box"] = tuple(d["image_box"]) if d.get("image_box") is not None else None
        d["polyline"] = np.asarray(d["polyline"], dtype=np.float32).reshape(-1, 2)
        return cls(**d)


LEAD_PANEL_FIELDS = tuple(f.name for f in dataclasses.fields(LeadPanel))


@dataclass
class Page:
    """A rendered (and possibly augmented) ECG image plus everything needed to digitize it back.

    * ``image``: uint8 RGB (H, W, 3).
    * ``px_per_mm``: paper resolution of the *rendered* page (dpi / 25.4).
    * ``panels``: one :class:`LeadPanel` per drawn trace (a lead drawn twice, e.g. in a rhythm
      strip, has two panels).
    * ``calibration_boxes``, ``text_boxes``: boxes of non-trace ink (calibration pulses, lead
      labels, header text) so that ink checks can leave them out.
    * ``spec``: the render spec as a JSON dict.
    * ``transforms``: the augmentations applied so far, in order, as JSON dicts
      ``{"name": ..., "params": {...}}`` -- enough to reproduce the image from
      (record, spec, transforms) alone.
    * ``warp``: geometric mapping from page pixels to image pixels, ``None`` for identity. It is a
      list of JSON-serialisable geometric steps (see ``augment.geometry``) that can map points
      forward and build an inverse remap to unwarp the image.
    """

    image: np.ndarray
    px_per_mm: float
    panels: list[LeadPanel]
    spec: dict[str, Any]
    calibration_boxes: list[Box] = field(default_factory=list)
    text_boxes: list[Box] = field(default_factory=list)
    transforms: list[dict[str, Any]] = field(default_factory=list)
    warp: list[dict[str, Any]] | None = None
    page_size_px: tuple[int, int] | None = None  # (W, H) of the unaugmented page
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    def annotations(self) -> dict[str, Any]:
        """The ground truth as a JSON-serialisable dict (everything but the pixels)."""
        return {
            "width": self.width,
            "height": self.height,
            "page_size_px": list(self.page_size_px) if self.page_size_px else None,
            "px_per_mm": self.px_per_mm,
            "spec": self.spec,
            "panels": [p.to_json() for p in self.panels],
            "calibration_boxes": [list(b) for b in self.calibration_boxes],
            "text_boxes": [list(b) for b in self.text_boxes],
            "transforms": self.transforms,
            "warp": self.warp,
            "meta": self.meta,
        }


@runtime_checkable
class Renderer(Protocol):
    def render(self, record: ECGRecord, spec: Any, rng: np.random.Generator) -> Page: ...


# --------------------------------------------------------------------------------------------
# 4. Augmenter
# --------------------------------------------------------------------------------------------


@runtime_checkable
class Augmenter(Protocol):
    """A seeded page-to-page transform.

    ``sample`` draws every random choice into a JSON-serialisable dict; ``apply`` is
    deterministic given (page, params). Geometric augmenters also move the page's annotations.
    """

    name: str

    def sample(self, rng: np.random.Generator, page: Page) -> dict[str, Any]: ...

    def apply(self, page: Page, params: dict[str, Any]) -> Page: ...


# --------------------------------------------------------------------------------------------
# 5. TaskGenerator
# --------------------------------------------------------------------------------------------


@dataclass
class Conversation:
    """One instruction/answer conversation in LLaVA form.

    ``turns`` is ``[{"from": "human", "value": "<image>\\n..."}, {"from": "gpt", "value": "..."},
    ...]`` with ``<image>`` at the start of the first human turn. ``category`` is one of
    ``basic_feature``, ``rhythm``, ``morphology``, ``report``; ``format`` one of ``mcq``,
    ``fill_blank``, ``close_ended``, ``open_ended`` (``multi_turn`` conversations set
    ``meta["multi_turn"] = True``). ``labels_used`` are the harmonised codes (or measurement
    names) the answer was built from; ``answer_key`` holds the machine-checkable truth (e.g. the
    correct option letter, "yes"/"no", the measurement value) for consistency checks and scoring.
    """

    turns: list[dict[str, str]]
    category: str
    format: str
    template_id: str
    labels_used: list[str] = field(default_factory=list)
    answer_key: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@runtime_checkable
class TaskGenerator(Protocol):
    name: str

    def generate(self, record: ECGRecord, rng: np.random.Generator) -> list[Conversation]: ...
