"""JSON helpers shared by the providers: the one parse path for replies, bound schemas for tiny models.

Every provider (the scripted double too) turns a reply into a schema instance through
:func:`ask_until_valid`: :func:`lenient_json` parses what servers produce in practice (code fences and
prose around the object, raw control characters inside strings, trailing commas, a truncated tail that
can be closed; repaired with the ``json-repair`` package), then pydantic validates strictly. What was
repaired is counted in ``Usage.repairs``; a reply that still fails validation gets one repair retry with
the error fed back. ``extract_json`` strips code fences and leading prose.
``bounded_schema`` derives a copy of a JSON Schema with caps on string lengths and list sizes (existing
minimums respected, required fields kept) so a constrained small model cannot ramble forever, and
``max_output_chars`` gives the worst-case length of any instance of such a schema, which the local
provider turns into a ``max_new_tokens`` that never truncates.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

from json_repair import repair_json
from pydantic import BaseModel, ValidationError

from showrunner.llm.base import T, Usage

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.S)


def extract_json(text: str) -> str:
    """Return the JSON object or array inside ``text``: code fences and surrounding prose removed.

    The result is not guaranteed to parse (a truncated reply stays truncated); callers validate it.
    """
    text = text.strip()
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1).strip()
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        return text
    start = min(starts)
    closer = "}" if text[start] == "{" else "]"
    end = text.rfind(closer)
    return text[start:end + 1] if end > start else text[start:]


class UnparseableReply(ValueError):
    """A reply holds no JSON value that even a lenient parse can recover."""


def lenient_json(text: str) -> tuple[Any, list[str]]:
    """Parse a model's reply as JSON the way servers write it; return the value and what was repaired.

    Repairs, in order of preference: ``unwrapped`` (code fences or prose around the value),
    ``control_characters`` (raw newlines or tabs inside strings), ``syntax`` (trailing commas, quotes,
    a truncated tail closed by ``json-repair``), ``first_of_many`` (several objects in one reply).
    """
    repairs: list[str] = []
    body = extract_json(text)
    if body != text.strip():
        repairs.append("unwrapped")
    try:
        return json.loads(body), repairs
    except ValueError:
        pass
    try:
        value = json.loads(body, strict=False)
        return value, [*repairs, "control_characters"]
    except ValueError:
        pass
    value = repair_json(body, return_objects=True)
    if isinstance(value, list) and len(value) > 1 and body.lstrip().startswith("{"):
        value, repairs = value[0], [*repairs, "first_of_many"]
    if not isinstance(value, dict | list) or value in ({}, []) and body.strip() not in ("{}", "[]"):
        raise UnparseableReply(f"no JSON object in the reply (starts {text.strip()[:60]!r})")
    return value, [*repairs, "syntax"]


def parse_reply(text: str, schema: type[T]) -> tuple[T, list[str]]:
    """Lenient JSON, strict schema: the instance of ``schema`` in ``text`` and the repairs it needed.

    Raises :class:`UnparseableReply` or pydantic's ``ValidationError`` (both ``ValueError``).
    """
    value, repairs = lenient_json(text)
    # Validate in JSON mode, exactly as a clean reply would be validated.
    return schema.model_validate_json(json.dumps(value)), repairs


Ask = Callable[[str | None], str]


def ask_until_valid(ask: Ask, schema: type[T], usage: Usage, *, tries: int = 2) -> T:
    """Call ``ask`` until its reply parses into ``schema``: the one reply loop of every provider.

    ``ask(None)`` asks first; ``ask(error)`` asks again with one line saying what was wrong with the last
    reply (a repair retry, counted in ``usage.retries``). Repairs of the accepted reply are added to
    ``usage.repairs``. Raises :class:`InvalidReply` (its ``error`` is the last failure) after ``tries``.
    """
    error: ValueError | None = None
    for _ in range(max(1, tries)):
        if error is not None:
            usage.retries += 1
        text = ask(None if error is None else error_summary(error))
        try:
            value, repairs = parse_reply(text, schema)
        except ValueError as exc:
            error = exc
            continue
        usage.repairs += len(repairs)
        return value
    raise InvalidReply(schema, error or UnparseableReply("no reply"))


class InvalidReply(Exception):
    """Every reply failed to parse or validate; providers turn this into their own ``LLMError``."""

    def __init__(self, schema: type[BaseModel], error: ValueError) -> None:
        super().__init__(f"no valid {schema.__name__}: {error_summary(error, 200)}")
        self.schema = schema
        self.error = error


def error_summary(exc: Exception, limit: int = 600) -> str:
    """One compact description of why a reply failed validation, to feed back to the model."""
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors()[:8]:
            where = ".".join(str(p) for p in err["loc"]) or "(root)"
            parts.append(f"{where}: {err['msg']}")
        text = "; ".join(parts)
    else:
        text = str(exc)
    text = " ".join(text.split())
    return text[:limit]


def bounded_schema(schema: dict[str, Any], *, max_string: int = 160, max_items: int = 5,
                   max_nested_items: int = 3) -> dict[str, Any]:
    """A copy of ``schema`` with caps on free strings and arrays, for constrained decoding.

    Every free string is capped at ``max_string`` characters and every array at ``max_items``
    entries (``max_nested_items`` inside another array's items). Existing tighter caps and all
    minimums are kept; a cap never goes below its minimum. Strings with an enum, const, pattern or
    format are left alone.
    """
    out = copy.deepcopy(schema)

    def walk(node: Any, in_array: bool) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, in_array)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        if "string" in kinds and not {"enum", "const", "pattern", "format"} & node.keys():
            cap = min(node.get("maxLength", max_string), max_string)
            node["maxLength"] = max(cap, node.get("minLength", 0))
        if "array" in kinds:
            limit = max_nested_items if in_array else max_items
            cap = min(node.get("maxItems", limit), limit)
            node["maxItems"] = max(cap, node.get("minItems", 0))
        props = node.get("properties")
        if isinstance(props, dict):  # a property with a minimum hint must be present, or the hint is moot
            hinted = [k for k, v in props.items() if isinstance(v, dict) and ({"minItems", "minLength"} & v.keys())]
            node["required"] = list(dict.fromkeys([*node.get("required", []), *hinted]))
        for key, value in node.items():
            if key in ("items", "prefixItems"):
                walk(value, True)
            elif key in ("properties", "$defs", "definitions"):
                for sub in value.values():
                    walk(sub, in_array)
            elif key in ("anyOf", "oneOf", "allOf", "additionalProperties"):
                walk(value, in_array)

    # $defs are shared; nested-ness of a definition is unknown, so the outer cap applies to them.
    walk(out, False)
    return out


def max_output_chars(schema: dict[str, Any], *, number_chars: int = 24, depth_limit: int = 12) -> int:
    """Worst-case length in characters of a compact JSON instance of a bounded ``schema``."""
    defs = schema.get("$defs", {}) | schema.get("definitions", {})

    def size(node: Any, depth: int) -> int:
        if not isinstance(node, dict) or depth > depth_limit:
            return number_chars
        if "$ref" in node:
            return size(defs.get(node["$ref"].rsplit("/", 1)[-1], {}), depth + 1)
        for key in ("anyOf", "oneOf"):
            if key in node:
                return max(size(sub, depth + 1) for sub in node[key])
        if "allOf" in node:
            return sum(size(sub, depth + 1) for sub in node["allOf"])
        if "enum" in node or "const" in node:
            values = node.get("enum", [node.get("const")])
            return max(len(json.dumps(v)) for v in values)
        kind = node.get("type")
        kind = max(kind, key=lambda k: k != "null") if isinstance(kind, list) else kind
        if kind == "string":
            # escapes can double a character; 2 quotes
            return 2 * int(node.get("maxLength", 64)) + 2
        if kind == "array":
            n = int(node.get("maxItems", 8))
            return 2 + n * (size(node.get("items", {}), depth + 1) + 1)
        if kind == "object" or "properties" in node:
            props = node.get("properties", {})
            return 2 + sum(len(k) + 4 + size(v, depth + 1) for k, v in props.items())
        if kind == "boolean" or kind == "null":
            return 5
        return number_chars

    return size(schema, 0)


def compact_field_guide(schema: dict[str, Any]) -> str:
    """Top-level fields and their descriptions, one line each: a cheap hint for a small model."""
    lines = []
    for name, prop in schema.get("properties", {}).items():
        desc = prop.get("description", "")
        lines.append(f"- {name}: {desc}" if desc else f"- {name}")
    return "\n".join(lines)
