"""`ecginstruct publish`: the dry run, and the exact calls made to huggingface_hub (mocked)."""

from __future__ import annotations

import shutil
from unittest import mock

import pytest
from huggingface_hub import HfApi

from ecginstruct.cli import main
from ecginstruct.executors import build
from ecginstruct.publish import IGNORE_PATTERNS, files_to_upload, publish
from ecginstruct.types import ConfigError
from tests.test_build_helpers import tiny_recipe

SECRET = "hf_thisIsNotARealTokenButMustNeverBePrinted"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("p") / "ds"
    assert build(tiny_recipe(4), out, progress=False).ok
    return out


def test_dry_run_validates_loads_and_lists_without_network(built, capsys, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", SECRET)
    with mock.patch("huggingface_hub.HfApi") as api:
        rc = main(["publish", str(built), "--repo", "me/ecg-demo", "--dry-run"])
    assert rc == 0 and not api.called
    text = capsys.readouterr()
    assert "would upload" in text.out and "README.md" in text.out and "data/" in text.out
    assert "_shards" not in text.out and SECRET not in text.out + text.err


def test_upload_calls(built, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", SECRET)
    api = mock.create_autospec(HfApi, instance=True)
    plan = publish(built, "me/ecg-demo", private=True, api=api)
    assert plan.uploaded
    api.create_repo.assert_called_once_with(
        repo_id="me/ecg-demo", repo_type="dataset", private=True, exist_ok=True
    )
    if hasattr(HfApi, "upload_large_folder"):
        call = api.upload_large_folder.call_args
    else:  # huggingface_hub 2.x: upload_folder is the resumable large-folder upload
        call = api.upload_folder.call_args
    assert call.kwargs["repo_id"] == "me/ecg-demo"
    assert call.kwargs["repo_type"] == "dataset"
    assert call.kwargs["folder_path"] == str(built)
    assert call.kwargs["ignore_patterns"] == IGNORE_PATTERNS
    assert "token" not in call.kwargs
    assert SECRET not in "".join(capsys.readouterr())


def test_what_is_uploaded(built):
    names = [rel for rel, _ in files_to_upload(built)]
    assert "README.md" in names and "rejects.jsonl" in names and "plan.json" in names
    assert any(n.startswith("data/") for n in names)
    assert any(n.startswith("assets/") for n in names)
    assert not any(n.startswith(("_", ".")) or "/_" in n for n in names)


def test_invalid_folder_is_not_uploaded(built, tmp_path, capsys):
    bad = tmp_path / "bad"
    shutil.copytree(built, bad)
    (bad / "rejects.jsonl").write_text('{"x": 1}\n')
    api = mock.create_autospec(HfApi, instance=True)
    plan = publish(bad, "me/x", api=api)
    assert not plan.uploaded and not api.create_repo.called
    with mock.patch("ecginstruct.publish.validate", wraps=lambda *a, **k: plan.validation):
        assert main(["publish", str(bad), "--repo", "me/x"]) == 1
    assert "not uploading" in capsys.readouterr().out


def test_bad_repo_id(built):
    with pytest.raises(ConfigError, match="ORG/NAME"):
        publish(built, "no-slash", dry_run=True)
