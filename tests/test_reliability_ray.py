"""The Ray executor gives the same bytes as the local one, with 1 and with 2 workers.

Ray starts once for the module (~5 s, ~1 GB): a short temp dir (unix socket paths are limited to
~107 characters), no dashboard, 2 CPUs.
"""

from __future__ import annotations

import shutil
import tempfile

import pytest

from ecginstruct.executors import build
from tests.test_build_helpers import folder_digest, tiny_recipe

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow
N = 12


@pytest.fixture(scope="module")
def ray_cluster():
    tmp = tempfile.mkdtemp(prefix="r", dir="/tmp")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _temp_dir=tmp,
        log_to_driver=False,
        configure_logging=False,
    )
    yield
    ray.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)


def test_ray_one_and_two_workers_match_local(ray_cluster, tmp_path):
    local = build(tiny_recipe(N), tmp_path / "local", progress=False, card=False)
    assert local.ok
    want = folder_digest(tmp_path / "local", names=("data", "rejects.jsonl"))
    for workers in (1, 2):
        out = tmp_path / f"ray{workers}"
        rep = build(
            tiny_recipe(N), out, executor="ray", workers=workers, progress=False, card=False
        )
        assert rep.ok, rep.failures
        assert folder_digest(out, names=("data", "rejects.jsonl")) == want
        assert rep.totals() == local.totals()
    # a rerun with Ray resumes: nothing left to do
    again = build(tiny_recipe(N), out, executor="ray", workers=2, progress=False, card=False)
    assert again.units_run == 0 and again.resumed_shards == len(local.plan.shards)
