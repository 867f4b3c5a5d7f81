"""Recipes: what to build, as a safe-loaded, validated YAML file (``manifests/recipes/*.yaml``).

A recipe names its sources (with root folders and record selection), the task mix and sample
count of each source, the style mix, fixed render options, the seed, the shard size and the split
rules. :func:`load_recipe` reads one, expands ``${VAR}`` in paths, resolves relative paths and
checks every key; a bad recipe raises :class:`~ecginstruct.types.ConfigError` whose message names
the file and the key path (``sources[1].tasks['rhythm/mcq']``).

Path rules (``root``, source options ending in ``_root``, ``select.ids_file``, ``exclude``):
``${VAR}`` / ``${VAR:-default}`` are expanded from the ``variables`` given to :func:`load_recipe`
first, then from the environment (other string options get the expansion too); a relative path is
resolved against the recipe file's folder, or against the current directory when it exists there
and not next to the recipe.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ecginstruct.types import ConfigError

SPLITS = ("train", "val", "test")
DEFAULT_STYLES = {"printed": 0.4, "scanned": 0.3, "photographed": 0.3}
DEFAULT_INTENSITIES = {"light": 0.5, "medium": 0.35, "heavy": 0.15}
# Task names that the pipeline itself understands besides ecginstruct.tasks.TASKS: "auto" lets
# each work unit draw one of the tasks applicable to its record.
AUTO_TASK = "auto"

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass
class SourceSpec:
    """One source of a recipe and how many samples of which task to draw from it."""

    id: str
    source: str
    root: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    select: dict[str, Any] = field(default_factory=dict)
    samples: int | str | None = None
    tasks: dict[str, float] = field(default_factory=dict)
    patient_namespace: str | None = None
    split_by: str = "auto"


@dataclass
class Recipe:
    name: str
    seed: int
    sources: list[SourceSpec]
    samples_per_shard: int = 1000
    description: str = ""
    license: str = "other"
    styles: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_STYLES))
    intensities: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_INTENSITIES))
    render: dict[str, Any] = field(default_factory=dict)
    image: dict[str, Any] = field(default_factory=dict)
    splits: dict[str, Any] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    on_error: str = "reject"
    measure: bool = False
    task_fallback: bool = True
    row_group_size: int = 64
    path: str | None = None  # where it was read from (not part of the hash)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("path")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Recipe:
        d = dict(d)
        d["sources"] = [SourceSpec(**s) for s in d["sources"]]
        return cls(**d)

    def fingerprint(self) -> str:
        """sha256 of the normalised recipe (what the plan depends on)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def source(self, source_id: str) -> SourceSpec:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise ConfigError(f"recipe {self.name!r} has no source with id {source_id!r}")


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------


def expand_vars(text: str, variables: dict[str, str] | None = None, *, where: str = "") -> str:
    """Expand ``${VAR}`` and ``${VAR:-default}``; an unset variable without default is an error."""
    variables = variables or {}

    def sub(m: re.Match) -> str:
        name, default = m.group(1), m.group(2)
        if name in variables:
            return str(variables[name])
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(f"{where}: variable ${{{name}}} is not set (and has no :-default)")

    return _VAR.sub(sub, text)


def resolve_path(value: str, base: Path | None, variables: dict | None, *, where: str) -> str:
    p = Path(expand_vars(str(value), variables, where=where)).expanduser()
    if p.is_absolute():
        return str(p)
    if base is not None:
        near_recipe = base / p
        if near_recipe.exists() or not p.exists():
            return str(near_recipe.resolve())
    return str(p.resolve())


