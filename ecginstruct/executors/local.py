"""The local executor: shards one after the other in this process (tests and small jobs)."""

from __future__ import annotations

from pathlib import Path

from ecginstruct.executors.base import (
    DoneCallback,
    ProgressCallback,
    ShardFailure,
    build_shard,
    describe,
)
from ecginstruct.pipeline import BuildContext, Stages
from ecginstruct.plan import Shard
from ecginstruct.recipe import Recipe


class LocalExecutor:
    name = "local"

    def __init__(
        self,
        recipe: Recipe,
        plan_sha256: str,
        *,
        retries: int = 2,
        stages: Stages | None = None,
    ):
        self.recipe = recipe
        self.plan_sha256 = plan_sha256
        self.retries = retries
        self.stages = stages

    def run(
        self,
        shards: list[Shard],
        out: Path,
        on_done: DoneCallback,
        on_progress: ProgressCallback | None = None,
    ) -> list[ShardFailure]:
        ctx = BuildContext(self.recipe, self.stages)
        failures = []
        try:
            for shard in shards:
                for attempt in range(1, self.retries + 2):
                    try:
                        stats = build_shard(ctx, shard, out, self.plan_sha256, on_progress)
                    except Exception as e:  # noqa: BLE001 -- retried, then reported
                        if attempt > self.retries:
                            failures.append(ShardFailure(shard.name, attempt, describe(e)))
                        continue
                    on_done(shard, stats)
                    break
        finally:
            ctx.close()
        return failures
