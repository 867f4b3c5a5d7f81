"""Publish a built folder to the Hugging Face Hub.

``publish(out, repo)`` validates the folder, creates the dataset repo if needed and uploads it with
huggingface_hub's resumable large-folder upload: ``HfApi().upload_large_folder`` where it exists
(huggingface_hub 0.25-1.x), else ``HfApi().upload_folder``, which in huggingface_hub 2.x is that
same streamed, multi-commit, resumable upload (re-running the call resumes). The token is whatever
huggingface_hub finds (``hf auth login`` or ``HF_TOKEN``): this module never reads, prints or
writes it. ``dry_run`` validates, opens the folder with ``datasets.load_dataset`` and lists what
would be uploaded, without touching the network.

Uploaded: README.md, assets/, data/, rejects.jsonl, summary.json, plan.json, recipe.yaml,
exclusions.csv. Left out: the build's working folders (``_shards/``, ``_tmp/``, any ``_*``) and
dot files.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from ecginstruct.types import ConfigError
from ecginstruct.validate import ValidationReport, validate

IGNORE_PATTERNS = ["_*", "_*/**", "**/_*/**", ".*", ".*/**", "**/.*"]
REPO_RE = r"^[A-Za-z0-9][\w.\-]*/[A-Za-z0-9][\w.\-]*$"


@dataclass
class PublishPlan:
    repo: str
    files: list[tuple[str, int]] = field(default_factory=list)
    validation: ValidationReport | None = None
    uploaded: bool = False

    @property
    def total_bytes(self) -> int:
        return sum(n for _, n in self.files)


def _ignored(rel: str) -> bool:
    parts = rel.split("/")
    return any(p.startswith(("_", ".")) for p in parts) or any(
        fnmatch.fnmatch(rel, pat) for pat in IGNORE_PATTERNS
    )


def files_to_upload(out: Path) -> list[tuple[str, int]]:
    out = Path(out)
    files = []
    for p in sorted(out.rglob("*")):
        if p.is_file():
            rel = p.relative_to(out).as_posix()
            if not _ignored(rel):
                files.append((rel, p.stat().st_size))
    return files


def publish(
    out: str | Path,
    repo: str,
    *,
    private: bool = False,
    dry_run: bool = False,
    api=None,
    num_workers: int | None = None,
) -> PublishPlan:
    """Validate ``out`` and upload it to dataset repo ``repo`` (see module doc)."""
    import re

    out = Path(out)
    if not re.match(REPO_RE, repo):
        raise ConfigError(f"--repo must look like ORG/NAME, got {repo!r}")
    rep = validate(out, hf=dry_run)
    plan = PublishPlan(repo, files_to_upload(out), rep)
    if not rep.ok:
        return plan
    if dry_run:
        return plan
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    # exist_ok: rerunning a publish resumes into the same repo
    api.create_repo(repo_id=repo, repo_type="dataset", private=private, exist_ok=True)
    if hasattr(api, "upload_large_folder"):
        kwargs = dict(
            repo_id=repo,
            folder_path=str(out),
            repo_type="dataset",
            private=private,
            ignore_patterns=IGNORE_PATTERNS,
        )
        if num_workers:
            kwargs["num_workers"] = num_workers
        api.upload_large_folder(**kwargs)
    else:
        # huggingface_hub >= 2.x folded the resumable, multi-commit large-folder upload into
        # upload_folder (re-running resumes: committed files are skipped, chunks deduplicated).
        api.upload_folder(
            repo_id=repo,
            folder_path=str(out),
            repo_type="dataset",
            ignore_patterns=IGNORE_PATTERNS,
            commit_message=f"Upload {out.name} with ecginstruct",
        )
    plan.uploaded = True
    return plan