def load_recipe(path: str | Path, variables: dict[str, str] | None = None) -> Recipe:
    """Read and validate a recipe file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise ConfigError(f"cannot read recipe {path}: {e.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"recipe {path}: invalid YAML: {e}") from None
    recipe = parse_recipe(data, base=path.resolve().parent, variables=variables, where=str(path))
    recipe.path = str(path)
    return recipe


def parse_recipe(
    data: Any,
    *,
    base: Path | None = None,
    variables: dict[str, str] | None = None,
    where: str = "recipe",
) -> Recipe:
    """Validate a recipe given as a dict (as read from YAML)."""
    v = _Validator(where)
    d = v.mapping(data, "")
    known = {
        "name",
        "description",
        "seed",
        "license",
        "samples_per_shard",
        "row_group_size",
        "styles",
        "intensities",
        "render",
        "image",
        "splits",
        "exclude",
        "on_error",
        "measure",
        "task_fallback",
        "sources",
    }
    v.no_unknown(d, known, "")
    name = v.string(d.get("name"), "name")
    seed = v.integer(d.get("seed", 0), "seed", minimum=0)
    sps = v.integer(d.get("samples_per_shard", 1000), "samples_per_shard", minimum=1)
    rgs = v.integer(d.get("row_group_size", 64), "row_group_size", minimum=1)
    styles = v.weights(d.get("styles", DEFAULT_STYLES), "styles", _style_keys())
    intensities = v.weights(
        d.get("intensities", DEFAULT_INTENSITIES), "intensities", _known_intensities()
    )
    render = v.mapping(d.get("render", {}) or {}, "render")
    _check_render(render, v)
    image = _parse_image(v.mapping(d.get("image", {}) or {}, "image"), v)
    splits = _parse_splits(v.mapping(d.get("splits", {}) or {}, "splits"), v)
    on_error = d.get("on_error", "reject")
    if on_error not in ("reject", "raise"):
        v.fail("on_error", f"must be 'reject' or 'raise', got {on_error!r}")
    exclude = [
        resolve_path(p, base, variables, where=f"{where}: exclude[{i}]")
        for i, p in enumerate(v.sequence(d.get("exclude", []) or [], "exclude"))
    ]
    raw_sources = v.sequence(d.get("sources"), "sources")
    if not raw_sources:
        v.fail("sources", "at least one source is required")
    sources = [_parse_source(s, i, v, base, variables, where) for i, s in enumerate(raw_sources)]
    ids = [s.id for s in sources]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        v.fail("sources", f"duplicate source id(s) {dup}: give each an explicit `id`")
    return Recipe(
        name=name,
        description=str(d.get("description", "") or ""),
        seed=seed,
        license=str(d.get("license", "other")),
        samples_per_shard=sps,
        row_group_size=rgs,
        styles=styles,
        intensities=intensities,
        render=render,
        image=image,
        splits=splits,
        exclude=exclude,
        on_error=on_error,
        measure=bool(d.get("measure", False)),
        task_fallback=bool(d.get("task_fallback", True)),
        sources=sources,
    )


def _parse_source(s, i, v: _Validator, base, variables, where) -> SourceSpec:
    key = f"sources[{i}]"
    s = v.mapping(s, key)
    v.no_unknown(
        s,
        {
            "id",
            "source",
            "root",
            "options",
            "select",
            "samples",
            "tasks",
            "patient_namespace",
            "split_by",
        },
        key,
    )
    name = v.string(s.get("source"), f"{key}.source")
    from ecginstruct.sources import SOURCES

    if name not in SOURCES:
        v.fail(f"{key}.source", f"unknown source {name!r}; known: {', '.join(sorted(SOURCES))}")
    sid = v.string(s.get("id", name), f"{key}.id")
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", sid):
        v.fail(f"{key}.id", f"{sid!r} may only hold letters, digits, '_', '.', '-'")
    root = s.get("root")
    if root is not None:
        root = resolve_path(root, base, variables, where=f"{where}: {key}.root")
    options = v.mapping(s.get("options", {}) or {}, f"{key}.options")
    for k, val in list(options.items()):
        # string options get ${VAR} expansion; *_root options are paths like `root`
        if isinstance(val, str):
            okey = f"{where}: {key}.options.{k}"
            if k.endswith("_root"):
                options[k] = resolve_path(val, base, variables, where=okey)
            else:
                options[k] = expand_vars(val, variables, where=okey)
    select = v.mapping(s.get("select", {}) or {}, f"{key}.select")
    v.no_unknown(select, {"ids", "ids_file", "limit", "sample"}, f"{key}.select")
    if "ids_file" in select:
        select["ids_file"] = resolve_path(
            select["ids_file"], base, variables, where=f"{where}: {key}.select.ids_file"
        )
    for k in ("limit", "sample"):
        if k in select:
            select[k] = v.integer(select[k], f"{key}.select.{k}", minimum=0)
    if "ids" in select:
        select["ids"] = [str(x) for x in v.sequence(select["ids"], f"{key}.select.ids")]
    samples = s.get("samples")
    if samples is not None and samples != "all":
        samples = v.integer(samples, f"{key}.samples", minimum=0)
    tasks = v.mapping(s.get("tasks"), f"{key}.tasks")
    if not tasks:
        v.fail(f"{key}.tasks", "at least one task is required")
    known_tasks = _known_tasks()
    out_tasks: dict[str, float] = {}
    for t, n in tasks.items():
        tkey = f"{key}.tasks[{t!r}]"
        if known_tasks is not None and t not in known_tasks and t != AUTO_TASK:
            v.fail(tkey, f"unknown task; known: {', '.join(sorted(known_tasks))}, {AUTO_TASK}")
        if samples is None:
            out_tasks[str(t)] = v.integer(n, tkey, minimum=0)
        else:
            if not isinstance(n, (int, float)) or isinstance(n, bool) or n < 0:
                v.fail(tkey, f"weight must be a number >= 0, got {n!r}")
            out_tasks[str(t)] = float(n)
    if samples is not None and sum(out_tasks.values()) <= 0:
        v.fail(f"{key}.tasks", "weights must not all be zero")
    split_by = s.get("split_by", "auto")
    if split_by not in ("auto", "strat_fold", "hash", "source"):
        v.fail(f"{key}.split_by", "must be one of auto, strat_fold, hash, source")
    ns = s.get("patient_namespace")
    return SourceSpec(
        id=sid,
        source=name,
        root=root,
        options=options,
        select=select,
        samples=samples,
        tasks=out_tasks,
        patient_namespace=None if ns is None else str(ns),
        split_by=split_by,
    )


def _parse_image(d: dict, v: _Validator) -> dict:
    v.no_unknown(d, {"format", "jpeg_styles", "jpeg_quality"}, "image")
    fmt = d.get("format", "png")
    if fmt not in ("png", "jpeg"):
        v.fail("image.format", f"must be 'png' or 'jpeg', got {fmt!r}")
    styles = [str(s) for s in v.sequence(d.get("jpeg_styles", []) or [], "image.jpeg_styles")]
    known = _known_styles()
    for s in styles:
        if known is not None and s not in known:
            v.fail("image.jpeg_styles", f"unknown style {s!r}; known: {', '.join(known)}")
    q = v.integer(d.get("jpeg_quality", 90), "image.jpeg_quality", minimum=1)
    if q > 100:
        v.fail("image.jpeg_quality", "must be <= 100")
    return {"format": fmt, "jpeg_styles": styles, "jpeg_quality": q}


def _parse_splits(d: dict, v: _Validator) -> dict:
    v.no_unknown(d, {"val", "test", "strat_fold", "exclude_patients"}, "splits")
    out = {}
    for k, default in (("val", 0.1), ("test", 0.1)):
        x = d.get(k, default)
        if not isinstance(x, (int, float)) or isinstance(x, bool) or not 0 <= x < 1:
            v.fail(f"splits.{k}", f"must be a fraction in [0, 1), got {x!r}")
        out[k] = float(x)
    if out["val"] + out["test"] >= 1:
        v.fail("splits", "val + test must be < 1")
    folds = v.mapping(d.get("strat_fold", {"val": [9], "test": [10]}) or {}, "splits.strat_fold")
    v.no_unknown(folds, {"train", "val", "test"}, "splits.strat_fold")
    out["strat_fold"] = {
        k: [
            v.integer(f, f"splits.strat_fold.{k}") for f in v.sequence(fs, f"splits.strat_fold.{k}")
        ]
        for k, fs in folds.items()
    }
    out["exclude_patients"] = bool(d.get("exclude_patients", True))
    return out


def _check_render(render: dict, v: _Validator) -> None:
    """Fixed render options must be RenderSpec fields (checked when the renderer is present)."""
    try:
        from renderers import RenderSpec
    except ImportError:  # renderer not installed yet: checked when the build starts
        return
    import dataclasses

    if dataclasses.is_dataclass(RenderSpec):
        names = {f.name for f in dataclasses.fields(RenderSpec)}
        v.no_unknown(render, names, "render")


def _known_tasks() -> set[str] | None:
    try:
        from ecginstruct.tasks import TASKS
    except ImportError:
        return None
    return set(TASKS)


def _known_styles() -> tuple[str, ...] | None:
    try:
        from augment import STYLES
    except ImportError:
        return None
    return tuple(STYLES)


def _style_keys() -> tuple[str, ...] | None:
    """Style weight keys: a style, or "style/intensity"."""
    styles, intens = _known_styles(), _known_intensities()
    if styles is None or intens is None:
        return None
    return (*styles, *(f"{s}/{i}" for s in styles for i in intens))


def _known_intensities() -> tuple[str, ...] | None:
    try:
        from augment import INTENSITIES
    except ImportError:
        return None
    return tuple(INTENSITIES)


class _Validator:
    def __init__(self, where: str):
        self.where = where

    def fail(self, key: str, msg: str):
        raise ConfigError(f"{self.where}: {key or '<top level>'}: {msg}")

    def mapping(self, x, key) -> dict:
        if not isinstance(x, dict):
            self.fail(key, f"expected a mapping, got {type(x).__name__}")
        return dict(x)

    def sequence(self, x, key) -> list:
        if not isinstance(x, list):
            self.fail(key, f"expected a list, got {type(x).__name__}")
        return x

    def string(self, x, key) -> str:
        if not isinstance(x, str) or not x:
            self.fail(key, f"expected a non-empty string, got {x!r}")
        return x

    def integer(self, x, key, minimum: int | None = None) -> int:
        if not isinstance(x, int) or isinstance(x, bool):
            self.fail(key, f"expected an integer, got {x!r}")
        if minimum is not None and x < minimum:
            self.fail(key, f"must be >= {minimum}, got {x}")
        return int(x)

    def weights(self, x, key, known) -> dict[str, float]:
        d = self.mapping(x, key)
        for k, w in d.items():
            if known is not None and k not in known:
                self.fail(f"{key}.{k}", f"unknown; known: {', '.join(known)}")
            if not isinstance(w, (int, float)) or isinstance(w, bool) or w < 0:
                self.fail(f"{key}.{k}", f"weight must be a number >= 0, got {w!r}")
        if not d or sum(d.values()) <= 0:
            self.fail(key, "weights must not all be zero")
        return {str(k): float(w) for k, w in d.items()}

    def no_unknown(self, d: dict, known: set[str], key: str) -> None:
        for k in d:
            if k not in known:
                where = f"{key}.{k}" if key else str(k)
                self.fail(where, f"unknown key; allowed: {', '.join(sorted(known))}")
