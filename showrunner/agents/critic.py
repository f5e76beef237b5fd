"""The critic agent: scores a script, writes notes, and decides whether it goes back for a rewrite.

The LLM's scores and notes are checked by deterministic rules (:mod:`critic_checks`: placeholder or
duplicated text, no dialogue, a cast outside canon, one role for everyone, an episode off its premise); a
blocking finding makes the verdict "revise" on its own, and every finding lowers the scores it concerns.
The rewrite loop is bounded by ``settings.revision_limit``: :func:`route_after_critique` sends the
script to the writer while the critic (or a continuity error) asks for it and the bound allows, and to
the human gate otherwise.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime

from showrunner.agents.common import cast_of, context_text, header, places_of, recall, script_text
from showrunner.agents.critic_checks import Embeds, adjust, check_script
from showrunner.agents.drafts import clip
from showrunner.context import Context
from showrunner.memory.embeddings import make_embedder
from showrunner.models import Critique, Severity
from showrunner.prompts import render
from showrunner.state import SeriesState, usage_record


def findings_text(state: SeriesState) -> str:
    issues = state.get("continuity") or []
    if not issues:
        return "none"
    return "\n".join(f"[{i.severity}] scene {i.scene}: {i.message}" for i in issues[:8])


def embedder_for(ctx: Context) -> Embeds:
    """The memory's embedder when it has one (already loaded), else the configured one."""
    emb = getattr(ctx.memory, "embedder", None)
    return emb if emb is not None else make_embedder(ctx.settings.embedder)


def critique_script(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx, bible, n, script = runtime.context, state["bible"], state["episode"], state["script"]
    assert bible is not None and script is not None
    pack = recall(ctx, episode=n, characters=cast_of(script), locations=places_of(script), query=script.logline)
    prompt = render("critic/critique", header=header(bible), context=context_text(pack), episode=n,
                    revision=state.get("revisions", 0), script=script_text(script, limit=ctx.plan(bible).script_chars),
                    findings=findings_text(state))
    gen = ctx.generate(prompt, Critique, episode=n, node="critique_script")
    crit = gen.value.model_copy(update={"notes": [clip(x, 400) for x in gen.value.notes if clip(x)][:6]})
    crit = adjust(crit, check_script(script, bible, embedder=embedder_for(ctx), premise=state.get("premise", "")))
    return {"critique": crit, "usage": [usage_record(gen.usage, episode=n, node="critique_script")]}


def needs_revision(state: SeriesState) -> bool:
    crit = state.get("critique")
    errors = any(i.severity == Severity.error for i in state.get("continuity") or [])
    return errors or (crit is not None and crit.verdict == "revise")


def route_after_critique(state: SeriesState, runtime: Runtime[Context]) -> Literal["revise_script", "review_script"]:
    limit = runtime.context.settings.revision_limit
    if needs_revision(state) and state.get("revisions", 0) < limit:
        return "revise_script"
    return "review_script"
