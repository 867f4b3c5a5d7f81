"""``ecginstruct publish``: validate and upload a built folder to the Hugging Face Hub."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "publish",
        help="upload a built dataset to the Hugging Face Hub (resumable)",
        description=(
            "Validate OUT, then upload it to the dataset repo ORG/NAME with huggingface_hub's "
            "resumable large-folder upload (rerun to resume). The token comes from `hf auth "
            "login` or HF_TOKEN and is never printed. --dry-run validates, opens the folder "
            "with datasets.load_dataset and lists the files that would be uploaded."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("out", type=Path, help="built dataset folder")
    p.add_argument("--repo", required=True, help="dataset repo id, ORG/NAME")
    p.add_argument("--private", action="store_true", help="create the repo as private")
    p.add_argument("--dry-run", action="store_true", help="check and list; upload nothing")
    p.set_defaults(func=run)


def run(args) -> int:
    from ecginstruct.publish import publish

    plan = publish(args.out, args.repo, private=args.private, dry_run=args.dry_run)
    print(plan.validation.render())
    if not plan.validation.ok:
        print("not uploading: the folder does not validate")
        return 1
    verb = "would upload" if args.dry_run else "uploaded"
    print(
        f"{verb} {len(plan.files)} files, {plan.total_bytes / 1e6:,.1f} MB to "
        f"https://huggingface.co/datasets/{args.repo}" + (" (private)" if args.private else "")
    )
    if args.dry_run:
        for rel, size in plan.files:
            print(f"  {size:>12,}  {rel}")
    return 0
