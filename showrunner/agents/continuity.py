"""The continuity agent: checks scripts against retrieved canon and commits approved work to it.

``check_continuity`` runs the deterministic engine (``showrunner.continuity``) on the script with the facts
retrieved from memory for the cast and places on screen. ``commit_bible`` and ``commit_episode`` write
approved material to the canon files and the memory's ``canon`` space (interactive mode) or to
``<project>/drafts/`` and the ``draft`` space (draft mode, canon untouched). Every write is idempotent, so a
node re-run after a crash or a resume produces the same files.
"""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from showrunner.agents.common import cast_of, places_of, recall, script_text
from showrunner.agents.drafts import FactChanges, clip, match_character
from showrunner.context import Context
from showrunner.memory.canon import fact_id, merge_facts
from showrunner.models import Bible, ContinuityIssue, Episode, Fact, FactKind, SceneRef
from showrunner.prompts import render
from showrunner.state import SeriesState, usage_record


def _engine(script: Episode, bible: Bible, facts: list[Fact]) -> list[ContinuityIssue]:
    try:
        from showrunner.continuity import check_episode  # type: ignore[attr-defined]
    except ImportError:  # engine not installed in this build: nothing to report
        return []
    return list(check_episode(script, characters=bible.characters, locations=bible.locations, facts=facts))


def check_continuity(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx, bible, n, script = runtime.context, state["bible"], state["episode"], state["script"]
    assert bible is not None and script is not None
    pack = recall(ctx, episode=n, characters=cast_of(script), locations=places_of(script), query=script.logline)
    return {"continuity": _engine(script, bible, pack.facts)}


def bible_facts(bible: Bible) -> list[Fact]:
    """Facts a bible establishes at episode 0: fixed looks, starting outfits, world rules."""
    e0 = SceneRef(episode=0)
    out: list[Fact] = []
    for c in bible.characters:
        for pred, val in (("hair", c.look.hair), ("eyes", c.look.eyes), ("build", c.look.build)):
            if val:
                out.append(Fact(kind=FactKind.fixed_appearance, subject=c.id, predicate=pred, object=val,
                                valid_from=e0, source="bible"))
        if c.state.outfit:
            out.append(Fact(kind=FactKind.current_appearance, subject=c.id, predicate="outfit",
                            object=c.state.outfit, valid_from=e0, source="bible"))
    for i, rule in enumerate(bible.world_rules):
        out.append(Fact(kind=FactKind.world_rule, subject="world", predicate=f"rule-{i + 1}", object=rule,
                        valid_from=e0, source="bible", text=rule))
    return [f.model_copy(update={"id": fact_id(f)}) for f in out]


def commit_bible(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx, bible = runtime.context, state["bible"]
    assert bible is not None
    facts = bible_facts(bible)
    if ctx.mode == "draft":
        ctx.save_draft(0, "bible", bible.model_dump(mode="json"))
        ctx.memory.add_facts(facts, space="draft")
    else:
        ctx.canon.save_bible(bible)
        ctx.canon.add_facts(facts)
        ctx.memory.add_facts(facts, space="canon")
    ctx.progress("bible", {"title": bible.title})
    return {}


def scene_facts(script: Episode) -> list[Fact]:
    """Deterministic facts from the scenes: where each character is, and what happened (real scenes only)."""
    out: list[Fact] = []
    for s in script.scenes:
        if s.unreal:
            continue
        at = SceneRef(episode=script.number, scene=s.number)
        out += [Fact(kind=FactKind.whereabouts, subject=c, predicate="location", object=s.location, valid_from=at,
                     source=f"E{script.number} S{s.number}") for c in s.characters]
        if s.summary:
            out.append(Fact(kind=FactKind.event, subject=s.characters[0] if s.characters else s.location,
                            predicate="event", object=clip(s.summary, 300), valid_from=at,
                            source=f"E{script.number} S{s.number}", text=clip(s.summary, 300)))
    return out


_KIND = {"status": (FactKind.status, "status"), "appearance": (FactKind.current_appearance, "outfit"),
         "possession": (FactKind.possession, "holds")}


def changes_to_facts(changes: FactChanges, script: Episode, bible: Bible) -> list[Fact]:
    """LLM-reported changes as facts about known characters only, at a valid scene of the episode."""
    out: list[Fact] = []
    last = len(script.scenes) or 1
    for ch in changes.changes[:12]:
        who, value = match_character(bible, ch.character), clip(ch.value, 120)
        if who is None or not value:
            continue
        kind, pred = _KIND[ch.kind]
        scene = ch.scene if 1 <= ch.scene <= last else last
        out.append(Fact(kind=kind, subject=who, predicate=pred, object=value,
                        valid_from=SceneRef(episode=script.number, scene=scene), source=f"E{script.number}"))
    return out


def extract_facts(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx, bible, n, script = runtime.context, state["bible"], state["episode"], state["script"]
    assert bible is not None and script is not None
    prompt = render("writer/facts", episode=n, script=script_text(script),
                    characters=[c.name for c in bible.characters])
    gen = ctx.generate(prompt, FactChanges, episode=n, node="extract_facts")
    facts = scene_facts(script) + changes_to_facts(gen.value, script, bible)
    facts = [f.model_copy(update={"id": fact_id(f)}) for f in facts]
    return {"new_facts": facts, "usage": [usage_record(gen.usage, episode=n, node="extract_facts")]}


def commit_episode(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx, n, script = runtime.context, state["episode"], state["script"]
    assert script is not None
    shots, facts = state.get("shots") or [], state.get("new_facts") or []
    if ctx.mode == "draft":
        facts = merge_facts([], facts)  # closes facts this episode supersedes within itself
        ctx.save_draft(n, "episode", script.model_dump(mode="json"))
        ctx.save_draft(n, "storyboard", {"episode": n, "shots": [s.model_dump(mode="json") for s in shots]})
        ctx.save_draft(n, "facts", [f.model_dump(mode="json") for f in facts])
        ctx.memory.add_facts(facts, space="draft")
    else:
        ctx.canon.save_episode(script)
        ctx.canon.save_storyboard(n, shots)
        merged = ctx.canon.add_facts(facts)
        # index this episode's facts and the older ones it closed, exactly as the canon holds them
        # (recomputed from the canon, so a re-run after a crash between the two writes indexes the same)
        ids = {f.id for f in facts}
        touched = [f for f in merged if f.id in ids or (f.valid_until is not None and f.valid_until.episode == n)]
        ctx.memory.add_facts(touched, space="canon")
    ctx.progress("episode", {"episode": n, "scenes": len(script.scenes), "shots": len(shots)})
    return {"completed": [n], "finished_at": {**(state.get("finished_at") or {}), str(n): time.time()}}
