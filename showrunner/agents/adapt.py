"""The adaptation agent: read the book passage by passage, plan the season, commit the book's canon.

``extract_book`` asks the LLM about every passage (scene) of every chapter; each answer is saved under
``<project>/adaptation/calls/`` by the hash of its prompt before the next call, so after a ``kill -9``,
``showrunner resume`` pays for no finished passage twice. ``plan_adaptation`` merges the passages with
the one name resolver, maps chapters to episodes, asks for each episode's title and logline and for the
season arc (cached the same way; a rejection's notes change the prompts, so they are asked again), and
puts the result at the ``adaptation`` gate. ``commit_adaptation`` writes the approved book facts to the
canon and hands the bible gate a bible made of the extracted cast, places and episode loglines.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel

from showrunner.adapt.book import Chapter, load_chapters, read_span
from showrunner.adapt.extract import PassageDraft, PassageNotes, names_used, notes_from_draft
from showrunner.adapt.merge import merge_notes
from showrunner.adapt.models import Adaptation, EpisodePlan
from showrunner.adapt.plan import book_facts, episode_at, episode_map
from showrunner.agents.drafts import _text, clip, prose, title_of
from showrunner.context import Context
from showrunner.io import atomic_write
from showrunner.llm.base import Prompt, T, estimate_tokens
from showrunner.models import Bible, EpisodeLogline
from showrunner.prompts import render
from showrunner.state import SeriesState, usage_record
from showrunner.world import World
from showrunner.world.admit import admit

log = logging.getLogger(__name__)

SOURCE_TOKENS = 400  # of book passages in an episode's outline prompt
_NUMBERED = re.compile(r"(episode|part|chapter)\s*\d*", re.I)


class EpisodePitch(BaseModel):
    title: str = _text(50, "Episode title, a few words.")
    logline: str = _text(200, "One sentence: who wants what, what stands in the way.", None, least=10)


class SeasonDraft(BaseModel):
    logline: str = _text(200, "One-sentence pitch of the series.", None, least=10)
    genre: str = _text(30)
    tone: str = _text(30)
    season_arc: str = _text(300, "How the season builds and ends, two sentences.")


def _saved(folder: Path, prompt: Prompt, schema: type[BaseModel]) -> Path:
    """Where the answer to ``prompt`` in ``schema`` is kept: a new prompt or schema is a new question."""
    shape = json.dumps(schema.model_json_schema(), sort_keys=True)
    digest = hashlib.sha256(f"{prompt.id}.v{prompt.version}\0{shape}\0{prompt.text}".encode()).hexdigest()
    return folder / "calls" / f"{digest[:24]}.json"


def cached(ctx: Context, folder: Path, prompt: Prompt, schema: type[T], usage: list[dict[str, Any]],
           **tags: Any) -> T:
    """The LLM's answer to ``prompt``, from ``folder``/calls when it was asked before, else asked and saved."""
    path = _saved(folder, prompt, schema)
    if path.is_file():
        return schema.model_validate_json(path.read_text(encoding="utf-8"))
    gen = ctx.generate(prompt, schema, episode=0, **tags)
    atomic_write(path, gen.value.model_dump_json())
    usage.append(usage_record(gen.usage, episode=0, node=str(tags.get("node", "adapt"))))
    return gen.value


def _book(state: SeriesState) -> tuple[Path, str]:
    folder = Path(state["book"])
    return folder, json.loads((folder / "meta.json").read_text(encoding="utf-8"))["title"]


def _passage_prompt(folder: Path, title: str, ch: Chapter, k: int) -> tuple[str, Prompt]:
    text = read_span(folder, ch.scenes[k - 1][2], ch.scenes[k - 1][3])
    return text, render("adapt/passage", book=title, chapter=ch.number, title=ch.title, scene=k, text=text,
                        names=names_used(text))


def read_passages(ctx: Context, state: SeriesState, usage: list[dict[str, Any]]) -> list[PassageNotes]:
    """Every passage's notes in book order (asking the LLM only about passages not answered before)."""
    folder, title = _book(state)
    out = []
    for ch in load_chapters(folder):
        for k, (start, end, _, _) in enumerate(ch.scenes, 1):
            text, prompt = _passage_prompt(folder, title, ch, k)
            draft = cached(ctx, folder, prompt, PassageDraft, usage, node="extract_book", chapter=ch.number)
            out.append(notes_from_draft(draft, text=text, start=start, end=end, chapter=ch.number, scene=k))
    return out


def episode_source(state: SeriesState, budget_tokens: int = SOURCE_TOKENS) -> str:
    """What the current episode adapts: its passages' summaries in book order, within a token budget.

    Only the episode's own passages are read (never the whole book); a passage whose extraction is not
    saved contributes its opening words instead. '' for a series that adapts no book.
    """
    a, n = state.get("adaptation"), state.get("episode")
    plan = next((e for e in a.episodes if e.number == n), None) if a is not None and state.get("book") else None
    if plan is None:
        return ""
    folder, title = _book(state)
    chapters = {c.number: c for c in load_chapters(folder)}
    lines, used = [], 0
    for ref in plan.scenes:
        c, k = (int(x) for x in ref.split("."))
        if c not in chapters or not 1 <= k <= len(chapters[c].scenes):
            continue
        text, prompt = _passage_prompt(folder, title, chapters[c], k)
        path = _saved(folder, prompt, PassageDraft)
        said = PassageDraft.model_validate_json(path.read_text(encoding="utf-8")).summary if path.is_file() else ""
        line = f"Chapter {c}, passage {k}: {prose(said, 400) or clip(text, 300)}"
        used += estimate_tokens(line)
        if used > budget_tokens:
            break
        lines.append(line)
    return "\n".join(lines)


