"""The openai provider against a real OpenAI-compatible HTTP server on 127.0.0.1 answering scripted bodies.

Every test asserts the exact number of requests the server received.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeServer, Reply, completion
from pydantic import BaseModel, Field

from showrunner.config import Settings
from showrunner.llm import get_llm
from showrunner.llm.base import LLMError, Prompt
from showrunner.llm.capabilities import forget_in_process
from showrunner.llm.openai_provider import OpenAIProvider

pytestmark = pytest.mark.integration


class Mood(StrEnum):
    calm = "calm"
    tense = "tense"


class Beat(BaseModel):
    summary: str = Field(description="What happens.")
    mood: Mood


class Outline(BaseModel):
    title: str = Field(min_length=1)
    beats: list[Beat] = Field(min_length=2)


GOOD = {"title": "The Tide", "beats": [{"summary": "Ada finds a shell.", "mood": "calm"},
                                       {"summary": "The sea speaks.", "mood": "tense"}]}
LLAMA_CPP_500 = {"error": {"message": "1 validation error for CreateChatCompletionRequest\nresponse_format.type\n"
                                      "  Input should be 'text' or 'json_object'", "type": "internal_server_error"}}


def provider(server: FakeServer, project: Path | None = None, **settings: Any) -> OpenAIProvider:
    base: dict[str, Any] = {"llm": "openai", "openai_base_url": server.url, "model": "test-model",
                            "llm_max_attempts": 3, "llm_timeout_s": 5.0}
    s = Settings.model_validate(base | settings)
    llm = get_llm(s, project)
    assert isinstance(llm, OpenAIProvider)
    llm.backoff_s, llm.backoff_max_s = 0.05, 0.2
    return llm


PROMPT = Prompt.plain("Outline a story about the sea.", system="You are a writer.", id="writer/outline", version=1)


def test_valid_reply_uses_native_json_schema(server: FakeServer) -> None:
    server.script(Reply(content=json.dumps(GOOD)))
    gen = provider(server).generate(PROMPT, Outline)
    assert gen.value == Outline.model_validate(GOOD)
    assert len(server.requests) == 1
    assert server.kinds() == ["json_schema"]
    assert server.requests[0]["response_format"]["json_schema"]["schema"]["properties"].keys() == {"title", "beats"}
    u = gen.usage
    assert (u.provider, u.model, u.prompt_id, u.prompt_version) == ("openai", "test-model", "writer/outline", 1)
    assert (u.prompt_tokens, u.completion_tokens, u.retries) == (42, 17, 0)
    assert u.latency_s > 0


def test_price_from_settings(server: FakeServer) -> None:
    server.script(Reply(content=json.dumps(GOOD)))
    llm = provider(server, prices={"test-model": {"input": 1.0, "output": 2.0}})
    gen = llm.generate(PROMPT, Outline)
    assert gen.usage.cost_usd == pytest.approx((42 * 1.0 + 17 * 2.0) / 1e6)
    assert len(server.requests) == 1


def test_server_without_json_schema_falls_back_and_caches(server: FakeServer) -> None:
    fenced = "Sure! Here it is:\n```json\n" + json.dumps(GOOD) + "\n```"
    server.script(Reply(status=500, body=LLAMA_CPP_500), Reply(content=fenced), Reply(content=json.dumps(GOOD)))
    llm = provider(server)
    assert llm.generate(PROMPT, Outline).value.title == "The Tide"
    assert len(server.requests) == 2
    assert server.kinds() == ["json_schema", "json_object"]
    fallback = server.requests[1]
    assert fallback["response_format"]["schema"]["required"] == ["title", "beats"]
    assert "JSON Schema" in fallback["messages"][0]["content"]
    # the capability is remembered for this base URL: a new provider makes one request
    assert provider(server).generate(PROMPT, Outline).usage.retries == 0
    assert len(server.requests) == 3
    assert server.kinds()[2] == "json_object"


def test_429_honours_retry_after(server: FakeServer) -> None:
    server.script(Reply(status=429, body={"error": {"message": "slow down"}}, headers={"Retry-After": "1"}),
                  Reply(content=json.dumps(GOOD)))
    gen = provider(server).generate(PROMPT, Outline)
    assert len(server.requests) == 2
    assert server.times[1] - server.times[0] >= 0.95
    assert gen.usage.retries == 1


def test_500_then_success(server: FakeServer) -> None:
    server.script(Reply(status=500, body={"error": {"message": "boom"}}), Reply(content=json.dumps(GOOD)))
    gen = provider(server).generate(PROMPT, Outline)
    assert len(server.requests) == 2
    assert server.kinds() == ["json_schema", "json_schema"]  # a plain 500 is transient, not a capability
    assert gen.usage.retries == 1


def test_timeout_is_retried(server: FakeServer) -> None:
    server.script(Reply(content=json.dumps(GOOD), delay_s=1.5), Reply(content=json.dumps(GOOD)))
    gen = provider(server, llm_timeout_s=0.4).generate(PROMPT, Outline)
    assert len(server.requests) == 2
    assert gen.usage.retries == 1


def test_truncated_json_gets_one_repair(server: FakeServer) -> None:
    cut = json.dumps(GOOD)[:40]
    server.script(Reply(body=completion(cut, finish="length")), Reply(content=json.dumps(GOOD)))
    gen = provider(server).generate(PROMPT, Outline)
    assert gen.value.title == "The Tide"
    assert len(server.requests) == 2
    repair = server.requests[1]["messages"]
    assert repair[-2] == {"role": "assistant", "content": cut}
    assert "not valid" in repair[-1]["content"]
    assert gen.usage.retries == 1 and gen.usage.completion_tokens == 34


def test_schema_violation_then_valid_repair(server: FakeServer) -> None:
    bad = {"title": "The Tide", "beats": [{"summary": "only one", "mood": "angry"}]}
    server.script(Reply(content=json.dumps(bad)), Reply(content=json.dumps(GOOD)))
    gen = provider(server).generate(PROMPT, Outline)
    assert gen.value == Outline.model_validate(GOOD)
    assert len(server.requests) == 2
    feedback = server.requests[1]["messages"][-1]["content"]
    assert "beats" in feedback and "mood" in feedback


def test_repair_is_bounded_to_one(server: FakeServer) -> None:
    server.script(Reply(content="{}"), Reply(content='{"title": ""}'))
    with pytest.raises(LLMError, match="after a repair retry"):
        provider(server).generate(PROMPT, Outline)
    assert len(server.requests) == 2


def test_exhaustion_is_one_line_naming_endpoint(server: FakeServer) -> None:
    server.default = Reply(status=503, body={"error": {"message": "overloaded"}})
    with pytest.raises(LLMError) as info:
        provider(server).generate(PROMPT, Outline)
    assert len(server.requests) == 3  # llm_max_attempts
    message = str(info.value)
    assert "\n" not in message
    assert server.url in message and "after 3 attempts" in message and "503" in message
    assert info.value.code == 4


def test_auth_error_is_not_retried(server: FakeServer) -> None:
    server.script(Reply(status=401, body={"error": {"message": "bad key"}}))
    with pytest.raises(LLMError, match="OPENAI_API_KEY"):
        provider(server).generate(PROMPT, Outline)
    assert len(server.requests) == 1


def test_dead_endpoint_names_it() -> None:
    with socket_port() as port:
        pass  # port is free again: nothing listens there
    s = Settings(llm="openai", openai_base_url=f"http://127.0.0.1:{port}/v1", llm_max_attempts=2)
    llm = get_llm(s)
    assert isinstance(llm, OpenAIProvider)
    llm.backoff_s, llm.backoff_max_s = 0.01, 0.02
    with pytest.raises(LLMError, match=rf"127\.0\.0\.1:{port}.*after 2 attempts: connection failed"):
        llm.generate(PROMPT, Outline)


class socket_port:  # noqa: N801
    """Reserve a free loopback port number and release it."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def test_failed_calls_are_booked_with_what_they_really_spent(server: FakeServer, tmp_path: Any) -> None:
    """Issue 13 item 3: a failed call's requests, tokens and retries reach the ledger, apart from successes."""
    from showrunner.pipelines.ledger import Ledger, MeteredLLM

    ledger = Ledger(tmp_path / "ledger.jsonl", {})
    metered = MeteredLLM(provider(server), ledger, tags={"episode": 0})
    server.script(Reply(content="{}"), Reply(content='{"title": ""}'))  # invalid twice: 2 requests, 1 repair
    with pytest.raises(LLMError):
        metered.generate(PROMPT, Outline)
    server.default = Reply(status=503, body={"error": {"message": "overloaded"}})
    with pytest.raises(LLMError):
        metered.generate(PROMPT, Outline)  # 3 attempts, all 503
    server.default = None
    server.script(Reply(content=json.dumps(GOOD)))
    metered.generate(PROMPT, Outline)
    invalid, exhausted, good = ledger.entries()
    assert (invalid["requests"], invalid["retries"], invalid["prompt_tokens"], invalid["completion_tokens"]) == \
        (2, 1, 84, 34) and "after a repair retry" in invalid["error"]
    assert (exhausted["requests"], exhausted["retries"]) == (3, 2) and "503" in exhausted["error"]
    assert good["requests"] == 1 and "error" not in good
    total = ledger.total()
    assert (total.calls, total.failed, total.requests, total.retries) == (1, 2, 6, 3)
    assert total.prompt_tokens == 84 + 42 and len(server.requests) == 6


