"""Real ECG-QA items (../shared/data/ecgqa) become consistent conversations."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ecginstruct import tasks
from tests.test_tasks_helpers import record


@pytest.mark.shared_data
def test_real_ecgqa_items_convert(shared_data):
    items = []
    for name in ("samples_with_local_ptbxl_ecgs.json", "one_sample_per_template_seen.json"):
        path = shared_data / "ecgqa" / "ptbxl" / name
        if path.is_file():
            items += json.loads(path.read_text())
    if not items:
        pytest.skip("no ECG-QA samples in the shared data")
    for i, item in enumerate(items):
        paired = item["question_type"].startswith("comparison")
        meta = {"ecgqa": item, **({"paired_record": record(record_id="second")} if paired else {})}
        r = record(meta=meta, record_id=f"ecgqa-{item['sample_id']}")
        c = tasks.generate_task(r, "ecgqa", np.random.default_rng(i))
        assert tasks.check(c, r) == []
        assert c.meta["paired"] is paired and item["question"] in c.turns[0]["value"]
        assert c.answer_key["answer"] == item["answer"]
