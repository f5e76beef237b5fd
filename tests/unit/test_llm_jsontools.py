"""JSON extraction from chatty replies and schema bounding for constrained local decoding."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, Field, ValidationError

from showrunner.llm.jsontools import bounded_schema, error_summary, extract_json, max_output_chars
from showrunner.models import Bible


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
