"""One build: plan -> executor -> rejects, summary, dataset card. Rerunning resumes.

``build(recipe, out)`` writes (besides the shards of :mod:`ecginstruct.shards`)::

    plan.json        the plan (shard names and sizes, per-source counts, checksums); a rerun into
                     the same folder must have the same plan (else: --overwrite)
    recipe.yaml      the recipe file as given (provenance)
    exclusions.csv   every exclusion the plan applied (read back by `ecginstruct validate`)
    rejects.jsonl    one line per rejected work unit: id, source, record_id, stage, kind, reason
    summary.json     totals (input = written + rejected), per split/stage, timings of this run
    README.md        dataset card (+ assets/)
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ecginstruct.exclusions import Exclusion, load_exclusions, write_exclusions
from ecginstruct.executors.base import ShardFailure
from ecginstruct.plan import Plan, RefsProvider, default_refs, make_plan
from ecginstruct.progress import Progress
from ecginstruct.recipe import Recipe
from ecginstruct.shards import DATA_DIR, MARKER_DIR, TMP_DIR, clean_tmp, read_marker
from ecginstruct.types import ConfigError

# Files and folders a build owns in its output folder (the only ones --overwrite deletes).
OWNED = (
    DATA_DIR,
    MARKER_DIR,
    TMP_DIR,
    "assets",
    "plan.json",
    "recipe.yaml",
    "exclusions.csv",
    "rejects.jsonl",
    "summary.json",
    "README.md",
)


@dataclass
class BuildReport:
    out: Path
    plan: Plan
    stats: list[dict] = field(default_factory=list)
    failures: list[ShardFailure] = field(default_factory=list)
    resumed_shards: int = 0
    units_run: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    executor: str = "local"
    workers: int = 1

    @property
    def ok(self) -> bool:
        return not self.failures

    def totals(self) -> dict:
        written = sum(s["rows"] for s in self.stats)
        rejected = sum(len(s["rejects"]) for s in self.stats)
        return {"input": written + rejected, "written": written, "rejected": rejected}


def _dumps(obj) -> str:
    return json.dumps(obj, sort_keys=True, indent=1) + "\n"


def prepare_out(out: Path, plan: Plan, overwrite: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    plan_file = out / "plan.json"
    if overwrite:
        for name in OWNED:
            p = out / name
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    elif plan_file.is_file():
        try:
            old = json.loads(plan_file.read_text()).get("plan_sha256")
        except ValueError:
            old = None
        if old != plan.fingerprint():
            raise ConfigError(
                f"{out} holds another build (different recipe, limit or sources); "
                "use --overwrite to replace it, or another --out"
            )
    elif (out / DATA_DIR).is_dir() and any((out / DATA_DIR).iterdir()):
        raise ConfigError(f"{out}/{DATA_DIR} has files but no plan.json; use --overwrite")
    (out / DATA_DIR).mkdir(exist_ok=True)
    plan_file.write_text(_dumps(plan.summary()))
    if plan.recipe.path and Path(plan.recipe.path).is_file():
        shutil.copyfile(plan.recipe.path, out / "recipe.yaml")
    excl = [Exclusion(e["source"], e["record_id"], e["reason"]) for e in plan.excluded]
    write_exclusions(out / "exclusions.csv", excl)


def make_executor(
    kind: str,
    recipe: Recipe,
    plan_sha256: str,
    *,
    workers: int = 1,
    address: str | None = None,
    retries: int = 2,
    stages=None,
    ray_temp_dir: str | None = None,
):
    if kind == "local":
        from ecginstruct.executors.local import LocalExecutor

        return LocalExecutor(recipe, plan_sha256, retries=retries, stages=stages)
    if kind == "ray":
        if stages is not None:
            raise ConfigError("custom stages are only supported by the local executor")
        from ecginstruct.executors.ray_executor import RayExecutor

        return RayExecutor(
            recipe,
            plan_sha256,
            workers=workers,
            address=address,
            retries=retries,
            ray_temp_dir=ray_temp_dir,
        )
    raise ConfigError(f"unknown executor {kind!r}; use 'local' or 'ray'")


def build(
    recipe: Recipe,
    out: str | Path,
    *,
    executor: str = "local",
    workers: int = 1,
    address: str | None = None,
    limit: int | None = None,
    overwrite: bool = False,
    exclude: list[str] = (),
    retries: int = 2,
    progress: bool = True,
    stages=None,
    refs_provider: RefsProvider = default_refs,
    ray_temp_dir: str | None = None,
    card: bool = True,
) -> BuildReport:
    """Build (or resume building) ``recipe`` into ``out``."""
    out = Path(out)
    t0 = time.perf_counter()
    plan = make_plan(recipe, limit=limit, extra_exclude=list(exclude), refs_provider=refs_provider)
    prepare_out(out, plan, overwrite)
    clean_tmp(out)
    t_plan = time.perf_counter() - t0
    report = BuildReport(out, plan, executor=executor, workers=workers)
    done: dict[str, dict] = {}
    todo = []
    for shard in plan.shards:
        m = read_marker(out, shard.name)
        if m is not None and m.get("plan_sha256") == plan.fingerprint():
            done[shard.name] = m
        else:
            todo.append(shard)
    report.resumed_shards = len(done)
    report.units_run = sum(len(s.units) for s in todo)
    bar = Progress(
        sum(len(s.units) for s in todo), len(plan.shards), enabled=progress and bool(todo)
    )
    bar.shards_done = len(done)
    ex = make_executor(
        executor,
        recipe,
        plan.fingerprint(),
        workers=workers,
        address=address,
        retries=retries,
        stages=stages,
        ray_temp_dir=ray_temp_dir,
    )

    def on_done(shard, stats):
        done[shard.name] = stats
        bar.shard_done()

    t1 = time.perf_counter()
    try:
        report.failures = ex.run(todo, out, on_done, bar.update)
    finally:
        bar.close()
    t_build = time.perf_counter() - t1
    report.stats = [done[s.name] for s in plan.shards if s.name in done]
    t2 = time.perf_counter()
    if report.ok:
        finalize(out, report, card=card)
    report.seconds = {
        "plan": round(t_plan, 3),
        "build": round(t_build, 3),
        "finalize": round(time.perf_counter() - t2, 3),
    }
    if report.ok:
        _write_summary(out, report)
    return report


def finalize(out: Path, report: BuildReport, *, card: bool = True) -> None:
    with (out / "rejects.jsonl").open("w") as f:
        for s in report.stats:
            for r in s["rejects"]:
                f.write(json.dumps(r, sort_keys=True) + "\n")
    if card:
        from ecginstruct.card import write_card

        write_card(out, report.plan, report.stats)


def _write_summary(out: Path, report: BuildReport) -> None:
    by_stage = Counter()
    by_kind = Counter()
    by_split: dict[str, Counter] = {}
    for s in report.stats:
        c = by_split.setdefault(s["split"], Counter())
        c["written"] += s["rows"]
        c["rejected"] += len(s["rejects"])
        for r in s["rejects"]:
            by_stage[r["stage"]] += 1
            by_kind[r["kind"]] += 1
    stage_seconds = Counter()
    for s in report.stats:
        stage_seconds.update(s.get("stage_seconds", {}))
    summary = {
        **report.totals(),
        "splits": {k: dict(v) for k, v in sorted(by_split.items())},
        "rejected_by_stage": dict(sorted(by_stage.items())),
        "rejected_by_kind": dict(sorted(by_kind.items())),
        "excluded_by_plan": len(report.plan.excluded),
        "shards": len(report.stats),
        "resumed_shards": report.resumed_shards,
        "units_this_run": report.units_run,
        "executor": report.executor,
        "workers": report.workers,
        "seconds": report.seconds,
        "stage_seconds_all_runs": {k: round(v, 3) for k, v in sorted(stage_seconds.items())},
    }
    (out / "summary.json").write_text(_dumps(summary))


def excluded_set(out: Path, extra: list[str] = ()):
    """The exclusions a built folder must respect: its exclusions.csv plus ``extra`` files."""
    paths = [p for p in [Path(out) / "exclusions.csv"] if p.is_file()] + list(extra)
    return load_exclusions(paths)
