"""``ecginstruct tasks``: print the instruction/answer conversations generated for one record."""

from __future__ import annotations

import argparse
import json

from ecginstruct.seeding import rng_for

EPILOG = """examples:
  ecginstruct tasks --source synthetic --record syn-00000003
  ecginstruct tasks --source ptbxl --root data/ptb-xl --record 6000 --task rhythm/mcq --json
  ecginstruct tasks --source ecgqa --root data/ecgqa --record ecgqa-80184 --task ecgqa
"""


def add_parser(subparsers) -> None:
    from ecginstruct.tasks import TASKS

    p = subparsers.add_parser(
        "tasks",
        help="print the instruction/answer conversations for one record",
        description=(
            "Load one record and print the ECGInstruct-style conversations generated from its "
            "labels, measurements, report and ECG-QA item (one per applicable task, or only "
            "--task), each checked for consistency with the record. The same --seed gives the "
            "same conversations (seed_for(seed, record, 'tasks'))."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--source", required=True, help="source name (e.g. synthetic, ptbxl, ecgqa)")
    p.add_argument("--root", default=None, help="the source's local directory (not for synthetic)")
    p.add_argument("--record", required=True, help="record id within the source")
    p.add_argument("--seed", type=int, default=0, help="global seed (default 0)")
    p.add_argument(
        "--task",
        action="append",
        choices=TASKS,
        metavar="TASK",
        help=f"only this task (repeatable); one of: {', '.join(TASKS)}",
    )
    p.add_argument("--json", action="store_true", help="print JSON lines (Conversation.to_json)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ecginstruct import tasks
    from ecginstruct.sources import get_source

    record = get_source(args.source, args.root).load_id(args.record)
    rng = rng_for(args.seed, record.record_id, "tasks")
    wanted = args.task or list(tasks.TASKS)
    applicable = set(tasks.applicable_tasks(record))
    convs, skipped = [], []
    for task in wanted:
        if task not in applicable:
            skipped.append(task)
            continue
        try:
            convs.append(tasks.generate_task(record, task, rng))
        except tasks.TaskNotApplicable as e:
            skipped.append(f"{task} ({e.reason})")
    for c in convs:
        if args.json:
            print(json.dumps(c.to_json(), ensure_ascii=False))
            continue
        print(f"== {c.meta.get('task')}  [{c.category}/{c.format}]  {c.template_id}")
        for t in c.turns:
            who = "Q" if t["from"] == "human" else "A"
            print(f"{who}: " + t["value"].replace("\n", "\n   "))
        print()
    if skipped and not args.json:
        print(f"not applicable to {args.source}:{record.record_id}: {', '.join(skipped)}")
    if args.task and not convs:
        return 1
    return 0
