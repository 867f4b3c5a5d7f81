"""A small client for OpenAI-compatible chat completions (vLLM, TGI, hosted APIs) over urllib.

``ChatClient.chat(messages)`` returns the reply text; ``chat_many`` runs a batch with bounded
concurrency, results in input order. Replies are cached on disk (a cache hit sends nothing);
429, 5xx, connection errors and timeouts are retried with exponential backoff (honouring
``Retry-After``); other HTTP errors fail at once. The API key goes in the Authorization header
only: it is never logged, cached or put in an error message.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ecginstruct.llm.cache import DiskCache, cache_key
from ecginstruct.llm.config import LLMConfig
from ecginstruct.types import ECGInstructError

log = logging.getLogger(__name__)

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class LLMError(ECGInstructError):
    """The endpoint refused a request, or kept failing after every retry."""


@dataclass
class Stats:
    requests: int = 0  # HTTP requests sent (retries included)
    cache_hits: int = 0
    retries: int = 0


class ChatClient:
    def __init__(self, config: LLMConfig, *, cache: DiskCache | None = None, sleep=time.sleep):
        self.config = config
        self.cache = cache if cache is not None else DiskCache(config.cache_dir)
        self.stats = Stats()
        self._sleep = sleep
        self._lock = threading.Lock()

    def _params(self, overrides: dict) -> dict:
        c = self.config
        return {"temperature": c.temperature, "max_tokens": c.max_tokens, **c.params, **overrides}

    def chat(self, messages: list[dict[str, str]], **overrides) -> str:
        params = self._params(overrides)
        key = cache_key(self.config.model, messages, params)
        hit = self.cache.get(key)
        if hit is not None:
            with self._lock:
                self.stats.cache_hits += 1
            return hit
        content = self._request({"model": self.config.model, "messages": messages, **params})
        self.cache.put(key, content, {"model": self.config.model})
        return content

    def chat_many(self, batch: list[list[dict[str, str]]], **overrides) -> list[str]:
        if self.config.concurrency <= 1 or len(batch) <= 1:
            return [self.chat(m, **overrides) for m in batch]
        with ThreadPoolExecutor(self.config.concurrency) as pool:
            return list(pool.map(lambda m: self.chat(m, **overrides), batch))

    def _request(self, body: dict) -> str:
        c = self.config
        headers = {"Content-Type": "application/json"}
        key = c.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        data = json.dumps(body).encode("utf-8")
        last = ""
        for attempt in range(c.max_retries + 1):
            if attempt:
                with self._lock:
                    self.stats.retries += 1
            with self._lock:
                self.stats.requests += 1
            req = urllib.request.Request(c.endpoint, data=data, headers=headers, method="POST")
            wait = None
            try:
                with urllib.request.urlopen(req, timeout=c.timeout_s) as resp:
                    return _content(json.loads(resp.read().decode("utf-8")))
            except urllib.error.HTTPError as e:
                last = f"HTTP {e.code} from {c.endpoint}"
                if e.code not in RETRY_STATUS:
                    detail = e.read(300).decode("utf-8", "replace")
                    raise LLMError(f"{last}: {detail}") from None
                wait = _retry_after(e.headers.get("Retry-After"))
            except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
                last = f"{type(e).__name__} talking to {c.endpoint}: {getattr(e, 'reason', e)}"
            except (json.JSONDecodeError, KeyError, IndexError, TypeError) as e:
                raise LLMError(f"malformed reply from {c.endpoint}: {e}") from None
            if attempt < c.max_retries:
                delay = wait if wait is not None else min(c.backoff_s * 2**attempt, c.backoff_max_s)
                log.info("LLM request failed (%s); retry %d in %.1f s", last, attempt + 1, delay)
                self._sleep(delay)
        raise LLMError(f"{last}; gave up after {c.max_retries + 1} attempts")


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _content(reply: dict) -> str:
    content = reply["choices"][0]["message"]["content"]
    if not isinstance(content, str):
        raise TypeError("message content is not text")
    return content
