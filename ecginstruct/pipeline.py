"""The per-work-unit function: load -> measure -> task -> render -> augment -> encode -> row.

:func:`run_unit` turns one :class:`~ecginstruct.plan.WorkUnit` into one Parquet row (or one reject).
Every random choice comes from ``rng_for(recipe.seed, unit.uid, stage)``, so a unit gives the
same bytes wherever and whenever it runs. The task is generated before the page is drawn: it is
cheap and is the stage that most often turns a record down (no report, no applicable label).

Error policy (explicit, per stage): a :class:`~ecginstruct.types.RecordError` from any stage is
bad input -- the unit becomes a reject naming source, record, stage and reason. Any other exception
is a bug or an environment problem: with ``on_error: reject`` (default) it is also recorded as a
reject of kind ``error`` (so one odd record cannot sink a million-sample build, and the summary
shows it); with ``on_error: raise`` it fails the shard (retried, then reported).

The stage functions are looked up once per process in :class:`Stages` (integration point with the
renderer, augmentation, task and measurement packages); tests may pass their own.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ecginstruct.plan import WorkUnit
from ecginstruct.recipe import AUTO_TASK, Recipe
from ecginstruct.seeding import rng_for
from ecginstruct.types import ConfigError, ECGRecord, Measurements, RecordError

# record.meta keys never copied into the row's meta column: bulky arrays (they live in the
# source) and objects that are not data.
_META_DROP = {"extra_channels", "fiducials", "paired_record"}


class TaskUnavailable(RecordError):
    """No task the recipe asks for applies to this record."""

    kind = "no_task"


class InconsistentSample(RecordError):
    kind = "inconsistent"


def _json_default(o: Any):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    if isinstance(o, ECGRecord):
        return {"record_id": o.record_id, "source": o.source}
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    return str(o)


def dumps(obj: Any) -> str:
    """Canonical JSON: sorted keys, no spaces -- same object, same bytes."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_json_default)


