"""The semantic pass: an LLM extracts claims from the script; code checks them against retrieved facts.

The model only *reads* (prompt ``continuity/claims``, schema :class:`ClaimSet`); the verdict stays in code,
comparing each claim with the facts retrieved for its scene (``memory.retrieve`` when a memory is given,
else the facts that hold there). Findings carry ``source="semantic"`` and severity ``warning``; the pass
adds findings and never removes a deterministic one, and skips what a deterministic check already cites.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from showrunner.continuity.presence import DEAD, MISSING
from showrunner.llm.base import LLMError, StructuredLLM
from showrunner.memory.base import MemoryStore
from showrunner.models import ContinuityIssue, Episode, Fact, FactKind, Severity
from showrunner.prompts import render
from showrunner.world import World
from showrunner.world.lexicon import CANON_KIN, EYE_COLOURS, HAIR_COLOURS, KIN, colours, sides_parts
from showrunner.world.names import norm
from showrunner.world.timeline import established_at

Attribute = Literal["status", "hair", "eyes", "marks", "injury", "outfit", "holds", "relationship", "other"]


class Claim(BaseModel):
    """One factual statement the script makes about a character."""

    scene: int = Field(description="Scene number the claim comes from.")
    line: int | None = Field(None, description="Dialogue line index (0-based) if the claim is spoken.")
    subject: str = Field(description="The character the claim is about, as the script names them.")
    attribute: Attribute = Field(description="What the claim is about.")
    value: str = Field(description="What the script says, e.g. 'dead', 'red', 'scar over the left eye'.")
    other: str = Field("", description="For relationship claims: the other character.")
    quote: str = Field("", description="The words of the script that make the claim.")


class ClaimSet(BaseModel):
    """Claims extracted from one episode."""

    claims: list[Claim] = Field(default_factory=list, description="Factual claims, in script order.")


def _scene_text(episode: Episode) -> list[dict[str, object]]:
    out = []
    for s in episode.scenes:
        if s.unreal:
            continue
        lines = [f"[summary] {s.summary}"] if s.summary else []
        lines += [f"[action] {a}" for a in s.action]
        lines += [f"[line {i}] {d.speaker}: {d.text}" for i, d in enumerate(s.dialogue)]
        out.append({"number": s.number, "location": s.location, "characters": s.characters,
                    "text": "\n".join(lines)})
    return out


def _facts_for(view: World, episode: Episode, scene: int, memory: MemoryStore | None,
               query: str) -> list[Fact]:
    sc = next(s for s in episode.scenes if s.number == scene)
    if memory is not None:
        cast = [c for c in (view.people.resolve(x) for x in sc.characters) if c]
        pack = memory.retrieve(episode=episode.number, scene=scene, characters=cast,
                               locations=[sc.location], query=query, budget_tokens=800)
        return [view._resolved(f) for f in pack.facts]
    return view.holding(episode.number, scene)


def _contradiction(view: World, claim: Claim, cid: str, facts: list[Fact]) -> Fact | None:
    mine = [f for f in facts if f.subject == cid]
    value = norm(claim.value)
    if claim.attribute == "status" and value in DEAD | MISSING | {"alive"}:
        status = [f for f in mine if f.kind == FactKind.status]
        cur = max(status, key=lambda f: f.valid_from.key(), default=None)
        if cur is not None and (norm(cur.object) in DEAD) != (value in DEAD) and value != "missing":
            return cur
    if claim.attribute in ("hair", "eyes"):
        table = HAIR_COLOURS if claim.attribute == "hair" else EYE_COLOURS
        said = colours(claim.value, table)
        for f in mine:
            canon = colours(f.object, table) if f.predicate == claim.attribute else set()
            if said and canon and not said & canon:
                return f
    if claim.attribute in ("marks", "injury"):
        sided = sides_parts(claim.value)
        for f in mine:
            if not f.predicate.startswith("mark" if claim.attribute == "marks" else "injur"):
                continue
            have = sides_parts(f.object)
            if sided and not sided & have and {p for _, p in sided} & {p for _, p in have}:
                return f
    if claim.attribute == "relationship" and claim.value.lower() in KIN:
        other = view.people.resolve(claim.other) if claim.other else None
        pair = [f for f in facts if f.kind == FactKind.relationship and {f.subject, f.object} == {cid, other}]
        kinds = {CANON_KIN.get(f.predicate.lower().replace(" ", "_")) for f in pair} - {None}
        if kinds and KIN[claim.value.lower()] not in kinds:
            return pair[0]
    return None


def semantic_pass(episode: Episode, view: World, llm: StructuredLLM, *, memory: MemoryStore | None = None,
                  known: list[ContinuityIssue] | None = None) -> list[ContinuityIssue]:
    """Extract claims with ``llm`` and report those the retrieved canon contradicts."""
    scenes = _scene_text(episode)
    if not scenes:
        return []
    cast = ", ".join(sorted({c.name for c in view.characters}))
    prompt = render("continuity/claims", episode=episode.number, scenes=scenes, characters=cast)
    try:
        claims = llm.generate(prompt, ClaimSet).value.claims
    except LLMError:
        return []  # the semantic pass only adds; a failed call leaves the deterministic findings
    seen = {(k.scene, k.fact_id) for k in known or []}
    numbers = {s.number for s in episode.scenes if not s.unreal}
    out: list[ContinuityIssue] = []
    for claim in claims:
        cid = view.people.resolve(claim.subject)
        if cid is None or claim.scene not in numbers:
            continue
        facts = _facts_for(view, episode, claim.scene, memory, f"{claim.subject} {claim.attribute} {claim.value}")
        fact = _contradiction(view, claim, cid, facts)
        if fact is None or (claim.scene, fact.id or None) in seen:
            continue
        seen.add((claim.scene, fact.id or None))
        out.append(ContinuityIssue(
            code=f"semantic_{claim.attribute}", severity=Severity.warning, episode=episode.number,
            scene=claim.scene, line=claim.line, source="semantic",
            message=f"the script says {view.people.name(cid)} {claim.attribute}: '{claim.value}'"
                    + (f" (\"{claim.quote}\")" if claim.quote else "") + f"; canon: {fact.sentence()}",
            fact=fact.sentence(), fact_id=fact.id or None, established=established_at(fact),
            suggestion=f"follow the canon ({fact.sentence()}) or record the change as a new fact"))
    return out
