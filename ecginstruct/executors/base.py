"""The executor contract and the shard function every executor runs.

An executor gets the shards still to do and runs :func:`build_shard` on each, anywhere it likes
(in process, on Ray workers). Every executor obeys the same rules (DESIGN.md, interface 6): the
shard is the unit of work; it is written to a temporary name, renamed, then marked complete with
its stats (:mod:`ecginstruct.shards`); a failed shard is retried ``retries`` times, then reported
in the returned failures -- never swallowed; Ctrl-C stops cleanly (nothing half-written is ever
taken for done).
"""

from __future__ import annotations

import gc
import os
import resource
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ecginstruct.pipeline import BuildContext, run_unit
from ecginstruct.plan import Shard
from ecginstruct.shards import ShardWriter

DoneCallback = Callable[[Shard, dict], None]
ProgressCallback = Callable[[int], None]


@dataclass
class ShardFailure:
    shard: str
    attempts: int
    error: str

    def to_json(self) -> dict:
        return {"shard": self.shard, "attempts": self.attempts, "error": self.error}


class Executor(Protocol):
    name: str

    def run(
        self,
        shards: list[Shard],
        out: Path,
        on_done: DoneCallback,
        on_progress: ProgressCallback | None = None,
    ) -> list[ShardFailure]:
        """Build ``shards`` into ``out``; call ``on_done(shard, stats)`` as each completes."""
        ...


def build_shard(
    ctx: BuildContext,
    shard: Shard,
    out: Path,
    plan_sha256: str,
    on_progress: ProgressCallback | None = None,
) -> dict:
    """Run every unit of ``shard`` in order and commit the shard; returns its stats (marker)."""
    t0, c0 = time.perf_counter(), time.process_time()
    freeze_long_lived()
    ctx.timings.clear()
    writer = ShardWriter(out, shard.name, ctx.recipe.row_group_size)
    rejects = []
    try:
        for unit in shard.units:
            res = run_unit(ctx, unit)
            if res.row is not None:
                t_w = time.perf_counter()
                writer.write(res.row)
                ctx.timings["write"] = ctx.timings.get("write", 0.0) + time.perf_counter() - t_w
            else:
                rejects.append(res.reject)
            if on_progress is not None:
                on_progress(1)
        t_w = time.perf_counter()
        writer.finish()  # the last row group and the footer: timed as "write" too
        ctx.timings["write"] = ctx.timings.get("write", 0.0) + time.perf_counter() - t_w
    except BaseException:
        writer.abort()
        raise
    return writer.commit(
        {
            "split": shard.split,
            "units": len(shard.units),
            "rejects": rejects,
            "plan_sha256": plan_sha256,
            # timings live in the marker only, never inside the shard
            "seconds": round(time.perf_counter() - t0, 4),
            # CPU time of this process on the shard: with wall seconds, tells a busy machine
            # (CPU < wall) from slow code (scripts/bench_build.py)
            "cpu_seconds": round(time.process_time() - c0, 4),
            "stage_seconds": {k: round(v, 4) for k, v in sorted(ctx.timings.items())},
            "max_rss_mb": _max_rss_mb(),
            "rss_mb": _rss_mb(),
            "pid": os.getpid(),
            # imports and stage look-up of this process, paid by its first shard only
            "context_start_s": ctx.take_startup_seconds(),
        }
    )


def freeze_long_lived() -> None:
    """Collect, then move every object alive now (modules, sources, caches) out of the cyclic
    garbage collector's sight until the next shard.

    A page's ground truth is tens of thousands of small lists (polyline points); creating them
    triggers full collections that each walked the ~135k objects of the imported libraries:
    41 of the 62 ms of the "encode" stage (ground truth to JSON) at 150 dpi, ~20% of a
    sample's CPU time. Frozen objects are still freed by reference counting; the unfreeze and
    collect first (~35 ms per shard) catch cycles that became garbage during the last shard."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _max_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _rss_mb() -> float | None:
    """Resident memory now (Linux), to see whether a worker grows from shard to shard."""
    try:
        with open("/proc/self/statm") as f:
            return round(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except (OSError, ValueError, IndexError):
        return None


def describe(e: BaseException) -> str:
    tb = traceback.format_exception_only(type(e), e)
    return "".join(tb).strip()[-2000:]