def safe_name(uid: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", uid)


# --------------------------------------------------------------------------------------------
# stages (integration point)
# --------------------------------------------------------------------------------------------


@dataclass
class Stages:
    """The functions one sample goes through; :func:`default_stages` wires the real ones."""

    measure: Callable[[ECGRecord], ECGRecord] | None
    applicable_tasks: Callable[[ECGRecord], list[str]]
    generate_task: Callable[[ECGRecord, str, np.random.Generator], Any]
    check: Callable[[Any, ECGRecord], list[str]] | None
    sample_spec: Callable[..., Any]
    render_page: Callable[[ECGRecord, Any, np.random.Generator], Any]
    draw_style: Callable[..., tuple[str, str]]
    apply_style: Callable[..., Any]
    encode_png: Callable[[np.ndarray], bytes]
    encode_jpeg: Callable[..., bytes]


def _need(module: str, names: list[str]):
    import importlib

    try:
        mod = importlib.import_module(module)
    except ImportError as e:
        raise ConfigError(f"the build needs {module} ({e}); is the package installed?") from None
    out = []
    for n in names:
        if not hasattr(mod, n):
            raise ConfigError(f"{module}.{n} is not available; the build needs it")
        out.append(getattr(mod, n))
    return out


def default_stages(with_measure: bool = True) -> Stages:
    """The real stages. ``with_measure=False`` leaves measuring out: ecginstruct.measure imports
    scipy.signal/interpolate (~50 MB resident, ~0.8 s per worker) that a recipe with
    ``measure: false`` never uses."""
    applicable, generate = _need("ecginstruct.tasks", ["applicable_tasks", "generate_task"])
    (render_page,) = _need("renderers", ["render_page"])
    (RenderSpec,) = _need("renderers", ["RenderSpec"])
    draw_style, apply_style = _need("augment", ["draw_style", "apply_style"])
    encode_png, encode_jpeg = _need("renderers.encode", ["encode_png", "encode_jpeg"])
    measure = None
    if with_measure:
        try:
            (measure,) = _need("ecginstruct.measure", ["ensure_measurements"])
        except ConfigError:
            measure = None
    # generate_task runs ecginstruct.tasks.consistency.check itself (verify=True)
    check = None
    return Stages(
        measure=measure,
        applicable_tasks=applicable,
        generate_task=generate,
        check=check,
        sample_spec=RenderSpec.sample,
        render_page=render_page,
        draw_style=draw_style,
        apply_style=apply_style,
        encode_png=encode_png,
        encode_jpeg=encode_jpeg,
    )


def single_threaded() -> None:
    """One BLAS / OpenCV thread in this process.

    Determinism: multi-threaded BLAS may sum in another order than single-threaded BLAS, which
    moved ground-truth coordinates by ~1e-10 px between the local executor and Ray workers (Ray
    starts workers with OMP_NUM_THREADS=1). Parallelism comes from the executor's workers."""
    import cv2

    cv2.setNumThreads(1)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # not installed: BLAS keeps its threads (set OMP_NUM_THREADS=1)
        return
    threadpool_limits(limits=1)


@dataclass
class BuildContext:
    """Per-process state of a build: the recipe, the stages and the opened sources."""

    recipe: Recipe
    stages: Stages | None = None
    timings: dict[str, float] = field(default_factory=dict)
    _sources: dict[str, Any] = field(default_factory=dict)
    startup_s: float = 0.0

    def __post_init__(self):
        t0 = time.perf_counter()
        if self.stages is None:
            self.stages = default_stages(with_measure=bool(self.recipe.measure))
        single_threaded()
        self.startup_s = time.perf_counter() - t0

    def take_startup_seconds(self) -> float:
        """Seconds spent setting this context up (imports), reported once: by the first shard."""
        s, self.startup_s = self.startup_s, 0.0
        return round(s, 4)

    def source(self, source_id: str):
        if source_id not in self._sources:
            from ecginstruct.sources import get_source

            spec = self.recipe.source(source_id)
            self._sources[source_id] = get_source(spec.source, spec.root, **spec.options)
        return self._sources[source_id]

    def close(self) -> None:
        for s in self._sources.values():
            close = getattr(s, "close", None)
            if callable(close):
                close()
        self._sources.clear()


@dataclass
class UnitResult:
    row: dict[str, Any] | None = None
    reject: dict[str, Any] | None = None


class _Timer:
    def __init__(self, timings: dict[str, float]):
        self.timings = timings

    def __call__(self, stage: str):
        return _Tick(self.timings, stage)


class _Tick:
    def __init__(self, timings, stage):
        self.timings, self.stage = timings, stage

    def __enter__(self):
        self.t0 = time.perf_counter()

    def __exit__(self, *exc):
        self.timings[self.stage] = self.timings.get(self.stage, 0.0) + (
            time.perf_counter() - self.t0
        )
        return False


def _reject(unit: WorkUnit, source: str, stage: str, kind: str, reason: str) -> UnitResult:
    return UnitResult(
        reject={
            "id": unit.uid,
            "source": source,
            "record_id": unit.ref.record_id,
            "split": unit.split,
            "task": unit.task,
            "stage": stage,
            "kind": kind,
            "reason": reason,
        }
    )


def run_unit(ctx: BuildContext, unit: WorkUnit) -> UnitResult:
    """One work unit -> one row, or one reject (see the module doc for the error policy)."""
    recipe, st = ctx.recipe, ctx.stages
    spec = recipe.source(unit.source_id)
    timer = _Timer(ctx.timings)
    stage = "load"
    try:
        with timer("load"):
            record = ctx.source(unit.source_id).load(unit.ref)
        if st.measure is not None and recipe.measure:
            stage = "measure"
            with timer("measure"):
                record = st.measure(record)
        stage = "tasks"
        with timer("tasks"):
            task = _choose_task(st, recipe, spec, unit, record)
            conv = st.generate_task(record, task, rng_for(recipe.seed, unit.uid, "tasks"))
            if st.check is not None:
                problems = st.check(conv, record)
                if problems:
                    raise InconsistentSample(
                        spec.source, unit.ref.record_id, "; ".join(problems), stage="consistency"
                    )
        stage = "render"
        with timer("render"):
            rng = rng_for(recipe.seed, unit.uid, "render")
            rspec = st.sample_spec(rng, **recipe.render)
            if _asks_measurement(conv) and hasattr(rspec, "header_measurements"):
                # the cart's measurement block would print the answer on the page
                rspec = dataclasses.replace(rspec, header_measurements=False)
            page = st.render_page(record, rspec, rng)
        stage = "augment"
        with timer("augment"):
            style, intensity = _draw_style(st, recipe, unit)
            page = st.apply_style(page, style, intensity, rng_for(recipe.seed, unit.uid, "augment"))
        stage = "encode"
        with timer("encode"):
            img_fmt = recipe.image.get("format", "png")
            if style in recipe.image.get("jpeg_styles", []):
                img_fmt = "jpeg"
            if img_fmt == "jpeg":
                data = st.encode_jpeg(page.image, quality=recipe.image.get("jpeg_quality", 90))
            else:
                data = st.encode_png(page.image)
            row = _row(unit, spec, record, conv, task, page, style, intensity, img_fmt, data)
        return UnitResult(row=row)
    except RecordError as e:
        where = "consistency" if isinstance(e, InconsistentSample) else stage
        return _reject(unit, spec.source, where, e.kind, e.reason)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except Exception as e:  # noqa: BLE001 -- policy: see module doc
        if recipe.on_error == "raise":
            raise
        return _reject(unit, spec.source, stage, "error", f"{type(e).__name__}: {e}")


_MEASUREMENT_FIELDS = frozenset(f.name for f in dataclasses.fields(Measurements)) - {"origin"}


def _asks_measurement(conv) -> bool:
    """Whether the conversation's answer rests on a measurement (HR, PR, QRS, QT, axis...)."""
    used = set(getattr(conv, "labels_used", None) or ())
    return getattr(conv, "category", None) == "basic_feature" or bool(used & _MEASUREMENT_FIELDS)


def _choose_task(st: Stages, recipe: Recipe, spec, unit: WorkUnit, record: ECGRecord) -> str:
    """The unit's task, or a stand-in when it does not apply to the record.

    ``auto`` picks any applicable task of the source's list. A named task that does not apply
    (e.g. a morphology question for a normal ECG) falls back, when ``task_fallback`` is on, to an
    applicable task of the source's list: same category first, then same answer format, then
    any -- so the number of samples stays as planned and the mix close to it. The planned task
    stays in ``meta.planned_task``."""
    task = unit.task
    if task != AUTO_TASK and not recipe.task_fallback:
        return task
    applicable = set(st.applicable_tasks(record))
    if task in applicable:
        return task
    pool = sorted(applicable & _auto_pool(spec))
    if task != AUTO_TASK:
        cat, _, fmt = task.partition("/")
        same_cat = [t for t in pool if t.partition("/")[0] == cat]
        same_fmt = [t for t in pool if fmt and t.partition("/")[2] == fmt]
        pool = same_cat or same_fmt or pool
    if not pool:
        raise TaskUnavailable(
            spec.source, unit.ref.record_id, f"no applicable task (planned {task})", stage="tasks"
        )
    return pool[int(rng_for(recipe.seed, unit.uid, "task-pick").integers(len(pool)))]


def _auto_pool(spec) -> set[str]:
    """Tasks an ``auto`` unit may pick: those named next to it in the recipe, else any."""
    named = {t for t in spec.tasks if t != AUTO_TASK}
    if named:
        return named
    try:
        from ecginstruct.tasks import TASKS
    except ImportError:
        return set()
    return set(TASKS)


def style_weights(recipe: Recipe) -> dict[str, float]:
    """The recipe's style mix as ``augment.draw_style`` weights ("style/intensity" keys)."""
    if not recipe.intensities:
        return dict(recipe.styles)
    itot = sum(recipe.intensities.values())
    out: dict[str, float] = {}
    for s, w in recipe.styles.items():
        if "/" in s:  # already a style/intensity pair
            out[s] = out.get(s, 0.0) + w
            continue
        for i, wi in recipe.intensities.items():
            out[f"{s}/{i}"] = out.get(f"{s}/{i}", 0.0) + w * wi / itot
    return out


def _draw_style(st: Stages, recipe: Recipe, unit: WorkUnit) -> tuple[str, str]:
    style, intensity = st.draw_style(rng_for(recipe.seed, unit.uid, "style"), style_weights(recipe))
    return str(style), str(intensity)


def _row(unit, spec, record, conv, task, page, style, intensity, img_fmt, data) -> dict:
    ann = page.annotations()
    spec_dict = ann.pop("spec", None)
    transforms = ann.pop("transforms", [])
    rmeta = {k: v for k, v in (record.meta or {}).items() if k not in _META_DROP}
    paired = (record.meta or {}).get("paired_record")
    if paired is not None:
        rmeta["paired_record_id"] = getattr(paired, "record_id", str(paired))
    ext = "jpg" if img_fmt == "jpeg" else "png"
    meta = {
        "source_id": unit.source_id,
        "planned_task": unit.task,
        "record": rmeta,
        "report_language": record.report_language,
        "demographics": record.demographics.to_dict(),
        "conversation": conv.meta,
        "image_format": img_fmt,
        "image_size": [page.width, page.height],
        "fs": record.fs,
        "n_samples": record.n_samples,
    }
    turns = [{"from": str(t["from"]), "value": str(t["value"])} for t in conv.turns]
    return {
        "id": unit.uid,
        "image": {"bytes": data, "path": f"{safe_name(unit.uid)}.{ext}"},
        "conversations": turns,
        "source": spec.source,
        "record_id": unit.ref.record_id,
        "patient_id": unit.ref.patient_id or record.patient_id,
        "split": unit.split,
        "category": conv.category,
        "format": conv.format,
        "template_id": conv.template_id,
        "task": task,
        "style": style,
        "intensity": intensity,
        "image_format": img_fmt,
        "labels": [str(x) for x in record.labels],
        "labels_used": [str(x) for x in conv.labels_used],
        "answer_key": dumps(conv.answer_key),
        "render_params": dumps(spec_dict),
        "augment_params": dumps({"style": style, "intensity": intensity, "transforms": transforms}),
        "ground_truth": dumps(ann),
        "measurements": dumps(
            {
                **record.measurements.to_dict(),
                "field_origin": (record.meta or {}).get("measurement_origin"),
            }
        ),
        "meta": dumps(meta),
    }
