"""``ecginstruct eval``: score any model's free-text answers on a built dataset, ECGBench style."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

EPILOG = """predictions file (JSONL, one line per row; a list answers a multi-turn row turn by turn):
  {"id": "synthetic:syn-00000012:0", "answer": "C. Atrial fibrillation"}
  (ECGBench's "question_id"/"text" keys are accepted too)

examples:
  ecginstruct eval --dataset out/demo --predictions preds.jsonl
  ecginstruct eval --dataset out/demo --predictions preds.jsonl --split all --json scores.json
  ecginstruct eval --dataset out/demo --model PULSE-ECG/PULSE-7B --predictions preds.jsonl
      (GPU machine with transformers: answers the questions first, then scores them)

Scoring: MCQ by option letter, close-ended by yes/no, fill-in-the-blank by number (tolerance),
open findings/reports by label extraction (macro AUC / F1 / Hamming loss). See docs/quality.md.
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "eval",
        help="score a model's answers (preds.jsonl) on a built dataset, per task (ECGBench metrics)",
        description=(
            "Score free-text answers of any model against a built dataset the way ECGBench does: "
            "option-letter parsing and accuracy for MCQ, yes/no accuracy for close-ended "
            "questions, label extraction by string matching and macro AUC / F1 / Hamming loss for "
            "open findings and reports. Prints one line per task."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--dataset", type=Path, required=True, help="built dataset folder")
    p.add_argument("--predictions", type=Path, required=True, help="JSONL of {id, answer}")
    p.add_argument(
        "--split", default="test", help="split to score: train, val, test or all (default test)"
    )
    p.add_argument("--json", type=Path, default=None, help="also write the scores as JSON here")
    p.add_argument(
        "--model",
        default=None,
        help="Hugging Face vision-language model (id or path) to answer the questions first, "
        "written to --predictions (needs transformers and a GPU)",
    )
    p.add_argument("--device", default="cuda", help="torch device for --model (default cuda)")
    p.add_argument("--limit", type=int, default=None, help="score only the first N rows")
    p.set_defaults(func=run)


def run(args) -> int:
    from ecginstruct.quality import scorer
    from ecginstruct.quality.data import norm_split, read_rows
    from ecginstruct.types import ConfigError

    cols = [
        "id",
        "conversations",
        "task",
        "category",
        "format",
        "answer_key",
        "labels",
        "meta",
        "split",
    ]
    if args.model:
        cols.append("image")
    rows = read_rows(args.dataset, cols)
    if args.split != "all":
        rows = [r for r in rows if r["split"] == norm_split(args.split)]
    if args.limit is not None:
        rows = rows[: args.limit]
    if not rows:
        raise ConfigError(f"{args.dataset}: no rows in split {args.split!r}")
    if args.model:
        from ecginstruct.quality.hf_model import predict_with_hf

        predict_with_hf(rows, args.model, args.predictions, device=args.device, progress=print)
    preds = scorer.read_predictions(args.predictions)
    scores = scorer.score(rows, preds)
    print(scorer.render_table(scores))
    if args.json is not None:
        from ecginstruct.quality.report import clean

        args.json.write_text(json.dumps(clean([s.to_json() for s in scores]), indent=1) + "\n")
    return 0
