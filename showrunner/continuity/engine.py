"""The continuity engine's entry point: check one episode against the canon as of that episode.

Every scene is read against the facts that hold at that scene (a fact established later never applies),
by the deterministic checks in :mod:`presence`, :mod:`appearance` and :mod:`story`. When a capable LLM is
given, the semantic pass (:mod:`semantic`) adds findings; it never removes deterministic ones.
"""

from __future__ import annotations

from dataclasses import replace

from showrunner.continuity.appearance import Stated, check_appearance
from showrunner.continuity.injuries import check_injuries
from showrunner.continuity.presence import (
    check_names,
    check_status,
    check_time_order,
    check_two_places,
    stated_returns,
)
from showrunner.continuity.story import check_events, check_possessions, check_relations
from showrunner.continuity.units import Unit, units
from showrunner.llm.base import StructuredLLM
from showrunner.memory.base import MemoryStore
from showrunner.models import Character, ContinuityIssue, Episode, Fact, Location, Scene, Severity, Shot
from showrunner.world import World

TINY_MODELS = ("smollm", "135m", "360m")


def capable(llm: StructuredLLM | None) -> bool:
    """True unless there is no LLM or it is the tiny embedded default (too weak to extract claims)."""
    if llm is None:
        return False
    model = str(getattr(llm, "model", "")).lower()
    return not (getattr(llm, "provider", "") == "local" and any(t in model for t in TINY_MODELS))


def check_episode(episode: Episode, *, characters: list[Character] | None = None,
                  locations: list[Location] | None = None, facts: list[Fact] | None = None,
                  shots: list[Shot] | None = None, llm: StructuredLLM | None = None,
                  memory: MemoryStore | None = None, world: World | None = None) -> list[ContinuityIssue]:
    """Check ``episode`` (and its ``shots``) against the canon as of each of its scenes.

    ``facts`` may hold the whole series: only those established before a scene apply to it. A prebuilt
    ``world`` (the same characters, locations and facts, indexed once) may be passed instead. Findings
    come back in scene order; errors make ``showrunner check`` exit 1.
    """
    view = world or World(characters or [], locations or [], facts or [])
    by_scene: dict[int, list[Shot]] = {}
    for s in shots or []:
        by_scene.setdefault(s.scene, []).append(s)
    found: list[ContinuityIssue] = []
    stated = Stated()
    recovered: set[tuple[str, ...]] = set()
    named: set[str] = set()
    for scene in episode.scenes:
        scene_shots = by_scene.get(scene.number, [])
        everything = _with_antecedents(view, scene, list(units(scene, scene_shots)))
        spoken = [u for u in everything if u.spoken]
        narrative = [u for u in everything if not u.spoken]
        found += check_names(view, episode, scene, scene_shots, spoken, named)
        if scene.unreal:
            continue
        stated.returned |= stated_returns(view, narrative)
        found += check_status(view, episode, scene, scene_shots, spoken, stated.returned)
        found += check_appearance(view, episode, scene, narrative, stated)
        found += check_injuries(view, episode, scene, narrative)
        found += check_possessions(view, episode, scene, narrative, recovered)
        found += check_relations(view, episode, scene, everything)
        found += check_events(view, episode, scene, everything)
    found += check_two_places(view, episode)
    found += check_time_order(view, episode)
    if capable(llm):
        from showrunner.continuity.semantic import semantic_pass

        assert llm is not None
        found += semantic_pass(episode, view, llm, memory=memory, known=found)
    return sorted(found, key=lambda i: (i.scene or 0, i.source != "deterministic", i.line or 0))


def _with_antecedents(view: World, scene: Scene, found: list[Unit]) -> list[Unit]:
    """Each unit with its pronouns' antecedent: the last character named before it, else the sole cast."""
    cast = [c for c in (view.people.resolve(x) for x in scene.characters) if c]
    last = cast[0] if len(cast) == 1 else None
    out = []
    for u in found:
        out.append(replace(u, antecedent=last))
        names = [t[1:] for t in view.tag(u.text) if t.startswith("@")]
        if names and not u.spoken:
            last = names[-1]
    return out


def has_errors(findings: list[ContinuityIssue]) -> bool:
    return any(f.severity == Severity.error for f in findings)
