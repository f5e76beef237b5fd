"""JSON extraction from chatty replies and schema bounding for constrained local decoding."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, ValidationError

from showrunner.llm.base import LLMError, Prompt
from showrunner.llm.jsontools import bounded_schema, error_summary, extract_json, max_output_chars, parse_reply
from showrunner.models import Bible
from showrunner.testing import ScriptedLLM


@pytest.mark.parametrize("raw", [
    '{"a": 1}',
    'Here you go:\n```json\n{"a": 1}\n```\nEnjoy!',
    '```\n{"a": 1}\n```',
    'Sure, the answer is {"a": 1} as requested.',
])
def test_extract_json_strips_fences_and_prose(raw: str) -> None:
    assert json.loads(extract_json(raw)) == {"a": 1}


def test_extract_json_keeps_truncated_text_truncated() -> None:
    assert extract_json('ok {"a": [1, 2') == '{"a": [1, 2'


class Inner(BaseModel):
    tags: list[str] = Field(min_length=4, max_length=9)


class Outer(BaseModel):
    name: str = Field(min_length=200)
    short: str = Field(max_length=20)
    slug: str = Field(pattern=r"^[a-z]+$")
    items: list[Inner]
    many: list[int] = Field(min_length=7)


def test_bounded_schema_caps_and_keeps_minimums() -> None:
    original = Outer.model_json_schema()
    b = bounded_schema(original, max_string=160, max_items=5, max_nested_items=3)
    props = b["properties"]
    assert props["name"]["maxLength"] == 200 and props["name"]["minLength"] == 200  # cap never below min
    assert props["short"]["maxLength"] == 20  # tighter existing cap kept
    assert "maxLength" not in props["slug"]  # patterned strings untouched
    assert props["items"]["maxItems"] == 5 and props["many"]["maxItems"] == 7
    assert b["$defs"]["Inner"]["properties"]["tags"]["maxItems"] == 5  # min 4 kept, cap 5 < 9
    assert b["required"] == original["required"]
    assert "maxItems" not in original["properties"]["items"]  # the original is not modified


def test_max_output_chars_bounds_every_instance() -> None:
    b = bounded_schema(Bible.model_json_schema())
    limit = max_output_chars(b)
    assert 1000 < limit < 10**7
    assert len(Bible(title="t" * 160, logline="x").model_dump_json()) < limit


def test_error_summary_is_one_compact_line() -> None:
    with pytest.raises(ValidationError) as info:
        Outer.model_validate({"name": "x"})
    text = error_summary(info.value)
    assert "\n" not in text and "name:" in text and "items:" in text


def test_bounded_schema_requires_properties_that_carry_a_minimum_hint() -> None:
    schema = {"type": "object", "properties": {
        "cast": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "look": {"type": "string", "minLength": 4},
        "note": {"type": "string"}}, "required": ["note"]}
    out = bounded_schema(schema)
    assert out["required"] == ["note", "cast", "look"]
    assert out["properties"]["cast"]["maxItems"] >= 2 and "required" not in schema["properties"]


# ---- the one lenient parse path (issue 13 items 1 and 6)

class Pair(BaseModel):
    text: str
    n: int = 0


@pytest.mark.parametrize("raw, repairs", [
    ('{"text": "a", "n": 2}', []),
    ('{"text": "line one\nline two\ttab", "n": 2}', ["control_characters"]),  # llama.cpp's raw newline
    ('```json\n{"text": "a", "n": 2}\n```', ["unwrapped"]),
    ('Sure! Here it is: {"text": "a", "n": 2} Hope that helps.', ["unwrapped"]),
    ('{"text": "a", "n": 2,}', ["syntax"]),
    ('{"text": "a", "n": 2', ["syntax"]),  # truncated tail, closed
    ('```json\n{"text": "a\nb", "n": 2,\n```', ["unwrapped", "syntax"]),
])
def test_lenient_parse_then_strict_validation(raw: str, repairs: list[str]) -> None:
    value, done = parse_reply(raw, Pair)
    assert value.n == 2 and value.text.startswith(("a", "line one")) and done == repairs


@pytest.mark.parametrize("raw", ["no json here at all", '{"text": 5}', '{"n": 1}'])
def test_strict_validation_still_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_reply(raw, Pair)


def test_scripted_double_parses_fenced_text_and_counts_repairs() -> None:
    llm = ScriptedLLM().enqueue('```json\n{"text": "a\nb", "n": 3,}\n```')
    gen = llm.generate(Prompt.plain("hi"), Pair)
    assert gen.value == Pair(text="a\nb", n=3)
    assert gen.usage.repairs == 2 and gen.usage.requests == 1 and gen.usage.retries == 0


def test_scripted_double_repair_retry_then_one_line_error_with_usage() -> None:
    llm = ScriptedLLM().enqueue("I cannot do that.", '{"text": "ok"}')
    gen = llm.generate(Prompt.plain("hi"), Pair)
    assert gen.value.text == "ok" and gen.usage.retries == 1 and gen.usage.requests == 2
    bad = ScriptedLLM().enqueue('{"text": 1}', '{"text": 2}')
    with pytest.raises(LLMError) as info:
        bad.generate(Prompt.plain("hi"), Pair)
    assert "\n" not in str(info.value) and "no valid Pair after a repair retry" in str(info.value)
    assert info.value.usage is not None and info.value.usage.requests == 2 and info.value.usage.retries == 1


def test_fenced_scripted_series_runs_through_the_cli(tmp_path: Path) -> None:
    """A responder answering in fenced text with raw newlines: the series runs, repairs are in the ledger."""
    (tmp_path / "fenced_responder.py").write_text(
        "import json\nfrom showrunner.testing import story_responder\n"
        "def answer(prompt, schema):\n"
        "    text = json.dumps(story_responder(prompt, schema), indent=1)\n"
        "    return 'Here you go:\\n```json\\n' + text.replace('\\\\n', '\\n') + '\\n```'\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SHOWRUNNER_"))}
    env |= {"SHOWRUNNER_LLM": "scripted", "SHOWRUNNER_SCRIPTED_RESPONDER": "fenced_responder:answer",
            "SHOWRUNNER_EMBEDDER": "hash", "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    proc = subprocess.run([sys.executable, "-m", "showrunner.cli.main", "new", "A harbor town in fog", "-n", "1",
                           "-p", str(tmp_path / "P"), "--auto-approve", "bible", "--json"],
                          capture_output=True, text=True, env=env, timeout=180)
    assert proc.returncode == 0, proc.stderr
    ledger = [json.loads(line) for line in (tmp_path / "P" / "logs" / "ledger.jsonl").read_text().splitlines()]
    llm = [r for r in ledger if r["kind"] == "llm"]
    assert llm and all(r["repairs"] >= 1 and not r.get("error") for r in llm)
