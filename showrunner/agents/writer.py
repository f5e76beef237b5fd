"""The writer agent: bible, outline, script and revisions (graph nodes).

Every node takes the typed state and the runtime context and returns a partial update. Model output is
sanitised through :mod:`showrunner.agents.drafts`; reviewer and critic notes are passed into the
redraft prompt verbatim (fenced as data).
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime

from showrunner.agents.adapt import episode_source
from showrunner.agents.common import cast_of, context_text, header, places_of, recall, script_text
from showrunner.agents.critic import embedder_for
from showrunner.agents.critic_checks import check_bible
from showrunner.agents.drafts import BibleDraft, bible_from_draft, clip, prose, scenes_from_draft, script_draft
from showrunner.context import Context
from showrunner.models import Bible, Episode, Outline, Severity
from showrunner.prompts import render
from showrunner.state import SeriesState, usage_record


def write_bible(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Draft the bible; the critic's blocking checks on it go back to the writer (bounded) before the gate."""
    ctx = runtime.context
    n = state["episodes_total"]
    rewrite = bool(state.get("bible_findings"))
    notes = [*(state.get("bible_notes") or []), *(state.get("bible_findings") or [])]
    prompt = render("writer/bible", premise=state["premise"], episodes=n, notes=notes,
                    max_characters=5, max_locations=4)
    gen = ctx.generate(prompt, BibleDraft, episode=0, node="write_bible")
    bible = bible_from_draft(gen.value, premise=state["premise"], episodes=n)
    found = [f.message for f in check_bible(bible, embedder=embedder_for(ctx), premise=state["premise"])
             if f.blocking]
    before = state.get("bible")
    by_critic = rewrite and (state.get("review") or {}).get("action") != "reject"  # not a person's rejection
    if by_critic and before is not None and len(found) > len(state.get("bible_findings") or []):
        bible, found = before, list(state.get("bible_findings") or [])  # a worse rewrite never replaces a draft
    return {"bible": bible, "bible_findings": found,
            "bible_rewrites": (state.get("bible_rewrites") or 0) + (1 if rewrite else 0),
            "usage": [usage_record(gen.usage, episode=0, node="write_bible")]}


def route_after_write_bible(state: SeriesState, runtime: Runtime[Context]) -> Literal["write_bible",
                                                                                      "review_bible"]:
    """Back to the writer while the critic blocks the bible and the bound allows; then the person decides."""
    again = state.get("bible_findings") and (state.get("bible_rewrites") or 0) < runtime.context.settings.revision_limit
    return "write_bible" if again else "review_bible"


def _logline(bible: Bible, n: int) -> tuple[str, str]:
    for e in bible.episodes:
        if e.number == n:
            return e.title, e.logline
    return f"Episode {n}", "The story continues."


def write_outline(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx, bible, n = runtime.context, state["bible"], state["episode"]
    assert bible is not None
    title, logline = _logline(bible, n)
    pack = recall(ctx, episode=n, query=logline)
    plan = ctx.plan(bible)
    prompt = render("writer/outline", header=header(bible), context=context_text(pack), episode=n,
                    total=state["episodes_total"], title=title, logline=logline, source=episode_source(state),
                    beats=plan.beats, minutes=_minutes(plan.target_s))
    gen = ctx.generate(prompt, Outline, episode=n, node="write_outline")
    o = gen.value
    own = prose(o.title, 200)
    if len(own) > 80 or bible.title.lower() in own.lower():  # a small model echoes the series header
        own = ""
    outline = Outline(title=own or title, logline=prose(o.logline) or logline,
                      beats=[prose(b, 300) for b in o.beats if prose(b)][:max(6, plan.beats)] or [logline])
    return {"outline": outline, "usage": [usage_record(gen.usage, episode=n, node="write_outline")]}


def _minutes(seconds: float | None) -> str:
    """The target length as the prompts say it ('' without a format)."""
    if seconds is None:
        return ""
    return f"{seconds / 60:.1f} minutes" if seconds >= 90 else f"{seconds:.0f} seconds"


def _names(bible: Bible) -> tuple[list[str], list[str]]:
    return [c.name for c in bible.characters], [x.name for x in bible.locations]


def write_script(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx, bible, n, outline = runtime.context, state["bible"], state["episode"], state["outline"]
    assert bible is not None and outline is not None
    chars, locs = _names(bible)
    pack = recall(ctx, episode=n, query=" ".join([outline.logline, *outline.beats]))
    plan = ctx.plan(bible)
    prompt = render("writer/script", header=header(bible), context=context_text(pack), episode=n,
                    outline=outline, characters=chars, locations=locs, min_scenes=plan.min_scenes,
                    max_scenes=plan.max_scenes, lines=plan.lines_per_scene, minutes=_minutes(plan.target_s),
                    notes=state.get("script_notes") or [], source=episode_source(state))
    gen = ctx.generate(prompt, script_draft(plan.max_scenes, plan.max_lines_per_scene), episode=n,
                       node="write_script")
    script = Episode(number=n, title=outline.title, logline=outline.logline, beats=outline.beats,
                     scenes=scenes_from_draft(gen.value, bible, max_scenes=plan.max_scenes,
                                              max_lines=max(6, plan.max_lines_per_scene)))
    return {"script": script, "usage": [usage_record(gen.usage, episode=n, node="write_script")]}


def revision_notes(state: SeriesState) -> list[str]:
    """Reviewer notes first, then the critic's notes, then continuity errors with their fixes."""
    notes = list(state.get("script_notes") or [])
    crit = state.get("critique")
    if crit is not None:
        notes.extend(crit.notes)
    for issue in state.get("continuity") or []:
        if issue.severity == Severity.error:
            fix = f" Fix: {issue.suggestion}" if issue.suggestion else ""
            notes.append(f"Continuity (scene {issue.scene}): {issue.message}.{fix}")
    return [clip(x, 400) for x in notes if clip(x)][:8] or ["Tighten the pacing and sharpen the ending hook."]


def revise_script(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx, bible, n, script = runtime.context, state["bible"], state["episode"], state["script"]
    assert bible is not None and script is not None
    chars, locs = _names(bible)
    pack = recall(ctx, episode=n, characters=cast_of(script), locations=places_of(script), query=script.logline)
    plan = ctx.plan(bible)
    prompt = render("writer/revise", header=header(bible), context=context_text(pack), episode=n,
                    script=script_text(script, limit=plan.script_chars), notes=revision_notes(state),
                    characters=chars, locations=locs, min_scenes=plan.min_scenes, max_scenes=plan.max_scenes,
                    lines=plan.lines_per_scene)
    gen = ctx.generate(prompt, script_draft(plan.max_scenes, plan.max_lines_per_scene), episode=n,
                       node="revise_script")
    scenes = scenes_from_draft(gen.value, bible, max_scenes=plan.max_scenes, max_lines=max(6, plan.max_lines_per_scene))
    revised = script.model_copy(update={"scenes": scenes})
    return {"script": revised, "revisions": state.get("revisions", 0) + 1, "critique": None,
            "usage": [usage_record(gen.usage, episode=n, node="revise_script")]}
