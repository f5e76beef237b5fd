"""JSON helpers shared by the providers: pull JSON out of chatty replies, bound schemas for tiny models.

``extract_json`` strips code fences and leading prose that servers without structured output add.
``bounded_schema`` derives a copy of a JSON Schema with caps on string lengths and list sizes (existing
minimums respected, required fields kept) so a constrained small model cannot ramble forever, and
``max_output_chars`` gives the worst-case length of any instance of such a schema, which the local
provider turns into a ``max_new_tokens`` that never truncates.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from pydantic import ValidationError

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
