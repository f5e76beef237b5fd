"""The continuity agent: checks scripts against the whole world and commits approved work to canon.

``check_continuity`` runs the deterministic engine (``showrunner.continuity``) on the script against the
full world state at each scene (every canon fact, and earlier drafts in draft mode), not the writers'
budgeted retrieval pack; names not in canon come back as explicit findings. ``extract_facts`` derives the
episode's facts by the one derivation (:mod:`showrunner.world.facts`) plus the LLM's reported changes,
and only valid values enter canon (:mod:`showrunner.world.admit`); junk is dropped with a log line.
``commit_bible`` and ``commit_episode`` write approved material to the canon files and the memory's
``canon`` space (interactive mode) or to ``<project>/drafts/`` and the ``draft`` space (draft mode, canon
untouched). Every write is idempotent, so a node re-run after a crash or a resume writes the same files.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from langgraph.runtime import Runtime

from showrunner.agents.common import script_text
from showrunner.agents.drafts import FactChanges, clip
from showrunner.context import Context
from showrunner.models import Bible, ContinuityIssue, Episode, Fact, FactKind, SceneRef
from showrunner.prompts import render
from showrunner.state import SeriesState, usage_record
from showrunner.world import World
from showrunner.world.admit import admit
from showrunner.world.facts import bible_facts, episode_facts
from showrunner.world.lexicon import INJURY_NOUNS
from showrunner.world.state import GONE_ITEM
from showrunner.world.timeline import fact_id, merge_facts

log = logging.getLogger(__name__)


def findings_for(script: Episode, world: World) -> list[ContinuityIssue]:
    """Every deterministic finding for ``script`` against ``world`` (the one call the graph and gates use)."""
    from showrunner.continuity import check_episode

    return check_episode(script, world=world)


def check_continuity(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx, bible, script = runtime.context, state["bible"], state["script"]
    assert bible is not None and script is not None
    return {"continuity": findings_for(script, ctx.world(bible))}


def commit_bible(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx, bible = runtime.context, state["bible"]
    assert bible is not None
    facts = bible_facts(bible)
    from showrunner.pipelines.voices import cast_for, write_narrator

    bible, narrator = cast_for(bible, ctx.settings)  # voices are cast by code, once, at commit
    if ctx.mode == "draft":
        ctx.save_draft(0, "bible", bible.model_dump(mode="json"))
        ctx.memory.add_facts(facts, space="draft")
    else:
        ctx.canon.save_bible(bible)
        write_narrator(ctx.canon.root, narrator)
        if ctx.root is not None and ctx.gate_interrupts("bible"):  # the sheets and plates shown become canon v1
            from showrunner.pipelines.references import approve_references

            _, made = approve_references(ctx.root, ctx.settings, bible, state.get("bible_notes"))
            ctx.meter.renders(made, {"episode": 0, "node": "commit_bible"})
        ctx.canon.add_facts(facts)
        ctx.memory.add_facts(facts, space="canon")
    ctx.progress("bible", {"title": bible.title})
    return {}


_KIND = {"status": (FactKind.status, "status"), "appearance": (FactKind.current_appearance, "outfit"),
         "possession": (FactKind.possession, "holds")}


def changes_to_facts(changes: FactChanges, script: Episode, world: World) -> list[Fact]:
    """LLM-reported changes as facts about known characters, at a valid scene of the episode."""
    out: list[Fact] = []
    last = len(script.scenes) or 1
    for ch in changes.changes[:12]:
        who, value = world.people.find(clip(ch.character, 120)), clip(ch.value, 120)
        if who is None or not value:
            continue
        scene = ch.scene if 1 <= ch.scene <= last else last
        at = SceneRef(episode=script.number, scene=scene)
        out.append(_change_fact(ch.kind, who, value, at, f"E{script.number} S{scene}"))
    return out


def _change_fact(kind_name: str, who: str, value: str, at: SceneRef, source: str) -> Fact:
    """One reported change as a fact of the right kind.

    Wounds and their healing are injuries; a lost or destroyed item is that item's status; the rest as told.
    """
    words = set(value.lower().replace("-", " ").split())
    kind, pred = _KIND[kind_name]
    if words & {"healed", "recovered", "heals", "recovers", "mended"} and kind != FactKind.possession:
        return Fact(kind=FactKind.current_appearance, subject=who, predicate="injuries", object="healed",
                    valid_from=at, source=source, text=f"{value} (healed)")
    if kind != FactKind.possession and (words & INJURY_NOUNS or value.lower() in ("injured", "wounded", "hurt")):
        return Fact(kind=FactKind.current_appearance, subject=who, predicate="injuries", object=value,
                    valid_from=at, source=source)
    gone = words & GONE_ITEM
    if kind == FactKind.possession and gone:
        item = " ".join(w for w in value.split() if w.lower() not in gone | {"was", "is", "got", "gets"})
        return Fact(kind=FactKind.possession, subject=item.strip(" ."), predicate="status",
                    object=sorted(gone)[0], valid_from=at, source=source, text=f"{item} is {sorted(gone)[0]}.")
    return Fact(kind=kind, subject=who, predicate=pred, object=value, valid_from=at, source=source)


def extract_facts(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx, bible, n, script = runtime.context, state["bible"], state["episode"], state["script"]
    assert bible is not None and script is not None
    world = ctx.world(bible)
    prompt = render("writer/facts", episode=n, script=script_text(script, limit=ctx.plan(bible).script_chars),
                    characters=[c.name for c in bible.characters])
    gen = ctx.generate(prompt, FactChanges, episode=n, node="extract_facts")
    changes, rejected = admit(changes_to_facts(gen.value, script, world), world)
    for fact, why in rejected:
        log.warning("E%s: not admitted to canon: %s (%s)", n, fact.sentence(), why)
        ctx.progress("rejected_fact", {"episode": n, "fact": fact.sentence(), "reason": why})
    facts = episode_facts(script, world.people, world.places) + changes
    facts = [f.model_copy(update={"id": fact_id(f)}) for f in facts]
    return {"new_facts": facts, "usage": [usage_record(gen.usage, episode=n, node="extract_facts")]}


def commit_episode(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx, n, script, bible = runtime.context, state["episode"], state["script"], state["bible"]
    assert script is not None and bible is not None
    shots, facts = state.get("shots") or [], state.get("new_facts") or []
    known = {c.id for c in ctx.canon.characters()} | {x.id for x in ctx.canon.locations()} \
        if ctx.mode != "draft" and ctx.canon.has_bible() else None
    added = _added_entries(bible, known) if known is not None else Bible(title=bible.title, logline="")
    facts = [*bible_facts(added), *facts] if added.characters or added.locations else facts
    if ctx.mode == "draft":
        facts = merge_facts([], facts)  # closes facts this episode supersedes within itself
        ctx.save_draft(n, "episode", script.model_dump(mode="json"))
        ctx.save_draft(n, "storyboard", {"episode": n, "shots": [s.model_dump(mode="json") for s in shots]})
        ctx.save_draft(n, "facts", [f.model_dump(mode="json") for f in facts])
        ctx.memory.add_facts(facts, space="draft")
    else:
        for c in added.characters:  # names a person accepted at the script gate become canon entries
            ctx.canon.save_character(c)
        for loc in added.locations:
            ctx.canon.save_location(loc)
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


def _added_entries(bible: Bible, known: set[str]) -> Bible:
    """The characters and places of ``bible`` not yet in the canon files (accepted at a gate)."""
    return Bible(title=bible.title, logline=bible.logline,
                 characters=[c for c in bible.characters if c.id not in known],
                 locations=[x for x in bible.locations if x.id not in known])
