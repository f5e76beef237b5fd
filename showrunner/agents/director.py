"""The director agent: shots per scene (fanned out with ``Send``), visual prompts assembled from canon.

The LLM only chooses framing, camera move, who is on screen and what happens. Everything a renderer
needs to keep characters consistent is assembled by code: each shot's ``visual_prompt`` carries the
canonical look of every character on screen (fixed look from the bible, current outfit, injuries and
props from memory facts that hold at that scene) and the location's look; the seed is derived from the
series, episode and shot id; ``reference_ids`` are the character and location ids.
"""

from __future__ import annotations

import hashlib
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import Send

from showrunner.agents.common import recall
from showrunner.agents.drafts import ShotList, clip, known_characters
from showrunner.context import Context
from showrunner.memory.canon import Storyboard
from showrunner.models import Bible, Character, DialogueLine, Fact, FactKind, SceneRef, Shot
from showrunner.prompts import render
from showrunner.state import SceneTask, SeriesState, usage_record

NEGATIVE = "text, watermark, logo, extra limbs, deformed hands, off-model face"


def plan_storyboard(state: SeriesState) -> dict[str, Any]:
    """Start a storyboard round: clear the previous round's per-scene shots."""
    return {"scene_shots": {}}


def fan_out_scenes(state: SeriesState) -> list[Send]:
    """One director branch per scene."""
    script, bible = state["script"], state["bible"]
    assert script is not None and bible is not None
    notes = state.get("storyboard_notes") or []
    return [Send("plan_scene_shots", SceneTask(episode=state["episode"], scene=s, bible=bible, notes=notes))
            for s in script.scenes]


def current_look(c: Character, facts: list[Fact], at: SceneRef) -> Character:
    """``c`` with its current outfit, injuries and props as the facts holding at ``at`` say."""
    state = c.state.model_copy(deep=True)
    mine = sorted((f for f in facts if f.subject == c.id and f.holds_at(at)), key=lambda f: f.valid_from.key())
    for f in mine:
        if f.kind == FactKind.current_appearance and f.predicate == "outfit":
            state.outfit = f.object
        elif f.kind == FactKind.status and f.object.lower() in {"injured", "wounded", "hurt"}:
            state.injuries = [*state.injuries, f.object][:3]
        elif f.kind == FactKind.possession and f.object not in state.props:
            state.props = [*state.props, f.object][:3]
    return c.model_copy(update={"state": state})


def shot_seed(title: str, shot_id: str) -> int:
    return int(hashlib.sha256(f"{title}|{shot_id}".encode()).hexdigest()[:8], 16) % (2**31)


def visual_prompt(shot: Shot, looks: list[str], place: str, style: str) -> str:
    parts = [f"{shot.framing.value.replace('_', ' ')} shot, {shot.camera_move.value.replace('_', ' ')}",
             shot.action, "Characters: " + "; ".join(looks) if looks else "", f"Setting: {place}",
             f"Style: {style}" if style else ""]
    return ". ".join(p.rstrip(". ") for p in parts if p.strip(". "))


def plan_scene_shots(task: SceneTask, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx, bible, scene, n = runtime.context, task["bible"], task["scene"], task["episode"]
    loc = bible.location(scene.location) or bible.locations[0]
    names = [c.name for c in (bible.character(x) for x in scene.characters) if c is not None]
    prompt = render("director/shots", episode=n, scene=scene, location=loc.name, characters=names,
                    summary=scene.summary or "(no summary)", max_shots=ctx.max_shots_per_scene, notes=task["notes"])
    gen = ctx.generate(prompt, ShotList, episode=n, node="plan_scene_shots", scene=scene.number)
    at = SceneRef(episode=n, scene=scene.number)
    facts = recall(ctx, episode=n, scene=scene.number, characters=scene.characters, locations=[loc.id],
                   query=scene.summary).facts
    shots = [_shot(bible, d, scene.number, k + 1, n, facts, at, loc.look_at(scene.time_of_day), scene.characters)
             for k, d in enumerate(gen.value.shots[:ctx.max_shots_per_scene])]
    if not shots:
        from showrunner.agents.drafts import ShotDraft

        shots = [_shot(bible, ShotDraft(action=clip(scene.summary, 200)), scene.number, 1, n, facts, at,
                       loc.look_at(scene.time_of_day), scene.characters)]
    for s in shots:  # a tiny model echoes field names ('frame', 'camera_move'): show the scene instead
        if len(s.action.split()) < 3:
            s.action = clip(scene.summary, 300) or s.action
    give_lines(shots, scene.dialogue)
    for s in shots:
        s.reference_ids = [*s.characters, loc.id]
    return {"scene_shots": {str(scene.number): shots},
            "usage": [usage_record(gen.usage, episode=n, node="plan_scene_shots", scene=scene.number)]}


def give_lines(shots: list[Shot], lines: list[DialogueLine]) -> None:
    """Spread the scene's dialogue over its shots in order, none lost or reordered.

    Each shot is made long enough for its lines to be read or spoken (about 2.5 words a second plus a beat).
    """
    if not shots:
        return
    per, extra = divmod(len(lines), len(shots))
    start = 0
    for i, shot in enumerate(shots):
        take = per + (1 if i < extra else 0)
        shot.dialogue = list(lines[start:start + take])
        start += take
        words = sum(len(d.text.split()) for d in shot.dialogue)
        if words:
            shot.duration = min(max(shot.duration, round(words / 2.5 + 1.0, 1)), 60.0)


def _shot(bible: Bible, d: Any, scene: int, k: int, n: int, facts: list[Fact], at: SceneRef, place: str,
          present: list[str]) -> Shot:
    on_screen = [c for c in known_characters(bible, d.characters) if c in present] or present[:2]
    shot_id = f"e{n:03d}-s{scene:02d}-{k:02d}"
    shot = Shot(id=shot_id, scene=scene, number=k, framing=d.framing, camera_move=d.camera_move,
                duration=min(max(float(d.duration), 1.0), 12.0), characters=on_screen,
                action=clip(d.action, 300), negative_prompt=NEGATIVE, seed=shot_seed(bible.title, shot_id))
    looks = [current_look(c, facts, at).canonical_look()
             for c in (bible.character(x) for x in on_screen) if c is not None]
    shot.visual_prompt = visual_prompt(shot, looks, place, bible.style_guide)
    return shot


def assemble_storyboard(state: SeriesState) -> dict[str, Any]:
    per_scene = state.get("scene_shots") or {}
    shots = [s for key in sorted(per_scene, key=int) for s in per_scene[key]]
    return {"shots": shots}


def storyboard_of(state: SeriesState) -> Storyboard:
    return Storyboard(episode=state["episode"], shots=state.get("shots") or [])


def render_episode(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Render through the context's hook (a no-op until the render pipeline is wired)."""
    ctx = runtime.context
    result = ctx.render(episode=state["episode"], shots=state.get("shots") or [], mode=ctx.mode,
                        script=state.get("script"))
    return {"render": result}
