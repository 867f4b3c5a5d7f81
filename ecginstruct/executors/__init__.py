"""Executors run the shards of a plan: ``local`` (in process) and ``ray``; :func:`build` runs a
whole build (plan, executor, rejects, summary, card) and resumes an interrupted one."""

from ecginstruct.executors.base import Executor, ShardFailure, build_shard
from ecginstruct.executors.run import BuildReport, build

__all__ = ["BuildReport", "Executor", "ShardFailure", "build", "build_shard"]
