"""Optional LLM stage (off by default; nothing else needs it): rewrite instructions, synthesise
dialogues from reports, translate or expand reports, and judge pairs 0-5 with a threshold --
against any OpenAI-compatible chat-completions endpoint, every reply cached on disk."""

from ecginstruct.llm.cache import DiskCache, cache_key
from ecginstruct.llm.client import ChatClient, LLMError, Stats
from ecginstruct.llm.config import LLMConfig
from ecginstruct.llm.stages import (
    dialogue,
    expand,
    judge,
    load_prompt,
    parse_score,
    rewrite,
    translate,
)

__all__ = [
    "ChatClient",
    "DiskCache",
    "LLMConfig",
    "LLMError",
    "Stats",
    "cache_key",
    "dialogue",
    "expand",
    "judge",
    "load_prompt",
    "parse_score",
    "rewrite",
    "translate",
]
