"""The executor contract and the shard function every executor runs.

An executor gets the shards still to do and runs :func:`build_shard` on each, anywhere it likes
(in process, on Ray workers). Every executor obeys the same rules (DESIGN.md, interface 6): the
shard is the unit of work; it is written to a temporary name, renamed, then marked complete with
its stats (:mod:`ecginstruct.shards`); a failed shard is retried ``retries`` times, then reported
in the returned failures -- never swallowed; Ctrl-C stops cleanly (nothing half-written is ever
taken for done).
"""

from __future__ import annotations

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
    t0 = time.perf_counter()
    ctx.timings.clear()
    writer = ShardWriter(out, shard.name, ctx.recipe.row_group_size)
    rejects = []
    try:
        for unit in shard.units:
            res = run_unit(ctx, unit)
            if res.row is not None:
                writer.write(res.row)
            else:
                rejects.append(res.reject)
            if on_progress is not None:
                on_progress(1)
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
            "stage_seconds": {k: round(v, 4) for k, v in sorted(ctx.timings.items())},
            "max_rss_mb": _max_rss_mb(),
            "pid": os.getpid(),
        }
    )


def _max_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def describe(e: BaseException) -> str:
    tb = traceback.format_exception_only(type(e), e)
    return "".join(tb).strip()[-2000:]
