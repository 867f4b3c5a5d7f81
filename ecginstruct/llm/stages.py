"""LLM stages over LLaVA samples (``{"id", "image", "conversations": [...], ...}``).

* :func:`rewrite` -- paraphrase the human turns (MCQ option lines and ``<image>`` kept verbatim);
* :func:`judge` -- score each pair 0-5 and keep those at or above a threshold;
* :func:`dialogue` -- synthesise a multi-turn conversation from a report;
* :func:`translate` / :func:`expand` -- translate or expand report answers.

Prompts are files in ``manifests/prompts/<name>.yaml`` (``system`` and ``user`` with
placeholders). Each stage sends one batch through :class:`ChatClient` (cached, retried). A reply
that fails validation leaves the sample unchanged and is counted in the returned report.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections import Counter

import yaml

from ecginstruct.llm.client import ChatClient
from ecginstruct.tasks.base import IMAGE_TOKEN
from ecginstruct.tasks.templates import BLANK, PLACEHOLDER_RE, fill, manifests_dir
from ecginstruct.types import ConfigError

_OPTIONS_RE = re.compile(r"\n(?=A[.)] )")


@functools.cache
def load_prompt(name: str) -> dict[str, str]:
    path = manifests_dir() / "prompts" / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read prompt {path}: {e}") from None
    if not isinstance(data, dict) or not {"system", "user"} <= set(data):
        raise ConfigError(f"prompt {path} needs 'system' and 'user' texts")
    return {"system": str(data["system"]), "user": str(data["user"])}


def messages(name: str, **values) -> list[dict[str, str]]:
    p = load_prompt(name)
    return [
        {"role": "system", "content": fill(f"prompts/{name}:system", p["system"], **values)},
        {"role": "user", "content": fill(f"prompts/{name}:user", p["user"], **values)},
    ]


def _clean(reply: str) -> str:
    text = reply.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def _split_question(value: str) -> tuple[str, str, str]:
    """(image prefix, stem, option block) of a human turn."""
    prefix = IMAGE_TOKEN if value.startswith(IMAGE_TOKEN) else ""
    body = value[len(prefix) :]
    parts = _OPTIONS_RE.split(body, maxsplit=1)
    return prefix, parts[0], ("\n" + parts[1]) if len(parts) == 2 else ""


def _valid_rewrite(old: str, new: str) -> bool:
    if not new or PLACEHOLDER_RE.search(new) or IMAGE_TOKEN.strip() in new:
        return False
    if old.count(BLANK) != new.count(BLANK):
        return False
    return len(new) <= 4 * len(old) + 40


def rewrite(samples: list[dict], client: ChatClient) -> tuple[list[dict], Counter]:
    out = copy.deepcopy(samples)
    slots = []  # (sample index, turn index, prefix, stem, options)
    for i, s in enumerate(out):
        for j, turn in enumerate(s.get("conversations", [])):
            if turn.get("from") == "human":
                slots.append((i, j, *_split_question(turn["value"])))
    replies = client.chat_many([messages("rewrite", question=stem) for *_, stem, _ in slots])
    report: Counter = Counter()
    for (i, j, prefix, stem, options), reply in zip(slots, replies):
        new = _clean(reply)
        if _valid_rewrite(stem, new):
            out[i]["conversations"][j]["value"] = prefix + new + options
            out[i].setdefault("llm", {})["rewritten"] = True
            report["rewritten"] += 1
        else:
            report["rejected_rewrites"] += 1
    return out, report


def _as_text(sample: dict) -> str:
    lines = []
    for t in sample.get("conversations", []):
        who = "User" if t.get("from") == "human" else "Assistant"
        lines.append(f"{who}: {t.get('value', '').removeprefix(IMAGE_TOKEN)}")
    return "\n".join(lines)


def parse_score(reply: str) -> int | None:
    m = re.search(r"score\s*[:=]?\s*([0-5])\b", reply, re.I) or re.search(r"\b([0-5])\b", reply)
    return int(m.group(1)) if m else None


def judge(
    samples: list[dict], client: ChatClient, threshold: int = 3
) -> tuple[list[dict], list[dict], Counter]:
    """(kept, dropped, report). Each sample gets ``judge = {"score", "model"}``; an unreadable
    score counts as dropped (reason in ``judge["error"]``)."""
    replies = client.chat_many([messages("judge", conversation=_as_text(s)) for s in samples])
    kept, dropped, report = [], [], Counter()
    for s, reply in zip(samples, replies):
        s = dict(s)
        score = parse_score(reply)
        s["judge"] = {"score": score, "model": client.config.model}
        if score is None:
            s["judge"]["error"] = "no 0-5 score in the reply"
        report[f"score_{score}"] += 1
        (kept if score is not None and score >= threshold else dropped).append(s)
    report["kept"], report["dropped"] = len(kept), len(dropped)
    return kept, dropped, report


def _report_of(sample: dict) -> str | None:
    if sample.get("report"):
        return str(sample["report"])
    if sample.get("category") == "report":
        answers = [t["value"] for t in sample.get("conversations", []) if t.get("from") == "gpt"]
        return answers[0] if answers else None
    return None


def _parse_pairs(reply: str) -> list[dict[str, str]] | None:
    text = re.sub(r"^```(?:json)?|```$", "", reply.strip(), flags=re.M).strip()
    try:
        pairs = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(pairs, list) or not pairs:
        return None
    ok = all(
        isinstance(p, dict)
        and str(p.get("question", "")).strip()
        and str(p.get("answer", "")).strip()
        for p in pairs
    )
    return pairs if ok else None


def dialogue(samples: list[dict], client: ChatClient, turns: int = 3) -> tuple[list[dict], Counter]:
    """A multi-turn LLaVA sample per input that has a report (``report`` field or a report
    conversation); inputs without one are skipped."""
    todo = [(s, r) for s in samples if (r := _report_of(s))]
    replies = client.chat_many([messages("dialogue", report=r, turns=turns) for _, r in todo])
    out, report = [], Counter(skipped_no_report=len(samples) - len(todo))
    for (s, _), reply in zip(todo, replies):
        pairs = _parse_pairs(reply)
        if pairs is None:
            report["rejected_dialogues"] += 1
            continue
        conv = []
        for k, p in enumerate(pairs):
            q = str(p["question"]).strip()
            conv += [
                {"from": "human", "value": (IMAGE_TOKEN if k == 0 else "") + q},
                {"from": "gpt", "value": str(p["answer"]).strip()},
            ]
        out.append(
            {
                "id": f"{s.get('id', '')}-dialogue",
                "image": s.get("image"),
                "conversations": conv,
                "llm": {"stage": "dialogue", "model": client.config.model},
            }
        )
        report["dialogues"] += 1
    return out, report


def _language(sample: dict) -> str | None:
    if sample.get("language"):
        return sample["language"]
    key = sample.get("answer_key")
    if isinstance(key, str):
        try:
            key = json.loads(key)
        except json.JSONDecodeError:
            key = None
    return key.get("language") if isinstance(key, dict) else None


LANGUAGE_NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "pt": "Portuguese",
}


def _map_answers(samples, client, select, make_messages, mark):
    out = copy.deepcopy(samples)
    slots = [
        (i, j)
        for i, s in enumerate(out)
        if select(s)
        for j, t in enumerate(s.get("conversations", []))
        if t.get("from") == "gpt"
    ]
    replies = client.chat_many(
        [make_messages(out[i]["conversations"][j]["value"]) for i, j in slots]
    )
    report: Counter = Counter()
    for (i, j), reply in zip(slots, replies):
        new = _clean(reply)
        if not new or PLACEHOLDER_RE.search(new):
            report["rejected"] += 1
            continue
        out[i].setdefault("llm", {}).setdefault("original_answers", {})[str(j)] = out[i][
            "conversations"
        ][j]["value"]
        out[i]["conversations"][j]["value"] = new
        mark(out[i])
        report["changed"] += 1
    return out, report


def translate(
    samples: list[dict], client: ChatClient, target: str = "en"
) -> tuple[list[dict], Counter]:
    """Translate the answers of samples whose language is known and is not ``target``."""
    name = LANGUAGE_NAMES.get(target, target)

    def mark(s):
        s["llm"]["translated_from"] = _language(s)
        s["language"] = target

    return _map_answers(
        samples,
        client,
        lambda s: _language(s) not in (None, target),
        lambda text: messages("translate", text=text, language=name),
        mark,
    )


def expand(samples: list[dict], client: ChatClient) -> tuple[list[dict], Counter]:
    """Expand the answers of report samples (``category == "report"``) into fluent prose."""
    return _map_answers(
        samples,
        client,
        lambda s: s.get("category") == "report",
        lambda text: messages("expand", text=text),
        lambda s: s["llm"].update(expanded=True),
    )
