"""What every agent shares: the bible's short header, memory retrieval, and compact script text.

Agents see the series only through :func:`header` (a few hundred characters, independent of how many
episodes exist) and :func:`recall` (the memory's budgeted retrieval), never the whole history.
"""

from __future__ import annotations

from showrunner.context import Context
from showrunner.memory.base import ContextPack
from showrunner.models import Bible, Episode


def header(bible: Bible) -> str:
    """The bible's short header: title, pitch, tone, rules, cast and places (bounded in size)."""
    cast = "; ".join(f"{c.name} ({c.role})" if c.role else c.name for c in bible.characters[:8])
    places = "; ".join(x.name for x in bible.locations[:8])
    rules = " ".join(bible.world_rules[:4])
    parts = [f"{bible.title}: {bible.logline}", f"Genre/tone: {bible.genre}, {bible.tone}".strip(", "),
             f"Rules: {rules}" if rules else "", f"Cast: {cast}", f"Places: {places}"]
    return "\n".join(p for p in parts if p)[:1200]


def recall(ctx: Context, *, episode: int, scene: int | None = None, characters: list[str] | None = None,
           locations: list[str] | None = None, query: str = "") -> ContextPack:
    """Budgeted retrieval from memory (drafts included in draft mode)."""
    return ctx.memory.retrieve(episode=episode, scene=scene, characters=characters or [],
                               locations=locations or [], query=query[:500], budget_tokens=ctx.budget_tokens,
                               include_drafts=ctx.include_drafts)


def context_text(pack: ContextPack) -> str:
    return pack.text.strip() or "(nothing established yet)"


def script_text(ep: Episode, limit: int = 2400) -> str:
    """The script as compact text for prompts (capped, so a runaway model cannot blow the budget)."""
    out = [f"{ep.title}: {ep.logline}"]
    for s in ep.scenes:
        out.append(f"S{s.number} @{s.location} [{', '.join(s.characters)}] {s.summary}")
        out.extend(f"  {d.speaker}: {d.text}" for d in s.dialogue)
    return "\n".join(out)[:limit]


def cast_of(ep: Episode) -> list[str]:
    seen: list[str] = []
    for s in ep.scenes:
        seen.extend(c for c in s.characters if c not in seen)
    return seen


def places_of(ep: Episode) -> list[str]:
    seen: list[str] = []
    for s in ep.scenes:
        if s.location not in seen:
            seen.append(s.location)
    return seen
