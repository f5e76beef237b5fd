"""Versioned prompt templates shipped as package data, rendered strictly.

Templates live at ``showrunner/prompts/<agent>/<name>.v<N>.j2``; the prompt id is ``<agent>/<name>``.
A template's text before a line ``=== user ===`` is the system message, the rest the user message.
Rendering uses ``StrictUndefined``: a missing variable is an error, never an empty string.
User-supplied text (premises, notes, edits) goes through the ``data`` filter, which fences it so the
model reads it as material, not as instructions.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import jinja2

from showrunner.llm.base import Message, Prompt

_NAME_RE = re.compile(r"^(?P<name>[a-z0-9_]+)\.v(?P<version>\d+)\.j2$")
_SPLIT = "=== user ==="


def _fence(value: object) -> str:
    text = str(value).replace("<<<", "‹‹‹").replace(">>>", "›››")
    return f"<<<\n{text}\n>>>"


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("showrunner", "prompts"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["data"] = _fence
    return env


def available() -> dict[str, list[int]]:
    """Map each prompt id to the versions shipped, ascending."""
    out: dict[str, list[int]] = {}
    root = resources.files("showrunner.prompts")
    for agent in root.iterdir():
        if not agent.is_dir() or agent.name.startswith("_"):
            continue
        for f in agent.iterdir():
            m = _NAME_RE.match(f.name)
            if m:
                out.setdefault(f"{agent.name}/{m['name']}", []).append(int(m["version"]))
    return {k: sorted(v) for k, v in sorted(out.items())}


def render(prompt_id: str, version: int | None = None, /, **variables: object) -> Prompt:
    """Render prompt ``prompt_id`` (latest version unless given) with ``variables``."""
    versions = available().get(prompt_id)
    if not versions:
        raise KeyError(f"unknown prompt {prompt_id!r}; known: {', '.join(available())}")
    ver = versions[-1] if version is None else version
    if ver not in versions:
        raise KeyError(f"prompt {prompt_id!r} has no version {ver}; shipped: {versions}")
    text = _env().get_template(f"{prompt_id}.v{ver}.j2").render(**variables)
    system, sep, user = text.partition(_SPLIT)
    msgs = (Message("system", system.strip()), Message("user", user.strip())) if sep else (
        Message("user", text.strip()),)
    return Prompt(id=prompt_id, version=ver, messages=msgs)