def test_capability_is_remembered_in_the_project_and_expires_on_a_config_change(server: FakeServer,
                                                                               tmp_path: Path) -> None:
    """Issue 13 item 2: a new process does not probe json_schema again; a changed config does."""
    good = Reply(content=json.dumps(GOOD))
    server.script(Reply(status=500, body=LLAMA_CPP_500), good)
    provider(server, tmp_path).generate(PROMPT, Outline)
    assert server.kinds() == ["json_schema", "json_object"]
    stored = json.loads((tmp_path / "state" / "llm_capabilities.json").read_text())
    assert stored[f"{server.url} test-model"]["capabilities"] == {"json_schema": False}
    forget_in_process()  # as a new process would start
    server.script(good)
    provider(server, tmp_path).generate(PROMPT, Outline)
    assert server.kinds()[2:] == ["json_object"]  # no doomed probe
    forget_in_process()
    server.script(good)
    provider(server, tmp_path, model="other-model").generate(PROMPT, Outline)
    assert server.kinds()[3:] == ["json_schema"]  # another model at the same URL is another endpoint
    forget_in_process()
    server.script(Reply(status=500, body=LLAMA_CPP_500), good)
    provider(server, tmp_path, llm_timeout_s=7.0).generate(PROMPT, Outline)
    assert server.kinds()[4:] == ["json_schema", "json_object"]  # config changed: probed again
