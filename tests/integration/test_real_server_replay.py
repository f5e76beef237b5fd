"""Raw response bodies recorded from llama-cpp-python's server, replayed through the openai provider.

``tests/data/real_server/bodies.jsonl`` holds what ``evals/real_server.py --record`` captured from real
runs against the SmolLM2 GGUF: every body byte for byte, raw control characters inside strings and all,
with the schema asked for and whether the run accepted the reply. A local HTTP server on 127.0.0.1 serves
each one again, so the parse path is tested on every run with real-world output, without the server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeServer, Reply
from pydantic import BaseModel

from showrunner.agents.drafts import BibleDraft, FactChanges, ScriptDraft, ShotList
from showrunner.config import Settings
from showrunner.llm import get_llm
from showrunner.llm.base import LLMError, Prompt
from showrunner.llm.jsontools import lenient_json
from showrunner.llm.openai_provider import OpenAIProvider
from showrunner.models import Critique, Outline

pytestmark = pytest.mark.integration
DATA = Path(__file__).parents[1] / "data" / "real_server" / "bodies.jsonl"
SCHEMAS: dict[str, type[BaseModel]] = {s.__name__: s for s in (BibleDraft, Outline, ScriptDraft, Critique,
                                                                   ShotList, FactChanges)}
RECORDS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
ANSWERS = [r for r in RECORDS if r["status"] == 200]


def content(rec: dict[str, Any]) -> str:
    return str(json.loads(rec["body"])["choices"][0]["message"]["content"] or "")


def provider(server: FakeServer) -> OpenAIProvider:
    llm = get_llm(Settings(llm="openai", openai_base_url=server.url, model="smollm2", llm_max_attempts=1))
    assert isinstance(llm, OpenAIProvider)
    llm.capabilities.learn("json_schema", False)  # as the real run learned from the server's 500
    return llm


def test_the_recording_holds_what_broke_the_first_step() -> None:
    assert len(ANSWERS) >= 20 and {r["schema"] for r in ANSWERS} == set(SCHEMAS)
    strict_fails = 0
    for rec in ANSWERS:
        try:
            json.loads(content(rec))
        except ValueError:
            strict_fails += 1
    assert strict_fails > 0  # real output that a strict JSON parser refuses (raw control characters)


@pytest.mark.parametrize("index", range(len(ANSWERS)))
def test_replayed_body_goes_through_the_one_parse_path(server: FakeServer, index: int) -> None:
    rec = ANSWERS[index]
    schema = SCHEMAS[rec["schema"]]
    lenient_json(content(rec))  # every real reply is JSON once leniently parsed
    server.default = Reply(raw=rec["body"].encode("utf-8"))  # the repair retry gets the same body again
    if rec["accepted"]:
        gen = provider(server).generate(Prompt.plain("replay", id=f"replay/{rec['schema']}"), schema)
        assert isinstance(gen.value, schema) and gen.usage.requests == 1 and gen.usage.retries == 0
    else:  # the real run refused it too (it failed validation): a one-line error after one repair retry
        with pytest.raises(LLMError) as info:
            provider(server).generate(Prompt.plain("replay"), schema)
        assert "\n" not in str(info.value) and len(server.requests) == 2


def test_the_servers_json_schema_rejection_means_fall_back(server: FakeServer) -> None:
    rejection = next(r for r in RECORDS if r["kind"] == "json_schema" and r["status"] >= 400)
    answer = next(r for r in ANSWERS if r["accepted"] and r["schema"] == "Critique")
    server.script(Reply(status=rejection["status"], raw=rejection["body"].encode()),
                  Reply(raw=answer["body"].encode()))
    llm = get_llm(Settings(llm="openai", openai_base_url=server.url, model="smollm2", llm_max_attempts=3))
    gen = llm.generate(Prompt.plain("replay"), Critique)
    assert server.kinds() == ["json_schema", "json_object"] and gen.usage.requests == 2
