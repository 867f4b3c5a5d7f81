"""Planning: a recipe becomes a deterministic list of work units grouped into fixed-size shards.

One work unit = one sample = (record ref, task, split, unit id); the unit id seeds every random
choice of that sample (render spec, style, augmentation, task phrasing), so a unit renders the
same bytes whatever worker runs it or when. Per source:

1. ``refs()`` (index files only), narrowed by ``select`` (``ids``, ``ids_file``, ``limit`` =
   first N, ``sample`` = N drawn from the seed) and the exclusion lists;
2. the task counts: given directly, or ``samples`` spread over the task weights by largest
   remainder (``samples: all`` = one sample per record);
3. tasks are shuffled and paired with records taken in a seeded order, cycling through the records
   with a fresh permutation per pass when there are more samples than records.

Units get their split from :mod:`ecginstruct.splits`; within each split they are shuffled with the
seed (so shards mix sources) and cut into shards of ``samples_per_shard``; shard names
``{split}-{i:05d}-of-{n:05d}`` are known before anything is rendered.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecginstruct import splits as splits_mod
from ecginstruct.exclusions import ExclusionSet, load_exclusions
from ecginstruct.recipe import SPLITS, Recipe, SourceSpec
from ecginstruct.seeding import rng_for
from ecginstruct.types import ConfigError, RecordRef


@dataclass(frozen=True)
class WorkUnit:
    uid: str
    source_id: str
    ref: RecordRef
    task: str
    split: str = "train"


@dataclass
class Shard:
    name: str
    split: str
    index: int
    units: list[WorkUnit]

    @property
    def filename(self) -> str:
        return f"{self.name}.parquet"


@dataclass
class SourcePlan:
    source_id: str
    n_refs: int
    n_selected: int
    n_excluded: int
    tasks: dict[str, int]
    source: str = ""
    refs_sha256: str = ""
    patient_namespace: str = ""


@dataclass
class Plan:
    recipe: Recipe
    shards: list[Shard]
    sources: list[SourcePlan] = field(default_factory=list)
    excluded: list[dict] = field(default_factory=list)
    limit: int | None = None

    @property
    def n_units(self) -> int:
        return sum(len(s.units) for s in self.shards)

    def split_counts(self) -> dict[str, int]:
        c = Counter()
        for s in self.shards:
            c[s.split] += len(s.units)
        return {k: c[k] for k in SPLITS if c[k]}

    def fingerprint(self) -> str:
        """What resuming into an existing folder must agree on."""
        import hashlib

        h = hashlib.sha256(self.recipe.fingerprint().encode())
        h.update(f"limit={self.limit}".encode())
        for s in self.shards:
            h.update(f"{s.name}:{len(s.units)}:{s.units[0].uid if s.units else ''}".encode())
        return h.hexdigest()

    def summary(self) -> dict:
        return {
            "recipe": self.recipe.name,
            "recipe_sha256": self.recipe.fingerprint(),
            "plan_sha256": self.fingerprint(),
            "limit": self.limit,
            "units": self.n_units,
            "splits": self.split_counts(),
            "shards": [{"name": s.name, "units": len(s.units)} for s in self.shards],
            "sources": [sp.__dict__ for sp in self.sources],
            "excluded": len(self.excluded),
        }


def largest_remainder(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Integer counts summing to ``total`` in proportion to ``weights`` (ties: sorted keys)."""
    keys = sorted(weights)  # key order in the YAML must not matter
    wsum = float(sum(weights.values()))
    if total <= 0 or wsum <= 0:
        return {k: 0 for k in keys}
    exact = [total * weights[k] / wsum for k in keys]
    counts = [math.floor(x) for x in exact]
    rest = total - sum(counts)
    order = sorted(range(len(keys)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[:rest]:
        counts[i] += 1
    return dict(zip(keys, counts))


def select_refs(spec: SourceSpec, refs: list[RecordRef], seed: int) -> list[RecordRef]:
    sel = spec.select
    if "ids" in sel or "ids_file" in sel:
        wanted = set(sel.get("ids", []))
        if "ids_file" in sel:
            try:
                text = Path(sel["ids_file"]).read_text()
            except OSError as e:
                raise ConfigError(f"source {spec.id}: cannot read ids_file: {e}") from None
            wanted |= {ln.strip() for ln in text.splitlines() if ln.strip()}
        refs = [r for r in refs if r.record_id in wanted]
    if sel.get("sample") is not None and sel["sample"] < len(refs):
        idx = rng_for(seed, spec.id, "plan-sample").choice(len(refs), sel["sample"], replace=False)
        refs = [refs[i] for i in sorted(idx)]
    if sel.get("limit") is not None:
        refs = refs[: sel["limit"]]
    return refs


def task_counts(spec: SourceSpec, n_refs: int) -> dict[str, int]:
    if spec.samples is None:
        return {t: int(n) for t, n in sorted(spec.tasks.items())}
    total = n_refs if spec.samples == "all" else int(spec.samples)
    return largest_remainder(total, spec.tasks)


def _scale(counts: dict[str, dict[str, int]], limit: int) -> dict[str, dict[str, int]]:
    """Shrink all task counts to ``limit`` samples in total, keeping the mix."""
    flat = {(s, t): n for s, ts in counts.items() for t, n in ts.items()}
    total = sum(flat.values())
    if total <= limit:
        return counts
    scaled = largest_remainder(limit, {f"{s}\x00{t}": n for (s, t), n in flat.items()})
    out: dict[str, dict[str, int]] = {s: {} for s in counts}
    for k, n in scaled.items():
        s, t = k.split("\x00")
        out[s][t] = n
    return out


def _units_for_source(
    spec: SourceSpec, refs: list[RecordRef], counts: dict[str, int], seed: int
) -> list[tuple[RecordRef, str, str]]:
    tasks = [t for t, n in sorted(counts.items()) for _ in range(n)]
    if not tasks:
        return []
    if not refs:
        raise ConfigError(
            f"source {spec.id!r}: {len(tasks)} samples asked but no records are left after "
            "selection and exclusions"
        )
    rng = rng_for(seed, spec.id, "plan-tasks")
    tasks = [tasks[i] for i in rng.permutation(len(tasks))]
    order: list[int] = []
    epoch = 0
    while len(order) < len(tasks):
        order.extend(rng_for(seed, spec.id, f"plan-refs-{epoch}").permutation(len(refs)).tolist())
        epoch += 1
    seen: Counter = Counter()
    out = []
    for task, i in zip(tasks, order):
        ref = refs[i]
        k = seen[ref.record_id]
        seen[ref.record_id] += 1
        out.append((ref, task, f"{spec.id}:{ref.record_id}:{k}"))
    return out


def refs_checksum(refs: list[RecordRef]) -> str:
    """sha256 over what a source's index says (ids, patients, load info): its version stamp."""
    import hashlib
    import json

    h = hashlib.sha256()
    for r in refs:
        blob = [r.source, r.record_id, r.patient_id, r.extra]
        h.update(json.dumps(blob, sort_keys=True, default=str).encode())
        h.update(b"\n")
    return h.hexdigest()


RefsProvider = Callable[[SourceSpec], list[RecordRef]]


def default_refs(spec: SourceSpec) -> list[RecordRef]:
    from ecginstruct.sources import get_source

    return list(get_source(spec.source, spec.root, **spec.options).refs())


def make_plan(
    recipe: Recipe,
    *,
    limit: int | None = None,
    extra_exclude: list[str] = (),
    refs_provider: RefsProvider = default_refs,
) -> Plan:
    """Expand ``recipe`` into shards of work units (deterministic: same recipe, same plan)."""
    exclusions: ExclusionSet = load_exclusions([*recipe.exclude, *extra_exclude])
    per_source: list[tuple[SourceSpec, list[RecordRef]]] = []
    source_plans: list[SourcePlan] = []
    excluded: list[dict] = []
    counts: dict[str, dict[str, int]] = {}
    for spec in recipe.sources:
        all_refs = refs_provider(spec)
        refs = select_refs(spec, all_refs, recipe.seed)
        kept = []
        bad_patients: set[str] = set()
        for r in refs:
            hit = exclusions.match(r)
            if hit is not None:
                excluded.append({"source": spec.id, "record_id": r.record_id, "reason": hit.reason})
                if r.patient_id:
                    bad_patients.add(r.patient_id)
            else:
                kept.append(r)
        if recipe.splits.get("exclude_patients", True) and bad_patients:
            # other records of a benchmark patient would leak that patient into training
            still = []
            for r in kept:
                if r.patient_id in bad_patients:
                    excluded.append(
                        {"source": spec.id, "record_id": r.record_id, "reason": "same patient"}
                    )
                else:
                    still.append(r)
            kept = still
        counts[spec.id] = task_counts(spec, len(kept))
        per_source.append((spec, kept))
        source_plans.append(
            SourcePlan(
                spec.id,
                len(all_refs),
                len(refs),
                len(refs) - len(kept),
                {},
                spec.source,
                refs_checksum(all_refs),
                splits_mod.namespace_for(spec.source, spec.patient_namespace),
            )
        )
    if limit is not None:
        counts = _scale(counts, limit)
    rows: list[tuple[SourceSpec, RecordRef, str, str]] = []
    for (spec, kept), sp in zip(per_source, source_plans):
        sp.tasks = dict(counts[spec.id])
        for ref, task, uid in _units_for_source(spec, kept, counts[spec.id], recipe.seed):
            rows.append((spec, ref, task, uid))
    split_of = splits_mod.assign_splits(
        [
            (ref, splits_mod.namespace_for(spec.source, spec.patient_namespace), spec.split_by)
            for spec, ref, _, _ in rows
        ],
        recipe.splits,
    )
    by_split: dict[str, list[WorkUnit]] = {s: [] for s in SPLITS}
    for (spec, ref, task, uid), split in zip(rows, split_of):
        by_split[split].append(WorkUnit(uid, spec.id, ref, task, split))
    shards: list[Shard] = []
    for split in SPLITS:
        units = by_split[split]
        if not units:
            continue
        perm = rng_for(recipe.seed, split, "plan-order").permutation(len(units))
        units = [units[i] for i in perm]
        n = recipe.samples_per_shard
        n_shards = -(-len(units) // n)
        for i in range(n_shards):
            name = f"{split}-{i:05d}-of-{n_shards:05d}"
            shards.append(Shard(name, split, i, units[i * n : (i + 1) * n]))
    return Plan(recipe, shards, source_plans, excluded, limit)


def unit_rng(recipe_seed: int, unit: WorkUnit, stage: str) -> np.random.Generator:
    return rng_for(recipe_seed, unit.uid, stage)
