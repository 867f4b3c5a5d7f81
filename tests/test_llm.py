"""The optional LLM stage against a small OpenAI-compatible server on 127.0.0.1: retries with
backoff on 500/429/timeouts, caching (a rerun sends nothing), the API key kept out of logs and
cache, and the stages (rewrite, judge, dialogue, translate) through Python and the CLI."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ecginstruct import llm
from ecginstruct.llm import ChatClient, LLMConfig, LLMError


class FakeLLM:
    """POST /v1/chat/completions. ``script`` holds (status, headers, delay_s) for the next
    requests; after that every request succeeds with a reply derived from the prompt."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list[tuple[int, dict, float]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                status, headers, delay = fake.script.pop(0) if fake.script else (200, {}, 0.0)
                time.sleep(delay)
                if status != 200:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(b'{"error": "busy"}')
                    return
                reply = json.dumps(
                    {"choices": [{"message": {"role": "assistant", "content": fake.answer(body)}}]}
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(reply.encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @staticmethod
    def answer(body) -> str:
        system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
        if "rewrite instructions" in system:
            return "{oops}" if "BREAK" in user else f"Kindly answer this: {user}"
        if "Rate the pair" in system:
            return "Score: 1. Contradictory." if "WRONG" in user else "Score: 4. Fine."
        if "dialogues" in system:
            return (
                '```json\n[{"question": "What is the rhythm?", "answer": "Sinus rhythm."}, '
                '{"question": "Any block?", "answer": "First degree AV block."}]\n```'
            )
        if "translator" in system:
            return f"EN({user})"
        return "?"


@pytest.fixture()
def server():
    s = FakeLLM()
    yield s
    s.server.shutdown()
    s.server.server_close()


def _client(server, tmp_path, **kw):
    sleeps = []
    cfg = LLMConfig(base_url=server.url, model="tiny", cache_dir=str(tmp_path / "cache"), **kw)
    return ChatClient(cfg, sleep=sleeps.append), sleeps


MSG = [{"role": "user", "content": "hello"}]


def test_500_then_success_is_retried_with_backoff(server, tmp_path):
    server.script = [(500, {}, 0.0), (503, {}, 0.0)]
    client, sleeps = _client(server, tmp_path, backoff_s=0.5)
    assert client.chat(MSG) == "?"
    assert len(server.requests) == 3 and client.stats.retries == 2
    assert sleeps == [0.5, 1.0]  # exponential
    assert server.requests[0]["path"] == "/v1/chat/completions"
    assert server.requests[0]["body"]["temperature"] == 0.0


def test_429_honours_retry_after_and_timeouts_are_retried(server, tmp_path):
    server.script = [(429, {"Retry-After": "2"}, 0.0), (200, {}, 0.6)]
    client, sleeps = _client(server, tmp_path, timeout_s=0.3, backoff_s=0.01)
    assert client.chat(MSG) == "?"
    assert sleeps == [2.0, 0.02] and len(server.requests) == 3


def test_gives_up_after_max_retries_and_does_not_retry_client_errors(server, tmp_path):
    server.script = [(502, {}, 0.0)] * 4
    client, sleeps = _client(server, tmp_path, max_retries=3, backoff_s=1.0, backoff_max_s=3.0)
    with pytest.raises(LLMError, match="gave up after 4"):
        client.chat(MSG)
    assert sleeps == [1.0, 2.0, 3.0]
    server.script = [(400, {}, 0.0)]
    client2, _ = _client(server, tmp_path, max_retries=3)
    with pytest.raises(LLMError, match="HTTP 400"):
        client2.chat([{"role": "user", "content": "other"}])
    assert client2.stats.requests == 1


def test_cache_makes_reruns_free_and_keeps_the_key_secret(server, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("TEST_LLM_KEY", "sk-secret-123")
    server.script = [(500, {}, 0.0)]
    client, _ = _client(server, tmp_path, api_key_env="TEST_LLM_KEY", concurrency=3)
    batch = [[{"role": "user", "content": f"q{i}"}] for i in range(5)]
    with caplog.at_level("DEBUG"):
        first = client.chat_many(batch)
    assert server.requests[0]["auth"] == "Bearer sk-secret-123"
    n = len(server.requests)
    again, _ = _client(server, tmp_path, api_key_env="TEST_LLM_KEY")
    assert again.chat_many(batch) == first
    assert len(server.requests) == n and again.stats.cache_hits == 5 and again.stats.requests == 0
    again.chat(batch[0], temperature=0.7)  # other params: another key, one request
    assert len(server.requests) == n + 1
    stored = "".join(p.read_text() for p in (tmp_path / "cache").rglob("*.json"))
    assert "sk-secret" not in stored and "sk-secret" not in caplog.text
    monkeypatch.delenv("TEST_LLM_KEY")
    with pytest.raises(Exception, match="TEST_LLM_KEY"):
        _client(server, tmp_path, api_key_env="TEST_LLM_KEY")[0].chat(
            [{"role": "user", "content": "x"}]
        )


def _sample(i, question, answer, **extra):
    return {
        "id": f"s{i}",
        "image": f"img/s{i}.png",
        "conversations": [
            {"from": "human", "value": "<image>\n" + question},
            {"from": "gpt", "value": answer},
        ],
        **extra,
    }


def test_rewrite_keeps_image_token_options_and_rejects_bad_replies(server, tmp_path):
    client, _ = _client(server, tmp_path)
    samples = [
        _sample(0, "Which rhythm is shown?\nA. Sinus rhythm\nB. Atrial flutter", "A. Sinus rhythm"),
        _sample(1, "Fill in the blank: the PR interval is ___ ms.", "The PR interval is 160 ms."),
        _sample(2, "BREAK this one", "x"),
    ]
    out, report = llm.rewrite(samples, client)
    q0 = out[0]["conversations"][0]["value"]
    assert (
        q0
        == "<image>\nKindly answer this: Which rhythm is shown?\nA. Sinus rhythm\nB. Atrial flutter"
    )
    sent = {r["body"]["messages"][1]["content"] for r in server.requests}  # concurrent: any order
    assert "Which rhythm is shown?" in sent
    assert out[1]["conversations"][0]["value"].count("___") == 1
    assert out[2] == samples[2] and report == {"rewritten": 2, "rejected_rewrites": 1}
    assert samples[0]["conversations"][0]["value"].startswith("<image>\nWhich")  # input untouched


def test_judge_scores_and_filters_by_threshold(server, tmp_path):
    client, _ = _client(server, tmp_path)
    samples = [_sample(0, "Rhythm?", "Sinus rhythm."), _sample(1, "Rhythm?", "WRONG answer")]
    kept, dropped, report = llm.judge(samples, client, threshold=3)
    assert [s["id"] for s in kept] == ["s0"] and [s["id"] for s in dropped] == ["s1"]
    assert kept[0]["judge"] == {"score": 4, "model": "tiny"} and dropped[0]["judge"]["score"] == 1
    assert report["kept"] == 1 and report["dropped"] == 1
    assert llm.parse_score("I'd give it a 5/5") == 5 and llm.parse_score("no idea") is None


def test_dialogue_and_translate(server, tmp_path):
    client, _ = _client(server, tmp_path)
    rep = _sample(
        0, "Write the report.", "Sinusrhythmus. AV-Block I.", category="report", language="de"
    )
    out, report = llm.dialogue([rep, _sample(1, "Rate?", "72 bpm.")], client)
    assert report == {"dialogues": 1, "skipped_no_report": 1}
    conv = out[0]["conversations"]
    assert [t["from"] for t in conv] == ["human", "gpt"] * 2
    assert conv[0]["value"] == "<image>\nWhat is the rhythm?" and "<image>" not in conv[2]["value"]
    translated, report = llm.translate([rep, _sample(2, "Q?", "A.", language="en")], client)
    assert translated[0]["conversations"][1]["value"] == "EN(Sinusrhythmus. AV-Block I.)"
    assert translated[0]["language"] == "en" and translated[0]["llm"]["translated_from"] == "de"
    assert translated[1]["conversations"][1]["value"] == "A." and report == {"changed": 1}
    assert "German" not in server.requests[-1]["body"]["messages"][0]["content"]
    assert "English" in server.requests[-1]["body"]["messages"][0]["content"]


def test_cli_judge_writes_kept_and_rejects_and_rerun_is_free(server, tmp_path, capsys):
    import argparse

    from ecginstruct.commands import llm as cmd

    inp = tmp_path / "in.jsonl"
    inp.write_text(
        "".join(json.dumps(s) + "\n" for s in [_sample(0, "Q?", "ok"), _sample(1, "Q?", "WRONG")])
    )
    parser = argparse.ArgumentParser()
    cmd.add_parser(parser.add_subparsers())
    argv = [
        "llm",
        "judge",
        "--in",
        str(inp),
        "--out",
        str(tmp_path / "kept.jsonl"),
        "--rejects",
        str(tmp_path / "low.jsonl"),
        "--url",
        server.url,
        "--model",
        "tiny",
        "--cache-dir",
        str(tmp_path / "c"),
    ]
    for expected_requests in (2, 0):
        args = parser.parse_args(argv)
        assert args.func(args) == 0
        out = capsys.readouterr().out
        assert re.search(rf"\b{expected_requests} request\(s\)", out), out
    kept = [json.loads(x) for x in (tmp_path / "kept.jsonl").read_text().splitlines()]
    low = [json.loads(x) for x in (tmp_path / "low.jsonl").read_text().splitlines()]
    assert [s["id"] for s in kept] == ["s0"] and [s["id"] for s in low] == ["s1"]
    assert len(server.requests) == 2
