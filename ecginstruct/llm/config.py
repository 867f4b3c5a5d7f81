"""Settings of the optional LLM stage (``manifests/llm.yaml``-style files or CLI flags)."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ecginstruct.types import ConfigError


@dataclass
class LLMConfig:
    """Where and how to call an OpenAI-compatible chat-completions endpoint.

    ``base_url`` is the server root (``http://host:8000`` or ``.../v1``); the API key is read
    from the environment variable named by ``api_key_env`` (never stored, never logged).
    ``temperature`` 0 by default so reruns agree; every reply is cached under ``cache_dir``.
    """

    base_url: str
    model: str
    api_key_env: str | None = None
    temperature: float = 0.0
    max_tokens: int = 512
    timeout_s: float = 60.0
    max_retries: int = 5
    backoff_s: float = 1.0
    backoff_max_s: float = 30.0
    concurrency: int = 4
    cache_dir: str = ".cache/llm"
    params: dict[str, Any] = field(default_factory=dict)  # extra request fields (top_p, seed...)

    @property
    def endpoint(self) -> str:
        url = self.base_url.rstrip("/")
        if url.endswith("/chat/completions"):
            return url
        if not url.endswith("/v1"):
            url += "/v1"
        return url + "/chat/completions"

    def api_key(self) -> str | None:
        if not self.api_key_env:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            raise ConfigError(f"environment variable {self.api_key_env} (api_key_env) is not set")
        return key

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LLMConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ConfigError(f"unknown LLM setting(s) {sorted(unknown)}; known: {sorted(names)}")
        for key in ("base_url", "model"):
            if not d.get(key):
                raise ConfigError(f"LLM setting {key!r} is required")
        return cls(**d)

    @classmethod
    def from_yaml(cls, path: str | Path) -> LLMConfig:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as e:
            raise ConfigError(f"cannot read LLM config {path}: {e}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"LLM config {path}: expected a mapping")
        return cls.from_dict(data)