def extract_book(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Read every passage of the book with the LLM (checkpointed per passage)."""
    usage: list[dict[str, Any]] = []
    notes = read_passages(runtime.context, state, usage)
    runtime.context.progress("extracted", {"passages": len(notes)})
    return {"usage": usage}


def plan_adaptation(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Merge the book's canon, map chapters to episodes with loglines and a season arc: the gate's artifact."""
    ctx, n = runtime.context, state["episodes_total"]
    folder, title = _book(state)
    usage: list[dict[str, Any]] = []
    notes = read_passages(ctx, state, usage)  # all cached by extract_book: no calls
    chapters = load_chapters(folder)
    cast = merge_notes(notes)
    plan, cuts = [], episode_map(chapters, n)
    summaries = {(p.chapter, p.scene): p.summary for p in notes}
    heads = {c.number: c.title for c in chapters}
    asks = state.get("adaptation_notes") or []
    for i, units in enumerate(cuts, 1):
        chs = list(dict.fromkeys(u[0] for u in units))
        scenes = [f"{c}.{s}" for c, s0, *_ in units
                  for s in ([s0] if s0 else range(1, len(chapters[c - 1].scenes) + 1))]
        said = [summaries.get((int(x.split(".")[0]), int(x.split(".")[1])), "") for x in scenes]
        span = ", ".join(heads[c] for c in chs)
        pitch = cached(ctx, folder, render("adapt/episode", book=title, episode=i, total=n, span=span,
                                           summaries="\n".join(s for s in said if s) or span, notes=asks),
                       EpisodePitch, usage, node="plan_adaptation")
        logline = prose(pitch.logline, 300) or clip(said[0] if said else span, 300) or f"Part {i} of {title}."
        own = "" if _NUMBERED.fullmatch(prose(pitch.title, 80)) else prose(pitch.title, 80)  # 'Episode 3' says nothing
        plan.append(EpisodePlan(number=i, title=own or title_of(logline) or f"Episode {i}",
                                logline=logline, chapters=chs, scenes=scenes, start=units[0][2], end=units[-1][3],
                                words=sum(u[3] - u[2] for u in units) // 6))
    facts, dropped, findings = book_facts(notes, cast, episode_at(cuts))
    season = cached(ctx, folder, render("adapt/season", book=title, total=n, notes=asks, loglines="\n".join(
        f"{e.number}. {e.logline}" for e in plan)), SeasonDraft, usage, node="plan_adaptation")
    words = json.loads((folder / "meta.json").read_text(encoding="utf-8"))["words"]
    adaptation = Adaptation(book=title, title=title, logline=prose(season.logline, 300) or f"An adaptation of {title}.",
                            genre=clip(season.genre, 60), tone=clip(season.tone, 60),
                            season_arc=prose(season.season_arc, 600), episodes=plan, characters=cast.characters,
                            locations=cast.locations, facts=facts, findings=[*cast.findings, *findings],
                            merges=cast.merges, dropped=dropped, appearances=cast.appearances,
                            chapters=len(chapters), words=words)
    return {"adaptation": adaptation, "usage": usage}


def bible_of(a: Adaptation) -> Bible:
    """The bible the bible gate shows: the book's cast and places, one logline per mapped episode."""
    return Bible(title=a.title, logline=a.logline or a.title, genre=a.genre, tone=a.tone, season_arc=a.season_arc,
                 characters=a.characters, locations=a.locations,
                 episodes=[EpisodeLogline(number=e.number, title=e.title, logline=e.logline) for e in a.episodes])


def approved_plan(root: Path) -> SeriesState:
    """The approved adaptation of the project at ``root`` as input state ({} when it adapts no book).

    Threads that start after the adaptation gate (nightly drafts) get it, so their outlines read their
    episode's passages too.
    """
    path = root / "adaptation" / "plan.json"
    if not path.is_file():
        return {}
    return {"book": str(path.parent), "adaptation": Adaptation.model_validate_json(path.read_text(encoding="utf-8"))}


def commit_adaptation(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Write the approved plan (episode map) and the book's facts to canon; the bible gate comes next."""
    ctx, a = runtime.context, state["adaptation"]
    assert a is not None
    facts, refused = admit([bf.fact for bf in a.facts], World(a.characters, a.locations, []))  # a person's edit too
    for fact, why in refused:
        log.warning("adaptation: dropped %s (%s)", fact.text or fact.object, why)
    if ctx.root is not None:
        atomic_write(ctx.root / "adaptation" / "plan.json", a.model_dump_json(indent=2) + "\n")
    ctx.canon.add_facts(facts)
    ctx.memory.add_facts(facts, space="canon")
    return {"bible": bible_of(a)}
