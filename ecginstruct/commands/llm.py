"""``ecginstruct llm``: the optional LLM stage over a JSONL of LLaVA samples."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ecginstruct.types import ConfigError

STAGES = ("rewrite", "judge", "dialogue", "translate", "expand")
EPILOG = """examples:
  ecginstruct llm rewrite --in train.jsonl --out rewritten.jsonl --url http://localhost:8000 \\
      --model meta-llama/Meta-Llama-3-70B-Instruct
  ecginstruct llm judge --in train.jsonl --out kept.jsonl --rejects low.jsonl --threshold 3 \\
      --config llm.yaml
  OPENAI_API_KEY=... ecginstruct llm translate --in reports.jsonl --out en.jsonl \\
      --url https://api.openai.com --model gpt-4o-mini --api-key-env OPENAI_API_KEY
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "llm",
        help="optional LLM stage: rewrite, judge, dialogue, translate, expand (JSONL in/out)",
        description=(
            "Run one LLM stage over a JSONL of LLaVA samples ({id, image, conversations}) with "
            "an OpenAI-compatible chat-completions endpoint (vLLM, TGI, hosted). Temperature 0 "
            "by default; every reply is cached on disk, so a rerun sends no request. The API "
            "key is read from the environment variable named by --api-key-env (never printed)."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("stage", choices=STAGES, help="what to do")
    p.add_argument("--in", dest="inp", required=True, type=Path, help="input JSONL of samples")
    p.add_argument("--out", required=True, type=Path, help="output JSONL")
    p.add_argument("--config", type=Path, help="YAML with LLMConfig fields (base_url, model...)")
    p.add_argument("--url", help="endpoint root, e.g. http://localhost:8000 (overrides config)")
    p.add_argument("--model", help="model name (overrides config)")
    p.add_argument("--api-key-env", help="environment variable holding the API key")
    p.add_argument("--cache-dir", help="reply cache (default .cache/llm)")
    p.add_argument("--concurrency", type=int, help="requests in flight (default 4)")
    p.add_argument("--threshold", type=int, default=3, help="judge: keep scores >= this (0-5)")
    p.add_argument("--rejects", type=Path, help="judge: write dropped samples here")
    p.add_argument("--target-language", default="en", help="translate: target (default en)")
    p.add_argument("--turns", type=int, default=3, help="dialogue: question/answer pairs")
    p.set_defaults(func=run)


def _config(args):
    from ecginstruct.llm import LLMConfig

    d = {}
    if args.config:
        d = LLMConfig.from_yaml(args.config).__dict__.copy()
    for flag, key in (
        ("url", "base_url"),
        ("model", "model"),
        ("api_key_env", "api_key_env"),
        ("cache_dir", "cache_dir"),
        ("concurrency", "concurrency"),
    ):
        if getattr(args, flag) is not None:
            d[key] = getattr(args, flag)
    return LLMConfig.from_dict(d)


def _read(path: Path) -> list[dict]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(x) for x in lines if x.strip()]
    except (OSError, json.JSONDecodeError) as e:
        raise ConfigError(f"cannot read samples from {path}: {e}") from None


def _write(path: Path, samples: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for s in samples:
            f.write(json.dumps(s, ensure_ascii=False) + "\n")


def run(args) -> int:
    from ecginstruct import llm

    client = llm.ChatClient(_config(args))
    samples = _read(args.inp)
    if args.stage == "judge":
        out, dropped, report = llm.judge(samples, client, args.threshold)
        if args.rejects:
            _write(args.rejects, dropped)
    elif args.stage == "rewrite":
        out, report = llm.rewrite(samples, client)
    elif args.stage == "dialogue":
        out, report = llm.dialogue(samples, client, turns=args.turns)
    elif args.stage == "translate":
        out, report = llm.translate(samples, client, args.target_language)
    else:
        out, report = llm.expand(samples, client)
    _write(args.out, out)
    s = client.stats
    print(
        f"{args.stage}: {len(samples)} in, {len(out)} out -> {args.out}; "
        + ", ".join(f"{k} {v}" for k, v in sorted(report.items()))
        + f"; {s.requests} request(s), {s.cache_hits} cache hit(s), {s.retries} retry(ies)",
        file=sys.stdout,
    )
    return 0
